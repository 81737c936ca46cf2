import { z } from 'zod';
import { withRules } from './cel.ts';
import { BACKUP_NAME_PATTERN, basicAuthSecretRef, serviceNameSchema } from './common.ts';
import { ageColumn, type KindDefinition, kindMeta, resourceSchema } from './kind.ts';
import { oneShotStatusFields, restoreSourceSchema } from './one-shot.ts';

/** Names of the BackupRestore kind (not `cbrestore`, which the Couchbase Autonomous Operator uses). */
export const backupRestoreKind = kindMeta('BackupRestore', 'backuprestores', ['cbbsrestore']);

/** TTL replacement modes (docs/backup-service-api.md §5.11 replace_ttl). */
export const REPLACE_TTL_MODES = ['None', 'All', 'Expired'] as const;

const BACKUP_OR_LATEST_PATTERN = `^(latest|${BACKUP_NAME_PATTERN.slice(1, -1)})$`;
// Keyspaces travel to the server as comma lists and mappings as `src=dst`, so neither may contain those.
const KEYSPACE_PATTERN = '^[^,=\\s]+$';
const TTL_WITH_PATTERN =
  '^(0|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))$';

const keyspaceSchema = z
  .string()
  .min(1)
  .max(300)
  .regex(new RegExp(KEYSPACE_PATTERN))
  .describe(
    'Keyspace: bucket, bucket.scope or bucket.scope.collection (escape dots in bucket names with a backslash).',
  );

const keyspaceList = (what: string) =>
  z.array(keyspaceSchema).min(1).max(100).meta({ 'x-kubernetes-list-type': 'set' }).optional().describe(what);

const mappingSchema = z
  .object({
    from: keyspaceSchema.describe('Keyspace in the backup.'),
    to: keyspaceSchema.describe('Keyspace to restore it into.'),
  })
  .describe('Restore one keyspace into another.');

/** Desired state of a BackupRestore (immutable). */
export const BackupRestoreSpecSchema = withRules(
  z
    .object({
      source: restoreSourceSchema,
      start: z
        .string()
        .max(64)
        .regex(new RegExp(BACKUP_OR_LATEST_PATTERN))
        .optional()
        .describe('Oldest backup to restore: a backup name or latest. Default: the oldest backup.'),
      end: z
        .string()
        .max(64)
        .regex(new RegExp(BACKUP_OR_LATEST_PATTERN))
        .optional()
        .describe('Newest backup to restore: a backup name or latest. Default: the newest backup.'),
      include: keyspaceList('Restore only these keyspaces. Excludes exclude.'),
      exclude: keyspaceList('Restore everything except these keyspaces. Excludes include.'),
      filterKeys: z
        .string()
        .min(1)
        .max(1024)
        .optional()
        .describe('Restore only documents whose key matches this regular expression.'),
      filterValues: z
        .string()
        .min(1)
        .max(1024)
        .optional()
        .describe('Restore only documents whose value matches this regular expression.'),
      mappings: z
        .array(mappingSchema)
        .max(100)
        .optional()
        .describe('Restore keyspaces under other names, e.g. from travel-sample to ts7.'),
      autoCreateBuckets: z.boolean().default(false).describe('Create missing target buckets.'),
      autoRemoveCollections: z
        .boolean()
        .default(false)
        .describe('Remove collections from the target that the backup deleted.'),
      enableBucketConfig: z.boolean().default(false).describe('Also restore bucket settings.'),
      forceUpdates: z
        .boolean()
        .default(false)
        .describe('Overwrite documents even when the target has a newer version.'),
      disableServices: z
        .array(serviceNameSchema)
        .max(6)
        .meta({ 'x-kubernetes-list-type': 'set' })
        .optional()
        .describe(
          'Services whose data is not restored (data, gsi, views, ft, eventing, cbas). Default: restore all.',
        ),
      replaceTTL: z
        .enum(REPLACE_TTL_MODES)
        .default('None')
        .describe(
          'Replace document expiry: None (default), All documents, or only Expired ones. Needs replaceTTLWith.',
        ),
      replaceTTLWith: z
        .string()
        .max(64)
        .regex(new RegExp(TTL_WITH_PATTERN))
        .optional()
        .describe('New expiry with replaceTTL: "0" (never expire) or an RFC 3339 time.'),
      target: z
        .object({
          address: z
            .string()
            .max(2048)
            .regex(/^(https?:\/\/)?[^\s/]+$/)
            .describe(
              'Cluster manager address of the target cluster, e.g. http://cb-other:8091 or https://cb-other:18091.',
            ),
          credentialsSecretRef: basicAuthSecretRef('of a user on the target cluster'),
        })
        .optional()
        .describe(
          'Cluster to restore into. Default: the cluster of the Backup Service, with its credentials.',
        ),
    })
    .describe('BackupRestoreSpec is one restore from a repository. Immutable.'),
  [
    {
      rule: '!(has(self.include) && has(self.exclude))',
      message: 'include and exclude are mutually exclusive',
      check: (s) => !(s.include !== undefined && s.exclude !== undefined),
    },
    {
      rule: "(self.replaceTTL == 'None') == !has(self.replaceTTLWith)",
      message: 'replaceTTLWith is required when replaceTTL is All or Expired, and not allowed with None',
      check: (s) => (s.replaceTTL === 'None') === (s.replaceTTLWith === undefined),
    },
    { rule: 'self == oldSelf', message: 'spec is immutable; create a new BackupRestore instead' },
  ],
);

/** Observed state of a BackupRestore. */
export const BackupRestoreStatusSchema = z
  .object({
    ...oneShotStatusFields,
    targetCluster: z.string().max(2048).optional().describe('Cluster the data was restored into.'),
  })
  .describe('BackupRestoreStatus follows the one restore task this object started.');

/** A BackupRestore object. */
export const BackupRestoreSchema = resourceSchema(
  backupRestoreKind,
  BackupRestoreSpecSchema,
  BackupRestoreStatusSchema,
);

export type BackupRestoreSpec = z.infer<typeof BackupRestoreSpecSchema>;
export type BackupRestoreStatus = z.infer<typeof BackupRestoreStatusSchema>;
export type BackupRestore = z.infer<typeof BackupRestoreSchema>;

/** CRD definition of BackupRestore. */
export const backupRestoreDefinition: KindDefinition = {
  meta: backupRestoreKind,
  description:
    'BackupRestore restores data once from an active, archived or imported repository, with every restore option of the Backup Service. Its spec is immutable.',
  spec: BackupRestoreSpecSchema,
  status: BackupRestoreStatusSchema,
  rootRules: [],
  printerColumns: [
    {
      name: 'Phase',
      type: 'string',
      jsonPath: '.status.phase',
      description: 'Pending, Running, Succeeded or Failed.',
    },
    {
      name: 'Repository',
      type: 'string',
      jsonPath: '.status.repositoryId',
      description: 'Source repository id.',
    },
    { name: 'Target', type: 'string', jsonPath: '.status.targetCluster', description: 'Target cluster.' },
    {
      name: 'Progress',
      type: 'number',
      jsonPath: '.status.progress',
      description: 'Progress in percent.',
      priority: 1,
    },
    { name: 'Task', type: 'string', jsonPath: '.status.taskName', description: 'Task name.', priority: 1 },
    ageColumn,
  ],
};
