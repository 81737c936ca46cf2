import { z } from 'zod';

/*
 * Wire shapes of the Backup Service REST API (docs/backup-service-api.md §2–§8). Field names stay snake_case as on
 * the wire so request types can be sent as they are and responses need no mapping.
 *
 * Response schemas are lenient: `z.looseObject` keeps unknown keys, lists and maps that Go may render
 * as `null` become empty, and status-like strings whose value set grows between versions are open
 * (known literals plus any string). Request schemas describe what we send; the server validates ranges.
 */

/** A string field with known values that newer servers may extend; keeps literal autocompletion. */
function openEnum<const T extends readonly string[]>(_values: T) {
  return z.custom<T[number] | (string & {})>((v) => typeof v === 'string', { message: 'expected string' });
}

/** A JSON array that Go renders as `null` when empty. */
function goList<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .nullable()
    .transform((v) => v ?? []);
}

/** A JSON object map that Go renders as `null` when empty. */
function goMap<T extends z.ZodType>(value: T) {
  return z
    .record(z.string(), value)
    .nullable()
    .transform((v) => v ?? {});
}

// ---------------------------------------------------------------------------------------------
// Plans (§2.1, §4)

export const SERVICES = ['data', 'gsi', 'views', 'ft', 'eventing', 'cbas'] as const;
export const serviceSchema = z.enum(SERVICES);
export type Service = z.infer<typeof serviceSchema>;

/** PRUNE exists only on 8.0+ servers. */
export const TASK_TYPES = ['BACKUP', 'MERGE', 'PRUNE'] as const;
export const taskTypeSchema = z.enum(TASK_TYPES);
export type TaskType = z.infer<typeof taskTypeSchema>;

export const PERIODS = [
  'MINUTES',
  'HOURS',
  'DAYS',
  'WEEKS',
  'MONDAY',
  'TUESDAY',
  'WEDNESDAY',
  'THURSDAY',
  'FRIDAY',
  'SATURDAY',
  'SUNDAY',
] as const;
export const periodSchema = z.enum(PERIODS);
export type Period = z.infer<typeof periodSchema>;

export const scheduleSchema = z.looseObject({
  /** Must equal the task's `task_type`. */
  job_type: taskTypeSchema,
  frequency: z.number().int(),
  period: periodSchema,
  /** "HH:MM", 24 h. */
  time: z.string().optional(),
  start_now: z.boolean().optional(),
});
export type Schedule = z.infer<typeof scheduleSchema>;

/** Merge window in days back from today; the key is `merge_options`, not the docs' `options` (§10.1). */
export const mergeOptionsSchema = z.looseObject({
  offset_start: z.number().int(),
  offset_end: z.number().int(),
});
export type MergeOptions = z.infer<typeof mergeOptionsSchema>;

export const planTaskSchema = z.looseObject({
  name: z.string(),
  task_type: taskTypeSchema,
  schedule: scheduleSchema,
  merge_options: mergeOptionsSchema.optional(),
  full_backup: z.boolean().optional(),
});
export type PlanTask = z.infer<typeof planTaskSchema>;

/** Body of `POST|PUT /plan/{name}`; the name travels in the path. */
export const planBodySchema = z.looseObject({
  description: z.string().optional(),
  /** null or [] = all services. */
  services: z.array(serviceSchema).nullable().optional(),
  tasks: z.array(planTaskSchema),
});
export type PlanBody = z.infer<typeof planBodySchema>;

export const planSchema = z.looseObject({
  name: z.string(),
  description: z.string().optional(),
  services: z.array(serviceSchema).nullable().optional(),
  /** Built-in plans (names starting with `_`); omitted when false. */
  default: z.boolean().optional(),
  tasks: goList(planTaskSchema),
});
export type Plan = z.infer<typeof planSchema>;

export const planListSchema = goList(planSchema);

// ---------------------------------------------------------------------------------------------
// Task runs (§2.3)

export const TASK_STATUSES = ['unknown', 'failed', 'done', 'running', 'waiting', 'skipped'] as const;
export const taskStatusSchema = openEnum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof taskStatusSchema>;

