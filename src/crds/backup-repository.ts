import { z } from 'zod';
import { immutableField, immutableRequiredField, withRules } from './cel.ts';
import {
  BUILT_IN_PLAN_PATTERN,
  countSchema,
  driftPolicySchema,
  localRef,
  managedStatusBase,
  managementPolicySchema,
  objectNameSchema,
  REPOSITORY_ID_PATTERN,
  secretKey,
  timestampSchema,
} from './common.ts';
import { DURATION_PATTERN, parseDurationMs } from './duration.ts';
import { ageColumn, type KindDefinition, kindMeta, readyColumn, resourceSchema } from './kind.ts';

/** Names of the BackupRepository kind (short name differs from Velero's BackupRepository). */
export const backupRepositoryKind = kindMeta('BackupRepository', 'backuprepositories', ['cbrepo']);

/** Desired repository states; `Archived` is final. */
export const REPOSITORY_STATES = ['Active', 'Paused', 'Archived'] as const;
/** States the operator reports (an imported repository is `Imported`). */
export const OBSERVED_REPOSITORY_STATES = ['Active', 'Paused', 'Archived', 'Imported'] as const;
/** `Retain` keeps everything, `Archive` archives, `Delete` archives then deletes (data only with removeData). */
export const REPOSITORY_DELETION_POLICIES = ['Retain', 'Archive', 'Delete'] as const;
/** Object-store providers and the URI scheme each one uses. */
export const OBJECT_STORE_PROVIDERS = ['S3', 'Azure', 'GCP'] as const;
const PROVIDER_SCHEMES = { S3: 's3://', Azure: 'az://', GCP: 'gs://' } as const;

const ABSOLUTE_PATH_PATTERN = '^/.*$';
const OBJECT_URI_PATTERN = '^(s3|az|gs)://[^/\\s]+(/\\S*)?$';
const BUCKET_NAME_PATTERN = '^[A-Za-z0-9._%-]{1,100}$';
const TOKEN_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$';

const objectStoreSchema = withRules(
  z
    .object({
      provider: z
        .enum(OBJECT_STORE_PROVIDERS)
        .default('S3')
        .describe('Object store: S3 (AWS or S3-compatible, s3:// URIs), Azure (az://) or GCP (gs://).'),
      uri: z
        .string()
        .max(1024)
        .regex(new RegExp(OBJECT_URI_PATTERN))
        .describe('Archive location in the object store, e.g. s3://my-bucket/couchbase/prod.'),
      region: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .describe(
          'Region of the bucket; required for S3, S3-compatible stores included (the server refuses it missing).',
        ),
      endpoint: z
        .string()
        .max(2048)
        .regex(/^https?:\/\/\S+$/)
        .optional()
        .describe('Endpoint override for S3-compatible stores (MinIO, Ceph).'),
      forcePathStyle: z
        .boolean()
        .optional()
        .describe('Use path-style addressing (needed by many S3-compatible stores).'),
      stagingDir: z
        .string()
        .max(1024)
        .regex(new RegExp(ABSOLUTE_PATH_PATTERN))
        .describe(
          'Absolute local, non-shared directory on every backup node used for staging (about 10% of the data size).',
        ),
      credentialsSecretRef: z
        .object({
          name: objectNameSchema.describe('Name of the Secret in the same namespace.'),
          idKey: secretKey('Key whose value is the access key id / account name / client id.', 'id'),
          keyKey: secretKey('Key whose value is the secret access key / account key / client secret.', 'key'),
          refreshTokenKey: secretKey(
            'Key whose value is the OAuth2 refresh token (GCP); used when present.',
            'refreshToken',
          ),
        })
        .optional()
        .describe(
          'Secret with the object-store credentials, sent to the Backup Service when the repository is created (or imported). The service keeps its own copy and has no call to change it, so a later edit of the Secret does not reach an existing repository: rotating the key takes a new repository (docs/production.md).',
        ),
      credentialName: z
        .string()
        .min(1)
        .max(128)
        .optional()
        .describe(
          'Name of credentials already stored on the Backup Service, instead of credentialsSecretRef.',
        ),
    })
    .describe('Object-store archive location.'),
  [
    {
      rule: "self.provider == 'S3' ? self.uri.startsWith('s3://') : self.provider == 'Azure' ? self.uri.startsWith('az://') : self.uri.startsWith('gs://')",
      message: 'uri scheme must match provider (S3: s3://, Azure: az://, GCP: gs://)',
      check: (o) => o.uri.startsWith(PROVIDER_SCHEMES[o.provider]),
    },
    {
      // The Backup Service refuses an S3 repository without cloud_region (400), S3-compatible ones too.
      rule: "self.provider != 'S3' || has(self.region)",
      message: 'region is required for S3 (also for S3-compatible stores with an endpoint)',
      check: (o) => o.provider !== 'S3' || o.region !== undefined,
    },
    {
      rule: '!(has(self.credentialsSecretRef) && has(self.credentialName))',
      message: 'credentialsSecretRef and credentialName are mutually exclusive',
      check: (o) => !(o.credentialsSecretRef !== undefined && o.credentialName !== undefined),
    },
  ],
);

