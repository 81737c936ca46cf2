/**
 * The Backup Service's own records as the emulator stores and serves them (docs/backup-service-api.md §2).
 * Field names are the REST API's snake_case names so records serialise without mapping.
 */

// The plan vocabulary is the service's own (§2.1), shared with the client's schemas.
import { PERIODS, SERVICES, TASK_TYPES } from '../backup-api/schemas.ts';
import type { ObjectStoreAccess } from './object-store/access.ts';

export { PERIODS, SERVICES, TASK_TYPES };
export type Service = (typeof SERVICES)[number];
export type TaskType = (typeof TASK_TYPES)[number];
export type Period = (typeof PERIODS)[number];

export const PROFILES = ['7.2', '7.6', '8.0'] as const;
export type Profile = (typeof PROFILES)[number];

export const ROLES = ['admin', 'backup_admin', 'ro_admin'] as const;
export type Role = (typeof ROLES)[number];

export interface TaskSchedule {
  job_type: TaskType;
  frequency: number;
  period: Period;
  time?: string;
  start_now?: boolean;
}

export interface MergeOptions {
  offset_start: number;
  offset_end: number;
}

export interface TaskTemplate {
  name: string;
  task_type: TaskType;
  schedule: TaskSchedule;
  merge_options?: MergeOptions;
  full_backup?: boolean;
}

export interface Plan {
  name: string;
  description?: string;
  services: Service[] | null;
  default?: boolean;
  tasks: TaskTemplate[];
}

export const TASK_STATUS = {
  unknown: 'unknown',
  failed: 'failed',
  done: 'done',
  running: 'running',
  waiting: 'waiting',
  skipped: 'skipped',
} as const;
export type TaskStatus = (typeof TASK_STATUS)[keyof typeof TASK_STATUS];

export type RunType = 'BACKUP' | 'MERGE' | 'RESTORE' | 'PRUNE';

export interface NodeRun {
  node_id: string;
  status: TaskStatus;
  start: string;
  end: string;
  progress: number;
  stats?: Record<string, unknown>;
  error?: string;
  error_code: number;
}

export interface TaskRun {
  task_name: string;
  status: TaskStatus;
  start: string;
  end: string;
  node_runs: NodeRun[];
  error?: string;
  error_code: number;
  type: RunType;
  target_cluster?: string;
}

export type RepoState = 'active' | 'paused' | 'archived' | 'imported';
/** Path segments of `/cluster/self/repository/{state}`: paused repositories live under `active`. */
export const PATH_STATES = ['active', 'archived', 'imported'] as const;
export type PathState = (typeof PATH_STATES)[number];

export interface CloudInfo {
  credentials_name?: string;
  staging_dir?: string;
  endpoint?: string;
  force_path_style?: boolean;
  provider?: string;
}

/** 8.0 retention: days (0 = keep forever) plus per-backup overrides. */
export interface RetentionSettings {
  period: number;
  retroactive: boolean;
  per_backup: Record<string, number>;
}

/** A repository as persisted: the public fields plus emulator-internal bookkeeping. */
export interface RepositoryRecord {
  /** Internal identity that survives archiving (history files are keyed by it). */
  key: string;
  id: string;
  plan_name: string;
  state: RepoState;
  archive: string;
  repo: string;
  bucket?: { name: string; uuid: string };
  version: number;
  creation_time: string;
  update_time: string;
  cloud_info?: CloudInfo;
  /** Object-store repositories: how to reach the store (secret; never in a public view). */
  cloud_access?: ObjectStoreAccess;
  /** Object-store repositories: why the last location check failed; absent while reachable. */
  location_issue?: string;
  /** next_run per task name; kept while paused so resume can restore it (§5.8). */
  next_runs: Record<string, string>;
  running_tasks: Record<string, TaskRun>;
  running_one_off: Record<string, TaskRun>;
  retention?: RetentionSettings;
}

export interface ServiceConfig {
  history_rotation_size: number;
}

/** Go's zero time, the `end` of unfinished tasks (§1.4). */
export const ZERO_TIME = '0001-01-01T00:00:00Z';