export const RUN_TYPES = ['BACKUP', 'MERGE', 'RESTORE', 'PRUNE'] as const;
export const runTypeSchema = openEnum(RUN_TYPES);
export type RunType = z.infer<typeof runTypeSchema>;

/** Per-bucket progress inside a transfer: cbbackupmgr's document, passed through. */
export const bucketTransferStatsSchema = z.looseObject({
  total_items: z.number().optional(),
  total_vbuckets: z.number().optional(),
  vbuckets_complete: z.number().optional(),
  bytes_received: z.number().optional(),
  complete: z.boolean().optional(),
  errored: z.boolean().optional(),
});

export const transferSchema = z.looseObject({
  /** e.g. "Backing up to 2020-09-29T13_10_58.191631+01_00"; the backup name is parsed from it. */
  description: z.string(),
  stats: z
    .looseObject({
      started_at: z.number().optional(),
      finished_at: z.number().optional(),
      buckets: goMap(bucketTransferStatsSchema).optional(),
      complete: z.boolean().optional(),
    })
    .optional(),
  progress: z.number().optional(),
  eta: z.string().optional(),
});
export type Transfer = z.infer<typeof transferSchema>;

export const runStatsSchema = z.looseObject({
  id: z.string().optional(),
  current_transfer: z.number().optional(),
  total_transfers: z.number().optional(),
  transfers: goList(transferSchema).optional(),
  progress: z.number().optional(),
  eta: z.string().optional(),
});
export type RunStats = z.infer<typeof runStatsSchema>;

export const nodeRunSchema = z.looseObject({
  node_id: z.string(),
  status: taskStatusSchema,
  start: z.string(),
  end: z.string(),
  progress: z.number(),
  stats: runStatsSchema.optional(),
  error: z.string().optional(),
  error_code: z.number().optional(),
  out: z.string().optional(),
});
export type NodeRun = z.infer<typeof nodeRunSchema>;

export const taskRunSchema = z.looseObject({
  /** Plan task name, or a generated one-off name (`BACKUP-<uuid>`, `restore-<uuid>`…): opaque. */
  task_name: z.string(),
  status: taskStatusSchema,
  start: z.string(),
  /** Go zero time "0001-01-01T00:00:00Z" while running. */
  end: z.string(),
  node_runs: goList(nodeRunSchema).optional(),
  error: z.string().optional(),
  /** 0 = no error. */
  error_code: z.number().optional(),
  type: runTypeSchema,
  target_cluster: z.string().optional(),
});
export type TaskRun = z.infer<typeof taskRunSchema>;

export const taskHistorySchema = goList(taskRunSchema);

// ---------------------------------------------------------------------------------------------
// Repositories (§2.2)

/** Path segment selecting a repository group; paused repositories live under `active`. */
export const REPOSITORY_PATH_STATES = ['active', 'archived', 'imported'] as const;
export const repositoryPathStateSchema = z.enum(REPOSITORY_PATH_STATES);
export type RepositoryPathState = z.infer<typeof repositoryPathStateSchema>;

export const REPOSITORY_STATES = ['active', 'paused', 'archived', 'imported'] as const;
export const repositoryStateSchema = openEnum(REPOSITORY_STATES);
export type RepositoryState = z.infer<typeof repositoryStateSchema>;

export const scheduledTaskSchema = z.looseObject({
  name: z.string(),
  task_type: openEnum(TASK_TYPES),
  next_run: z.string(),
});
export type ScheduledTask = z.infer<typeof scheduledTaskSchema>;

export const repositoryHealthSchema = z.looseObject({
  healthy: z.boolean(),
  health_issue: z.string().optional(),
});
export type RepositoryHealth = z.infer<typeof repositoryHealthSchema>;

export const cloudInfoSchema = z.looseObject({
  credentials_name: z.string().optional(),
  staging_dir: z.string().optional(),
  endpoint: z.string().optional(),
  force_path_style: z.boolean().optional(),
  provider: z.string().optional(),
});