const storageSchema = withRules(
  z
    .object({
      filesystem: z
        .object({
          path: z
            .string()
            .max(1024)
            .regex(new RegExp(ABSOLUTE_PATH_PATTERN))
            .describe('Absolute path of the archive, mounted at the same place on every backup node.'),
        })
        .optional()
        .describe('Archive on a filesystem shared by all backup nodes.'),
      objectStore: objectStoreSchema.optional(),
    })
    .describe('Where the backups live (the archive). Exactly one of filesystem or objectStore. Immutable.'),
  [
    {
      rule: 'has(self.filesystem) != has(self.objectStore)',
      message: 'set exactly one of filesystem or objectStore',
      check: (s) => (s.filesystem !== undefined) !== (s.objectStore !== undefined),
    },
  ],
);

const triggersSchema = z
  .object({
    backup: z
      .string()
      .regex(new RegExp(TOKEN_PATTERN))
      .optional()
      .describe(
        'Run one backup now. Any new value (e.g. "2026-11-27-a") starts exactly one backup; re-applying the same value does nothing. The token, task name and time are echoed in status.triggers.backup.',
      ),
    fullBackup: z
      .boolean()
      .optional()
      .describe('Whether the backup started by triggers.backup is a full backup (default incremental).'),
    merge: z
      .string()
      .regex(new RegExp(TOKEN_PATTERN))
      .optional()
      .describe('Run one merge of all backups now; same token semantics as triggers.backup.'),
  })
  .describe('GitOps-safe run-now tokens. Only acted on while the repository is Active.');

