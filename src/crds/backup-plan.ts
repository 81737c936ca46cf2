import { z } from 'zod';
import { PERIODS, TASK_TYPES } from '../backup-api/schemas.ts';
import { immutableField, immutableRequiredField, withRules } from './cel.ts';
import {
  driftPolicySchema,
  localRef,
  managedStatusBase,
  managementPolicySchema,
  PLAN_NAME_PATTERN,
  serviceNameSchema,
  TASK_NAME_PATTERN,
  timestampSchema,
} from './common.ts';
import { ageColumn, type KindDefinition, kindMeta, readyColumn, resourceSchema } from './kind.ts';

/** Names of the BackupPlan kind. */
export const backupPlanKind = kindMeta('BackupPlan', 'backupplans', ['cbplan']);

// The plan vocabulary is the Backup Service's own (docs/backup-service-api.md §2.1): one list for client and CRD.
export { PERIODS, TASK_TYPES } from '../backup-api/schemas.ts';

/** `Retain` keeps the server plan when the object goes; `Delete` removes it. */
export const PLAN_DELETION_POLICIES = ['Retain', 'Delete'] as const;

const TIME_OF_DAY_PATTERN = '^([01][0-9]|2[0-3]):[0-5][0-9]$';
// Enough for any retention people actually use; the server documents no bound.
const MAX_OFFSET_DAYS = 36500;

const scheduleSchema = z
  .object({
    frequency: z
      .number()
      .int()
      .min(1)
      .max(5000)
      .describe(
        'Run every `frequency` periods (1..5000; the UI offers 1..200). For a weekday period, every n-th such weekday.',
      ),
    period: z
      .enum(PERIODS)
      .describe('Unit of the frequency: MINUTES, HOURS, DAYS, WEEKS or a weekday (MONDAY..SUNDAY).'),
    time: z
      .string()
      .regex(new RegExp(TIME_OF_DAY_PATTERN))
      .optional()
      .describe(
        'Time of day "HH:MM" (24 h, server local time) that anchors the schedule; for HOURS only the minutes count.',
      ),
    startNow: z
      .boolean()
      .optional()
      .describe('Run the first instance immediately when a repository starts using the plan.'),
  })
  .describe('When the task runs.');

const mergeOptionsSchema = z
  .object({
    offsetStart: z
      .number()
      .int()
      .min(0)
      .max(MAX_OFFSET_DAYS)
      .describe('Days back from the day the merge runs where the merge window starts (0 = today).'),
    offsetEnd: z
      .number()
      .int()
      .min(0)
      .max(MAX_OFFSET_DAYS)
      .describe(
        'Days further back from offsetStart where the window ends; both boundary days are included. Example: offsetStart 4, offsetEnd 3 merges the backups from 4 to 7 days ago.',
      ),
  })
  // Merge windows: docs/backup-service-api.md §6.4 (kept out of the description kubectl explain shows).
  .describe('Merge window of a MERGE task, in days.');

const taskSchema = withRules(
  z
    .object({
      name: z
        .string()
        .max(50)
        .regex(new RegExp(TASK_NAME_PATTERN))
        .describe(
          'Task name, unique within the plan: 1-50 letters, digits, _ or -, starting with a letter or digit.',
        ),
      type: z.enum(TASK_TYPES).describe('BACKUP, MERGE or PRUNE (PRUNE needs Couchbase Server 8.0).'),
      schedule: scheduleSchema,
      fullBackup: z
        .boolean()
        .optional()
        .describe('BACKUP tasks only: take a full backup instead of an incremental one (default false).'),
      merge: mergeOptionsSchema.optional(),
    })
    .describe('One scheduled task of the plan.'),
  [
    {
      rule: "self.type == 'BACKUP' || !has(self.fullBackup)",
      message: 'fullBackup is only allowed on BACKUP tasks',
      check: (t) => t.type === 'BACKUP' || t.fullBackup === undefined,
    },
    {
      rule: "self.type == 'MERGE' || !has(self.merge)",
      message: 'merge is only allowed on MERGE tasks',
      check: (t) => t.type === 'MERGE' || t.merge === undefined,
    },
    {
      rule: "self.type != 'MERGE' || has(self.merge)",
      message: 'MERGE tasks need merge.offsetStart and merge.offsetEnd',
      check: (t) => t.type !== 'MERGE' || t.merge !== undefined,
    },
  ],
);