export const repositorySchema = z.looseObject({
  id: z.string(),
  /** "" for imported repositories. */
  plan_name: z.string(),
  state: repositoryStateSchema,
  archive: z.string(),
  /** cbbackupmgr repository name inside the archive (a service-generated UUID). */
  repo: z.string(),
  bucket: z.looseObject({ name: z.string(), uuid: z.string().optional() }).optional(),
  /** Absent while paused, archived or imported. */
  scheduled: goMap(scheduledTaskSchema).optional(),
  running_tasks: goMap(taskRunSchema).optional(),
  running_one_off: goMap(taskRunSchema).optional(),
  version: z.number().optional(),
  /** Absent means healthy (couchbase-cli's reading). */
  health: repositoryHealthSchema.optional(),
  creation_time: z.string(),
  update_time: z.string(),
  cloud_info: cloudInfoSchema.optional(),
});
export type Repository = z.infer<typeof repositorySchema>;

export const repositoryListSchema = goList(repositorySchema);

// ---------------------------------------------------------------------------------------------
// Repository info (§2.4)

export const collectionInfoSchema = z.looseObject({
  id: z.number(),
  name: z.string(),
  mutations: z.number().optional(),
  tombstones: z.number().optional(),
});

export const scopeInfoSchema = z.looseObject({
  uid: z.number(),
  name: z.string(),
  mutations: z.number().optional(),
  tombstones: z.number().optional(),
  collections: goMap(collectionInfoSchema).optional(),
});

export const bucketInfoSchema = z.looseObject({
  name: z.string(),
  size: z.number(),
  items: z.number(),
  mutations: z.number(),
  tombstones: z.number(),
  views_count: z.number(),
  fts_count: z.number(),
  index_count: z.number(),
  analytics_count: z.number(),
  scopes: goMap(scopeInfoSchema).optional(),
});
export type BucketInfo = z.infer<typeof bucketInfoSchema>;

export const BACKUP_TYPES = ['FULL', 'INCR', 'MERGE - FULL'] as const;

export const backupInfoSchema = z.looseObject({
  /** The backup name, e.g. "2020-09-16T09_00_29.113465+01_00". */
  date: z.string(),
  type: openEnum(BACKUP_TYPES),
  /** Cluster address, or "Merge" for merged backups. */
  source: z.string(),
  /** Names of the backups combined by a merge. */
  range: goList(z.string()).optional(),
  events: z.number(),
  fts_alias: z.number(),
  size: z.number(),
  buckets: goList(bucketInfoSchema),
  complete: z.boolean(),
  source_cluster_uuid: z.string(),
});
export type BackupInfo = z.infer<typeof backupInfoSchema>;

export const repositoryInfoSchema = z.looseObject({
  /** The repository UUID (= Repository.repo). */
  name: z.string(),
  size: z.number(),
  /** Total number of backups, before pagination. */
  count: z.number().optional(),
  /** Oldest first. */
  backups: goList(backupInfoSchema),
});
export type RepositoryInfo = z.infer<typeof repositoryInfoSchema>;

// ---------------------------------------------------------------------------------------------
// Cluster, config, node threads (§2.5–§2.7)

export const clusterInfoSchema = z.looseObject({
  name: z.string(),
  /** Keyed by repository id; paused repositories included. */
  active: goMap(repositorySchema),
  archived: goMap(repositorySchema),
  imported: goMap(repositorySchema),
});
export type ClusterInfo = z.infer<typeof clusterInfoSchema>;

export const serviceConfigSchema = z.looseObject({
  /** MiB, 5..200. */
  history_rotation_size: z.number(),
  /** Days; 7.0.x only. */
  history_rotation_period: z.number().optional(),
});
export type ServiceConfig = z.infer<typeof serviceConfigSchema>;

export const serviceConfigUpdateSchema = z.strictObject({
  history_rotation_size: z.number().int().optional(),
  history_rotation_period: z.number().int().optional(),
});
export type ServiceConfigUpdate = z.infer<typeof serviceConfigUpdateSchema>;