/** Desired state of a BackupRepository. */
export const BackupRepositorySpecSchema = withRules(
  z
    .object({
      serviceRef: localRef('BackupService', 'BackupService that holds this repository. Immutable.'),
      repositoryId: z
        .string()
        .max(50)
        .regex(new RegExp(REPOSITORY_ID_PATTERN))
        .optional()
        .describe(
          'Repository id on the Backup Service: 1-50 letters, digits, _ or -, starting with a letter or digit. Default: metadata.name. Immutable.',
        ),
      planRef: localRef(
        'BackupPlan',
        'BackupPlan whose schedule this repository runs. Exactly one of planRef or builtInPlan (neither when importing).',
      ).optional(),
      builtInPlan: z
        .string()
        .max(64)
        .regex(new RegExp(BUILT_IN_PLAN_PATTERN))
        .optional()
        .describe(
          'Name of a built-in plan of the Backup Service instead of planRef, e.g. _hourly_backups or _daily_backups.',
        ),
      storage: storageSchema,
      bucket: z
        .string()
        .regex(new RegExp(BUCKET_NAME_PATTERN))
        .optional()
        .describe('Back up only this bucket. Unset: all buckets. Immutable.'),
      import: z
        .object({
          repo: z
            .string()
            .min(1)
            .max(128)
            .describe(
              'Name of the cbbackupmgr repository inside the archive (the repository UUID of the original).',
            ),
        })
        .optional()
        .describe(
          'Import an existing cbbackupmgr repository found in storage instead of creating one. Imported repositories are read-only: no plan, no state changes, restores only. Immutable.',
        ),
      state: z
        .enum(REPOSITORY_STATES)
        .default('Active')
        .describe(
          'Active (default) runs the plan; Paused stops the schedule and holds trigger tokens and BackupRuns until the repository is Active again (restores still run); Archived makes the repository read-only for good. Archived is final.',
        ),
      triggers: triggersSchema.optional(),
      rpo: withRules(z.string().max(32).regex(new RegExp(DURATION_PATTERN)), [
        {
          rule: "duration(self) >= duration('1s')",
          message: 'rpo must be at least 1s',
          // A malformed value is the pattern's to report; this rule judges well-formed ones only.
          check: (v: string) => !new RegExp(DURATION_PATTERN).test(v) || parseDurationMs(v) >= 1_000,
        },
      ])
        .optional()
        .describe(
          'Recovery-point objective, e.g. 24h: the longest time allowed since the start of the last successful backup (since creation while there is none). Reported as the RPOMet condition; unset: not evaluated.',
        ),
      driftPolicy: driftPolicySchema,
      deletionPolicy: z
        .enum(REPOSITORY_DELETION_POLICIES)
        .default('Retain')
        .describe(
          'What happens on the Backup Service when this object is deleted. Retain (default): nothing. Archive: the repository is archived. Delete: archived, then removed; the backup data is removed only with removeData.',
        ),
      removeData: z
        .boolean()
        .default(false)
        .describe('With deletionPolicy Delete, also remove the backup data from storage. Irreversible.'),
      managementPolicy: managementPolicySchema,
    })
    .describe('BackupRepositorySpec is one Backup Service repository: a plan bound to an archive location.'),
  [
    {
      rule: 'has(self.__import__) ? !has(self.planRef) && !has(self.builtInPlan) : has(self.planRef) != has(self.builtInPlan)',
      message: 'set exactly one of planRef or builtInPlan (neither for an imported repository)',
      check: (s) =>
        s.import !== undefined
          ? s.planRef === undefined && s.builtInPlan === undefined
          : (s.planRef !== undefined) !== (s.builtInPlan !== undefined),
    },
    {
      rule: "!has(self.__import__) || (self.state == 'Active' && !has(self.bucket) && !has(self.triggers) && !has(self.rpo))",
      message: 'an imported repository takes no state, bucket, triggers or rpo',
      check: (s) =>
        s.import === undefined ||
        (s.state === 'Active' && s.bucket === undefined && s.triggers === undefined && s.rpo === undefined),
    },
    {
      rule: "!self.removeData || self.deletionPolicy == 'Delete'",
      message: 'removeData needs deletionPolicy Delete',
      check: (s) => !s.removeData || s.deletionPolicy === 'Delete',
    },
    {
      rule: "oldSelf.state != 'Archived' || self.state == 'Archived'",
      message: 'Archived is final: an archived repository cannot become Active or Paused again',
      fieldPath: '.state',
    },
    immutableRequiredField('serviceRef'),
    immutableField('repositoryId'),
    immutableRequiredField('storage'),
    immutableField('bucket'),
    immutableField('__import__'),
  ],
);

/** Task types as the Backup Service reports them in runs and history. */
export const TASK_RUN_TYPES = ['BACKUP', 'MERGE', 'PRUNE', 'RESTORE'] as const;
/** Results a finished task is counted under (status.taskOutcomes, metric cbbs_repository_tasks_total). */
export const TASK_RESULTS = ['succeeded', 'failed', 'skipped'] as const;
/** Task statuses of the Backup Service (docs/backup-service-api.md §2.3). */
export const TASK_STATUSES = ['unknown', 'failed', 'done', 'running', 'waiting', 'skipped'] as const;

const taskNameSchema = z
  .string()
  .max(128)
  .describe('Task name: the plan task name, or BACKUP-/MERGE-/restore-<uuid> for one-off tasks.');
const errorTextSchema = z
  .string()
  .max(1024)
  .describe('Error text from the Backup Service, truncated to 1024 characters.');
const progressSchema = z.number().min(0).max(100).describe('Progress in percent (0..100).');

const nextRunSchema = z
  .object({
    taskName: taskNameSchema,
    type: z.enum(TASK_RUN_TYPES).describe('Task type.'),
    time: timestampSchema.describe('Next scheduled run.'),
  })
  .describe('Next scheduled run of one plan task.');

const runningTaskSchema = z
  .object({
    taskName: taskNameSchema,
    type: z.enum(TASK_RUN_TYPES).describe('Task type.'),
    status: z.enum(TASK_STATUSES).describe('Task status on the Backup Service.'),
    oneOff: z.boolean().describe('True for a triggered task, false for a scheduled one.'),
    startTime: timestampSchema.optional().describe('When the task started.'),
    progress: progressSchema.optional(),
  })
  .describe('A task running now.');

