import type { TaskRun } from '../../backup-api/index.ts';
import { BACKUP_NAME_PATTERN } from '../../crds/common.ts';

/** A backup name anywhere in a text (the pattern without its anchors). */
const BACKUP_NAME_IN_TEXT = new RegExp(BACKUP_NAME_PATTERN.slice(1, -1));
/** Go's zero time: the `end` of a task that has not ended. */
const ZERO_TIME_PREFIX = '0001-01-01';

/** Progress of a task in whole percent (0..100): the mean over its node runs. */
export function taskProgress(run: TaskRun): number {
  const nodes = run.node_runs ?? [];
  if (nodes.length === 0) return run.status === 'done' ? 100 : 0;
  const mean =
    nodes.reduce((sum, n) => sum + (Number.isFinite(n.progress) ? n.progress : 0), 0) / nodes.length;
  return Math.max(0, Math.min(100, Math.round(mean)));
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

/** A task's time field as RFC 3339, or undefined for Go's zero time or garbage. */
export function taskTime(value: string | undefined): string | undefined {
  if (!value || value.startsWith(ZERO_TIME_PREFIX) || Number.isNaN(Date.parse(value))) return undefined;
  return new Date(Date.parse(value)).toISOString();
}

/** The error of a failed task: the task's own, else the first node run's, else a generic one. */
export function taskError(run: TaskRun): string {
  const own = run.error?.trim();
  if (own) return own;
  for (const node of run.node_runs ?? []) if (node.error?.trim()) return node.error.trim();
  return `the task ended with status "${run.status}" and no error message`;
}

/** How a finished task (a task history entry) ended. */
export type TaskOutcome = { kind: 'succeeded' } | { kind: 'failed'; error: string };

/** Outcome of a task history entry: only `done` is success; failed, skipped, unknown are failures. */
export function taskOutcome(run: TaskRun): TaskOutcome {
  if (run.status === 'done') return { kind: 'succeeded' };
  return { kind: 'failed', error: taskError(run) };
}

/**
 * True once a followed task has been missing (neither running nor in history) since
 * `missingSinceMs` for at least `limitMs` (pure). A task can be absent from both for a moment
 * while it moves from running to history, so a single miss is not enough.
 */
export function hasVanished(missingSinceMs: number, nowMs: number, limitMs: number): boolean {
  return nowMs - missingSinceMs >= limitMs;
}