/** Node UUID → thread count (0 = service default). */
export const nodesThreadsMapSchema = z.record(z.string(), z.number().int());
export type NodesThreadsMap = z.infer<typeof nodesThreadsMapSchema>;

export const nodesThreadsMapBodySchema = z.strictObject({ nodes_threads_map: nodesThreadsMapSchema });
export type NodesThreadsMapBody = z.infer<typeof nodesThreadsMapBodySchema>;

// ---------------------------------------------------------------------------------------------
// Repository requests (§5.4–§5.7)

/** Cloud fields shared by create and import. `cloud_credentials_key` is a secret: never log it. */
export const cloudRepositoryFieldsSchema = z.strictObject({
  cloud_credential_name: z.string().optional(),
  cloud_staging_dir: z.string().optional(),
  cloud_credentials_id: z.string().optional(),
  cloud_credentials_key: z.string().optional(),
  cloud_credentials_refresh_token: z.string().optional(),
  cloud_region: z.string().optional(),
  cloud_endpoint: z.string().optional(),
  cloud_force_path_style: z.boolean().optional(),
});

export const createRepositoryBodySchema = cloudRepositoryFieldsSchema.extend({
  plan: z.string(),
  /** Absolute path shared by all backup nodes, or `s3://…`, `az://…`, `gs://…`. */
  archive: z.string(),
  /** Omit for an all-buckets repository (`""` is unverified). */
  bucket_name: z.string().optional(),
  /** Post-8.0 servers only. */
  worm: z.number().int().optional(),
  default_retention: z.number().int().optional(),
  cloud_retention_delete_versions: z.boolean().optional(),
});
export type CreateRepositoryBody = z.infer<typeof createRepositoryBodySchema>;

export const importRepositoryBodySchema = cloudRepositoryFieldsSchema.extend({
  id: z.string(),
  /** cbbackupmgr repository name (UUID) inside the archive. */
  repo: z.string(),
  archive: z.string(),
});
export type ImportRepositoryBody = z.infer<typeof importRepositoryBodySchema>;

export const archiveRepositoryBodySchema = z.strictObject({ id: z.string() });
export type ArchiveRepositoryBody = z.infer<typeof archiveRepositoryBodySchema>;

// ---------------------------------------------------------------------------------------------
// Task triggers (§5.9–§5.12, §8)

/** Response of backup, merge, restore (and presumably prune). */
export const taskTriggerResponseSchema = z.looseObject({ task_name: z.string() });
export type TaskTriggerResponse = z.infer<typeof taskTriggerResponseSchema>;

export const backupBodySchema = z.strictObject({ full_backup: z.boolean().optional() });
export type BackupBody = z.infer<typeof backupBodySchema>;

/**
 * Immediate merge: `{}` merges everything; `{start,end}` names the inclusive backup range (what
 * tests exercise); `{offset_start,offset_end}` gives day offsets (documented, untested upstream).
 */
export const mergeBodySchema = z.union([
  z.strictObject({ start: z.string(), end: z.string(), data_range: z.string().optional() }),
  z.strictObject({ offset_start: z.number().int(), offset_end: z.number().int() }),
  z.strictObject({}),
]);
export type MergeBody = z.infer<typeof mergeBodySchema>;

export const REPLACE_TTL_MODES = ['none', 'all', 'expired'] as const;