const recentTaskSchema = z
  .object({
    taskName: taskNameSchema,
    type: z.enum(TASK_RUN_TYPES).describe('Task type.'),
    status: z.enum(TASK_STATUSES).describe('Final status: done, failed or skipped.'),
    startTime: timestampSchema.optional().describe('When the task started.'),
    endTime: timestampSchema.optional().describe('When the task ended.'),
    backupName: z.string().max(64).optional().describe('Backup the task produced, if any.'),
    error: errorTextSchema.optional(),
  })
  .describe('One finished task from the task history.');

const backupRefSchema = (what: string) =>
  z
    .object({
      name: z.string().max(64).describe('Backup name (RFC 3339 time with : replaced by _).'),
      time: timestampSchema.optional().describe('When the backup was taken.'),
    })
    .optional()
    .describe(what);

/** How a triggered task ended, as its echo records it. */
export const TRIGGER_OUTCOMES = ['Succeeded', 'Failed', 'Rejected'] as const;

const triggerEchoSchema = (what: string) =>
  z
    .object({
      token: z.string().max(63).describe('The trigger token that was acted on.'),
      taskName: taskNameSchema.optional(),
      time: timestampSchema.optional().describe('When the task was started.'),
      previousTaskName: taskNameSchema
        .optional()
        .describe("The task of the token before this one: it is never taken for this token's task."),
      outcome: z
        .enum(TRIGGER_OUTCOMES)
        .optional()
        .describe(
          'How the token ended: Succeeded or Failed once its task shows in the task history, Rejected when the service refused to start it.',
        ),
      endTime: timestampSchema.optional().describe('When the task ended.'),
      error: errorTextSchema
        .optional()
        .describe('Error text of a Failed task or a Rejected request, from the Backup Service.'),
    })
    .optional()
    .describe(what);

/** Observed state of a BackupRepository. */
export const BackupRepositoryStatusSchema = z
  .object({
    ...managedStatusBase,
    repositoryId: z.string().max(64).optional().describe('Repository id on the Backup Service.'),
    state: z.enum(OBSERVED_REPOSITORY_STATES).optional().describe('State on the Backup Service.'),
    planName: z
      .string()
      .max(64)
      .optional()
      .describe('Plan the repository uses on the server (empty for imported ones).'),
    repo: z.string().max(128).optional().describe('cbbackupmgr repository name (UUID) inside the archive.'),
    archive: z.string().max(1024).optional().describe('Archive location as the server reports it.'),
    health: z
      .object({
        healthy: z.boolean().describe('Whether the server considers the repository healthy.'),
        issue: z.string().max(1024).optional().describe('Health issue reported by the server.'),
      })
      .optional()
      .describe('Repository health as the Backup Service reports it.'),
    nextRuns: z
      .array(nextRunSchema)
      .max(14)
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['taskName'] })
      .optional()
      .describe('Next scheduled run per plan task (absent while paused, archived or imported).'),
    runningTasks: z
      .array(runningTaskSchema)
      .max(32)
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['taskName'] })
      .optional()
      .describe('Tasks running now, scheduled and one-off.'),
    backups: z
      .object({
        count: countSchema.describe('Number of backups in the repository.'),
        totalSize: countSchema.describe('Total size of all backups in bytes.'),
        oldest: backupRefSchema('Oldest backup.'),
        latestFull: backupRefSchema('Most recent full (or merged full) backup.'),
        latestIncremental: backupRefSchema('Most recent incremental backup.'),
      })
      .optional()
      .describe('Summary of the backups in the repository.'),
    recentTasks: z
      .array(recentTaskSchema)
      .max(10)
      .optional()
      .describe('Most recent finished tasks, newest first (at most 10).'),
    lastSuccessfulBackupTime: timestampSchema
      .optional()
      .describe('Start time of the most recent successful backup.'),
    lastFailure: z
      .object({
        time: timestampSchema.optional().describe('When the failed task started.'),
        taskName: taskNameSchema,
        error: errorTextSchema.optional(),
      })
      .optional()
      .describe('Most recent failed task.'),
    detailsDigest: z
      .string()
      .max(64)
      .optional()
      .describe(
        'Digest of the Backup Service entry (state, running and scheduled tasks, finished runs) that backups and recentTasks were last read for; after an operator restart they are read again only once it moves.',
      ),
    lastSuccessfulBackup: z
      .object({
        taskName: taskNameSchema,
        durationSeconds: countSchema.optional().describe('How long the backup task ran, in whole seconds.'),
        size: countSchema
          .optional()
          .describe('Size in bytes of the backup it produced, as /info reports it.'),
      })
      .optional()
      .describe('The most recent successful BACKUP task: duration and size (metrics).'),
    taskOutcomes: z
      .array(
        z
          .object({
            type: z.enum(TASK_RUN_TYPES).describe('Task type.'),
            result: z.enum(TASK_RESULTS).describe('succeeded, failed or skipped.'),
            count: countSchema.describe('Finished tasks of this type with this result.'),
          })
          .describe('How many finished tasks of one type had one result.'),
      )
      .max(TASK_RUN_TYPES.length * TASK_RESULTS.length)
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type', 'result'] })
      .optional()
      .describe(
        "Finished tasks counted from the server's task history, each counted once: the tasks of status.recentTasks are the mark already counted, so a restart or a new leader does not count them again (metric cbbs_repository_tasks_total).",
      ),
    triggers: z
      .object({
        backup: triggerEchoSchema('Last spec.triggers.backup token acted on.'),
        merge: triggerEchoSchema('Last spec.triggers.merge token acted on.'),
      })
      .optional()
      .describe(
        'Echo of the trigger tokens that were acted on; a token equal to the echo is never run again.',
      ),
  })
  .describe('BackupRepositoryStatus mirrors the repository on the Backup Service.');

