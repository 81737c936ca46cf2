import type { RepositoryInfo, TaskRun } from '../../backup-api/index.ts';
import type { TASK_RESULTS } from '../../crds/index.ts';
import type { BackupRepositoryResource } from '../resources.ts';
import { byCodeUnits } from '../runtime/index.ts';
import { producedBackupName, type TaskRunType, taskRunType, taskTime } from '../task-runs.ts';

// What the task history adds up to, for the metrics: outcomes counted once each, and the duration
// and size of the last successful backup. Pure.

type Status = NonNullable<BackupRepositoryResource['status']>;
type TaskResult = (typeof TASK_RESULTS)[number];
type Outcomes = NonNullable<Status['taskOutcomes']>;

/** The result a finished task is counted under; undefined for a task that has not finished. */
export function taskResult(status: string): TaskResult | undefined {
  if (status === 'done') return 'succeeded';
  if (status === 'failed') return 'failed';
  if (status === 'skipped') return 'skipped';
  return undefined;
}

/**
 * The outcome counts after one history read. A finished task is counted when it was not among the
 * finished tasks of the previous `status.recentTasks`: the newest history page already counted is
 * the high-water mark, and it lives in status, so an operator restart or a new leader reading the
 * same history counts nothing twice. Before any count exists (a new object, or one written by an
 * older operator) every finished task of the page is counted. More finished tasks between two
 * reads than one history page holds are counted only up to the page (an undercount, never more).
 */
export function countTaskOutcomes(
  history: readonly TaskRun[],
  previous: Pick<Status, 'recentTasks' | 'taskOutcomes'> | undefined,
): Outcomes {
  // A run is its name and start: scheduled runs of one plan task all carry the task's name.
  const counted = new Set(
    previous?.taskOutcomes === undefined
      ? []
      : (previous.recentTasks ?? [])
          .filter((t) => taskResult(t.status))
          .map((t) => runIdentity(t.taskName, t.startTime)),
  );
  const counts = new Map<string, { type: TaskRunType; result: TaskResult; count: number }>();
  for (const o of previous?.taskOutcomes ?? []) counts.set(`${o.type}/${o.result}`, { ...o });
  for (const t of history) {
    const type = taskRunType(t.type);
    const result = taskResult(t.status);
    if (!type || !result || counted.has(runIdentity(t.task_name, taskTime(t.start, 'as-sent')))) continue;
    const key = `${type}/${result}`;
    const entry = counts.get(key) ?? { type, result, count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  return [...counts.values()].sort((a, b) => byCodeUnits(a.type, b.type) || byCodeUnits(a.result, b.result));
}

/** One task run: its name and start as status records them. */
const runIdentity = (name: string, start: string | undefined): string => `${name}|${start ?? ''}`;

/**
 * Duration and size of the most recent successful BACKUP task in the history page; the previous
 * value when the page holds none (it may have scrolled past). The size is the produced backup's
 * entry in `/info` (kept while the same task stays the last one).
 */
export function lastSuccessfulBackupOf(
  history: readonly TaskRun[],
  info: RepositoryInfo,
  previous: Status['lastSuccessfulBackup'],
): Status['lastSuccessfulBackup'] {
  const task = history.find((t) => t.type === 'BACKUP' && t.status === 'done');
  if (!task) return previous;
  const start = taskTime(task.start);
  const end = taskTime(task.end);
  const durationSeconds =
    start && end ? Math.max(0, Math.round((Date.parse(end) - Date.parse(start)) / 1000)) : undefined;
  const name = producedBackupName(task);
  const backup = name === undefined ? undefined : info.backups.find((b) => b.date === name);
  // A later merge folds the backup away; the size it had stays the last backup's size.
  const size = backup
    ? Math.max(0, Math.round(backup.size))
    : previous?.taskName === task.task_name
      ? previous.size
      : undefined;
  return {
    taskName: task.task_name,
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
    ...(size === undefined ? {} : { size }),
  };
}