/** §5.11. `password` is a secret: never log it. */
export const restoreBodySchema = z.strictObject({
  /** Target cluster management address incl. port, e.g. "http://10.0.0.1:8091". */
  target: z.string(),
  user: z.string(),
  password: z.string(),
  /** Oldest backup name of the range. */
  start: z.string().optional(),
  /** Newest backup name of the range. */
  end: z.string().optional(),
  /** Comma lists of `bucket[.scope[.collection]]`. */
  include_data: z.string().optional(),
  exclude_data: z.string().optional(),
  /** Comma list of `src=dst` keyspace mappings. */
  map_data: z.string().optional(),
  filter_keys: z.string().optional(),
  filter_values: z.string().optional(),
  auto_create_buckets: z.boolean().optional(),
  auto_remove_collections: z.boolean().optional(),
  enable_bucket_config: z.boolean().optional(),
  force_updates: z.boolean().optional(),
  disable_analytics: z.boolean().optional(),
  disable_data: z.boolean().optional(),
  disable_eventing: z.boolean().optional(),
  disable_ft: z.boolean().optional(),
  disable_gsi_indexes: z.boolean().optional(),
  disable_views: z.boolean().optional(),
  replace_ttl: z.enum(REPLACE_TTL_MODES).optional(),
  /** "0" or an RFC 3339 time; required when replace_ttl ≠ none. */
  replace_ttl_with: z.string().optional(),
});
export type RestoreBody = z.infer<typeof restoreBodySchema>;

export const examineBodySchema = z.strictObject({
  key: z.string(),
  /** `bucket[.scope.collection]`; dots inside a bucket name escaped with a backslash. */
  data_path: z.string(),
  backups: z.string().optional(),
});
export type ExamineBody = z.infer<typeof examineBodySchema>;

/** Documented examine shape: one object per document version (§5.12, docs/swagger). */
export const examineDocumentSchema = z.looseObject({
  backup: z.string(),
  key: z.string(),
  sequence_number: z.number().optional(),
  value: z.unknown().optional(),
  metadata: z
    .looseObject({
      flags: z.number().optional(),
      expiry: z.number().optional(),
      locktime: z.number().optional(),
      cas: z.union([z.number(), z.string()]).optional(),
      revseqno: z.number().optional(),
      datatype: z.number().optional(),
    })
    .optional(),
  deleted: z.boolean().optional(),
});
export type ExamineDocument = z.infer<typeof examineDocumentSchema>;

/** Newer examine shape (cbbackupmgr timeline): one element per backup, fields beyond `document` unknown. */
export const examineTimelineEntrySchema = z.looseObject({
  backup: z.string().optional(),
  document: z.looseObject({ value: z.unknown().optional() }).nullish(),
});
export type ExamineTimelineEntry = z.infer<typeof examineTimelineEntrySchema>;

/**
 * Examine body after splitting it into its top-level JSON values: NDJSON lines holding arrays
 * (timeline shape, flattened) or a sequence of document objects (documented shape). Empty → no documents.
 */
export const examineResponseSchema = z.union([
  z
    .array(z.array(examineTimelineEntrySchema))
    .min(1)
    .transform((lines) => ({ shape: 'timeline' as const, entries: lines.flat() })),
  z.array(examineDocumentSchema).transform((documents) => ({ shape: 'documents' as const, documents })),
]);
/** Examine results, tagged by the shape the server used. */
export type ExamineResult = z.infer<typeof examineResponseSchema>;

/** Prune's response is undocumented; assumed `{task_name}` but an empty body is accepted. */
export const pruneResponseSchema = z.looseObject({ task_name: z.string().optional() });
export type PruneResponse = z.infer<typeof pruneResponseSchema>;

/** 8.0 repository retention. `period` in days, 0..36500, 0 = keep forever. */
export const retentionSettingsBodySchema = z.strictObject({
  period: z.number().int(),
  retroactive: z.boolean().optional(),
});
export type RetentionSettingsBody = z.infer<typeof retentionSettingsBodySchema>;

/** 8.0 per-backup retention override (body shape inferred, §10.18). */
export const backupRetentionBodySchema = z.strictObject({ period: z.number().int() });
export type BackupRetentionBody = z.infer<typeof backupRetentionBodySchema>;

export const expiredBackupsEntrySchema = z.looseObject({
  expired_backups: goList(z.string()),
  expired_backups_with_non_expired_dependents: goList(z.string()).optional(),
});
export type ExpiredBackupsEntry = z.infer<typeof expiredBackupsEntrySchema>;

export const expiredBackupsSchema = goList(expiredBackupsEntrySchema);