const nameRule = {
  // metadata.name is already a DNS subdomain (lowercase alphanumerics, '-', '.'), so only dots and
  // length can break the rule; size() and contains() stay far below the CEL cost budget, where a
  // regex over a name of unknown length might not.
  rule: "has(self.spec.repositoryId) || (self.metadata.name.size() <= 50 && !self.metadata.name.contains('.'))",
  message:
    'metadata.name is not a valid repository id (1-50 letters, digits, _ or -, no dots); set spec.repositoryId',
  check: (o: { metadata: { name: string }; spec: BackupRepositorySpec }) =>
    o.spec.repositoryId !== undefined || new RegExp(REPOSITORY_ID_PATTERN).test(o.metadata.name),
};

/** A BackupRepository object. */
export const BackupRepositorySchema = resourceSchema(
  backupRepositoryKind,
  BackupRepositorySpecSchema,
  BackupRepositoryStatusSchema,
  [nameRule],
);

export type BackupRepositorySpec = z.infer<typeof BackupRepositorySpecSchema>;
export type BackupRepositoryStatus = z.infer<typeof BackupRepositoryStatusSchema>;
export type BackupRepository = z.infer<typeof BackupRepositorySchema>;

/** CRD definition of BackupRepository. */
export const backupRepositoryDefinition: KindDefinition = {
  meta: backupRepositoryKind,
  description:
    'BackupRepository is a Backup Service repository: a plan bound to an archive location (filesystem or object store), optionally for one bucket, or an imported repository.',
  spec: BackupRepositorySpecSchema,
  status: BackupRepositoryStatusSchema,
  rootRules: [nameRule],
  printerColumns: [
    readyColumn,
    { name: 'State', type: 'string', jsonPath: '.status.state', description: 'State on the Backup Service.' },
    {
      name: 'Healthy',
      type: 'boolean',
      jsonPath: '.status.health.healthy',
      description: 'Server-reported health.',
    },
    { name: 'Plan', type: 'string', jsonPath: '.status.planName', description: 'Plan in use.' },
    {
      name: 'Backups',
      type: 'integer',
      jsonPath: '.status.backups.count',
      description: 'Number of backups.',
    },
    {
      name: 'Backups-OK',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="BackupsSucceeding")].status',
      description: 'Whether the last finished backup succeeded (the BackupsSucceeding condition).',
    },
    {
      name: 'RPO-Met',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="RPOMet")].status',
      description: 'Whether spec.rpo is met (the RPOMet condition; empty without spec.rpo).',
    },
    {
      name: 'Last-Backup',
      type: 'date',
      jsonPath: '.status.lastSuccessfulBackupTime',
      description: 'Time of the last successful backup.',
    },
    { name: 'Bucket', type: 'string', jsonPath: '.spec.bucket', description: 'Bucket, if one.', priority: 1 },
    ageColumn,
  ],
};