/** Desired state of a BackupPlan. */
export const BackupPlanSpecSchema = withRules(
  z
    .object({
      serviceRef: localRef('BackupService', 'BackupService that holds this plan. Immutable.'),
      planName: z
        .string()
        .max(50)
        .regex(new RegExp(PLAN_NAME_PATTERN))
        .optional()
        .describe(
          'Name of the plan on the Backup Service: 1-50 letters, digits, _ or -, starting with a letter or digit (names starting with _ are reserved for built-in plans). Default: metadata.name. Immutable.',
        ),
      description: z
        .string()
        .max(140)
        .optional()
        .describe('Plan description shown in the Web Console (at most 140 characters).'),
      services: z
        .array(serviceNameSchema)
        .max(6)
        .meta({ 'x-kubernetes-list-type': 'set' })
        .optional()
        .describe('Services whose data the backups include. Unset or empty: all services.'),
      tasks: z
        .array(taskSchema)
        .min(1)
        .max(14)
        .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
        // The API server enforces unique keys of a list-type map itself; this mirrors it for parsing.
        .refine((tasks) => new Set(tasks.map((t) => t.name)).size === tasks.length, {
          message: 'task names must be unique',
        })
        .optional()
        .describe('1 to 14 scheduled tasks, keyed by name. Required unless managementPolicy is Observe.'),
      driftPolicy: driftPolicySchema,
      deletionPolicy: z
        .enum(PLAN_DELETION_POLICIES)
        .default('Retain')
        .describe(
          'What happens to the plan on the Backup Service when this object is deleted. Retain (default) keeps it; Delete removes it (the server refuses while a repository uses it).',
        ),
      managementPolicy: managementPolicySchema,
    })
    .describe('BackupPlanSpec is one plan (/plan/{name}) on a Backup Service.'),
  [
    {
      rule: "self.managementPolicy == 'Observe' || has(self.tasks)",
      message: 'tasks are required unless managementPolicy is Observe',
      check: (s) => s.managementPolicy === 'Observe' || s.tasks !== undefined,
    },
    immutableRequiredField('serviceRef'),
    immutableField('planName'),
  ],
);

const driftSchema = z
  .object({
    summary: z.string().max(1024).describe('One-line description of the differences.'),
    fields: z
      .array(z.string().max(256).describe('Field path.'))
      .max(32)
      .optional()
      .describe('Paths of the fields that differ between spec and the server plan (at most 32).'),
  })
  .describe('Differences between spec and the plan on the server, present while they differ.');

const repositoryIds = (what: string) =>
  z
    .array(z.string().max(128).describe('Repository id.'))
    .max(256)
    .optional()
    .describe(`${what} (at most 256).`);

const rolloutSchema = z
  .object({
    serverPlanName: z
      .string()
      .max(64)
      .describe('The plan version on the Backup Service that repositories are being switched to.'),
    retiring: z
      .array(z.string().max(64).describe('Plan name.'))
      .max(32)
      .optional()
      .describe(
        'Older versions of this plan still on the Backup Service; each is deleted once no repository uses it.',
      ),
    switched: repositoryIds('Repositories already on serverPlanName'),
    pending: repositoryIds('Repositories still on an older version'),
  })
  .describe(
    'Progress of a plan edit rolled out as a new server-side version (the Backup Service refuses to edit a plan in use); present while older versions remain.',
  );

/** Observed state of a BackupPlan. */
export const BackupPlanStatusSchema = z
  .object({
    ...managedStatusBase,
    planName: z
      .string()
      .max(64)
      .optional()
      .describe(
        'Name of the plan on the Backup Service that repositories use: spec.planName (default metadata.name), or <planName>-v<generation> after an edit of a plan in use was rolled out.',
      ),
    lastSyncedTime: timestampSchema
      .optional()
      .describe('When the operator last wrote the plan to the Backup Service.'),
    drift: driftSchema.optional(),
    rollout: rolloutSchema.optional(),
  })
  .describe('BackupPlanStatus reports whether the server plan matches the spec.');

const nameRule = {
  // metadata.name is already a DNS subdomain (lowercase alphanumerics, '-', '.'), so only dots and
  // length can break the rule; size() and contains() stay far below the CEL cost budget, where a
  // regex over a name of unknown length might not.
  rule: "has(self.spec.planName) || (self.metadata.name.size() <= 50 && !self.metadata.name.contains('.'))",
  message:
    'metadata.name is not a valid plan name (1-50 letters, digits, _ or -, no dots); set spec.planName',
  check: (o: { metadata: { name: string }; spec: BackupPlanSpec }) =>
    o.spec.planName !== undefined || new RegExp(PLAN_NAME_PATTERN).test(o.metadata.name),
};

/** A BackupPlan object. */
export const BackupPlanSchema = resourceSchema(backupPlanKind, BackupPlanSpecSchema, BackupPlanStatusSchema, [
  nameRule,
]);

export type BackupPlanSpec = z.infer<typeof BackupPlanSpecSchema>;
export type BackupPlanStatus = z.infer<typeof BackupPlanStatusSchema>;
export type BackupPlan = z.infer<typeof BackupPlanSchema>;
export type BackupPlanTask = z.infer<typeof taskSchema>;

/** CRD definition of BackupPlan. */
export const backupPlanDefinition: KindDefinition = {
  meta: backupPlanKind,
  description:
    'BackupPlan is a Backup Service plan: a schedule of up to 14 BACKUP, MERGE and PRUNE tasks that repositories use.',
  spec: BackupPlanSpecSchema,
  status: BackupPlanStatusSchema,
  rootRules: [nameRule],
  printerColumns: [
    readyColumn,
    {
      name: 'Synced',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Synced")].status',
      description: 'Whether the server plan matches the spec.',
    },
    {
      name: 'Plan',
      type: 'string',
      jsonPath: '.status.planName',
      description: 'Plan name on the Backup Service.',
    },
    { name: 'Service', type: 'string', jsonPath: '.spec.serviceRef.name', description: 'BackupService.' },
    {
      name: 'Policy',
      type: 'string',
      jsonPath: '.spec.managementPolicy',
      description: 'Management policy.',
      priority: 1,
    },
    ageColumn,
  ],
};
