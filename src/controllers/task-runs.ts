import type { TaskRun } from '../backup-api/index.ts';
import { BACKUP_NAME_PATTERN } from '../crds/common.ts';
import { TASK_RUN_TYPES, TASK_STATUSES } from '../crds/index.ts';

// How the operator reads a task run of the Backup Service (running, scheduled or in history), for
// every status that mirrors one. Pure.

/** Task type as the CRDs spell it. */
export type TaskRunType = (typeof TASK_RUN_TYPES)[number];
/** Task status as the CRDs spell it. */
export type TaskRunStatus = (typeof TASK_STATUSES)[number];

/** Go's zero time: the `end` of a task that has not ended. */
const ZERO_TIME_PREFIX = '0001-01-01';
/** A backup name anywhere in a text (the pattern without its anchors). */
const BACKUP_NAME_IN_TEXT = new RegExp(BACKUP_NAME_PATTERN.slice(1, -1));

/** The task type if the CRDs know it, else undefined (such a task is not mirrored). */
export function taskRunType(type: string): TaskRunType | undefined {
  return (TASK_RUN_TYPES as readonly string[]).includes(type) ? (type as TaskRunType) : undefined;
}

/** The task status if the CRDs know it, else `unknown`. */
export function taskRunStatus(status: string): TaskRunStatus {
  return (TASK_STATUSES as readonly string[]).includes(status) ? (status as TaskRunStatus) : 'unknown';
}

/**
 * A task's time field, or undefined for Go's zero time or garbage. `as-sent` keeps the service's
 * text (offset and precision as written); `utc` normalises it to `Date#toISOString`.
 */
export function taskTime(value: string | undefined, form: 'utc' | 'as-sent' = 'utc'): string | undefined {
  if (!value || value.startsWith(ZERO_TIME_PREFIX) || Number.isNaN(Date.parse(value))) return undefined;
  return form === 'as-sent' ? value : new Date(Date.parse(value)).toISOString();
}

/** Mean progress of a task's node runs in whole percent (0..100); undefined without node runs. */
export function meanNodeProgress(run: TaskRun): number | undefined {
  const nodes = run.node_runs ?? [];
  if (nodes.length === 0) return undefined;
  const mean =
    nodes.reduce((sum, n) => sum + (Number.isFinite(n.progress) ? n.progress : 0), 0) / nodes.length;
  return Math.max(0, Math.min(100, Math.round(mean)));
}

/** Progress of a task in whole percent (0..100): the node mean, else 100 when done and 0 before. */
export function taskProgress(run: TaskRun): number {
  return meanNodeProgress(run) ?? (run.status === 'done' ? 100 : 0);
}

/**
 * Name of the backup a backup or merge task produced, from its transfer description
 * ("Backing up to 2020-09-29T13_10_58.191631+01_00", "Merging to …"); undefined when absent.
 */
export function producedBackupName(run: TaskRun): string | undefined {
  for (const node of run.node_runs ?? []) {
    for (const transfer of node.stats?.transfers ?? []) {
      const match = BACKUP_NAME_IN_TEXT.exec(transfer.description);
      if (match) return match[0];
    }
  }
  return undefined;
}

/**
 * The error text of a task: its own, else the first node run's that has one; undefined when none.
 * `trim` drops surrounding whitespace and treats a blank text as none.
 */
export function taskErrorText(run: TaskRun, options: { trim?: boolean } = {}): string | undefined {
  const clean = (text: string | undefined) => (options.trim ? text?.trim() : text) || undefined;
  const own = clean(run.error);
  if (own) return own;
  for (const node of run.node_runs ?? []) {
    const text = clean(node.error);
    if (text) return text;
  }
  return undefined;
}

/** The error of a failed task: the task's own, else the first node run's (trimmed), else a generic one. */
export function taskError(run: TaskRun): string {
  return (
    taskErrorText(run, { trim: true }) ?? `the task ended with status "${run.status}" and no error message`
  );
}

/** How a finished task (a task history entry) ended. */
export type TaskOutcome = { kind: 'succeeded' } | { kind: 'failed'; error: string };

/** Outcome of a task history entry: only `done` is success; failed, skipped, unknown are failures. */
export function taskOutcome(run: TaskRun): TaskOutcome {
  if (run.status === 'done') return { kind: 'succeeded' };
  return { kind: 'failed', error: taskError(run) };
}
