import { CONDITION_TYPES } from '../../crds/index.ts';
import { CLOCK_SKEW_MARGIN_MS } from '../intent/index.ts';
import type { BackupRepositoryResource } from '../resources.ts';
import { type EventInput, EventType } from '../runtime/index.ts';
import { REPOSITORY_REASONS } from './desired.ts';

type Repo = BackupRepositoryResource;
type Status = NonNullable<Repo['status']>;
type RecentTask = NonNullable<Status['recentTasks']>[number];

/** Event reasons a BackupRepository's status writes stand for (machine-readable, never reworded). */
export const STATUS_EVENTS = {
  backupSucceeded: 'BackupSucceeded',
  backupFailed: 'BackupFailed',
  mergeSucceeded: 'MergeSucceeded',
  mergeFailed: 'MergeFailed',
  pruneSucceeded: 'PruneSucceeded',
  pruneFailed: 'PruneFailed',
  restoreSucceeded: 'RestoreSucceeded',
  restoreFailed: 'RestoreFailed',
  rpoMissed: 'RPOMissed',
  rpoRestored: 'RPORestored',
  driftDetected: 'DriftDetected',
  adopted: 'Adopted',
} as const;

const TASK_EVENT: Record<RecentTask['type'], { succeeded: string; failed: string; noun: string }> = {
  BACKUP: { succeeded: STATUS_EVENTS.backupSucceeded, failed: STATUS_EVENTS.backupFailed, noun: 'Backup' },
  MERGE: { succeeded: STATUS_EVENTS.mergeSucceeded, failed: STATUS_EVENTS.mergeFailed, noun: 'Merge' },
  PRUNE: { succeeded: STATUS_EVENTS.pruneSucceeded, failed: STATUS_EVENTS.pruneFailed, noun: 'Prune' },
  RESTORE: {
    succeeded: STATUS_EVENTS.restoreSucceeded,
    failed: STATUS_EVENTS.restoreFailed,
    noun: 'Restore',
  },
};

/** The action written on the Events of tasks seen finishing in the server's history. */
export const OBSERVE_TASK_ACTION = 'ObserveTask';

/** One run of a task: scheduled tasks reuse their plan task name, so the times tell runs apart. */
const runKey = (t: RecentTask) => `${t.taskName}|${t.startTime ?? ''}|${t.endTime ?? ''}`;

/**
 * The tasks of `after`'s history that `before` did not show (pure), oldest first: each is seen
 * finishing once, whichever process sees it, because the history it is compared with is the one
 * persisted in status. On the first history read of an object (`before` has no backup summary) tasks
 * that ended before the object existed are history, not news: an adopted repository does not replay
 * its past.
 */
export function newlyFinishedTasks(
  before: Status | undefined,
  after: Status,
  createdAt: string | undefined,
): RecentTask[] {
  const seen = new Set((before?.recentTasks ?? []).map(runKey));
  const firstRead = before?.backups === undefined;
  const since = Date.parse(createdAt ?? '') - CLOCK_SKEW_MARGIN_MS;
  return (after.recentTasks ?? [])
    .filter((t) => t.status === 'done' || t.status === 'failed')
    .filter((t) => !seen.has(runKey(t)))
    .filter((t) => {
      if (!firstRead || Number.isNaN(since)) return true;
      const at = Date.parse(t.endTime ?? t.startTime ?? '');
      return Number.isNaN(at) || at >= since;
    })
    .reverse();
}

/** The Event of one task seen finishing (pure): Normal when it succeeded, Warning with the server's error. */
export function taskFinishedEvent(t: RecentTask): EventInput {
  const names = TASK_EVENT[t.type];
  const started = t.startTime ? ` started at ${t.startTime}` : '';
  if (t.status === 'failed') {
    return {
      type: EventType.Warning,
      reason: names.failed,
      action: OBSERVE_TASK_ACTION,
      note: `${names.noun} task ${t.taskName}${started} failed: ${t.error ?? 'the Backup Service gave no error text'}`,
    };
  }
  return {
    type: EventType.Normal,
    reason: names.succeeded,
    action: OBSERVE_TASK_ACTION,
    note: `${names.noun} task ${t.taskName}${started} succeeded${t.backupName ? ` (backup ${t.backupName})` : ''}`,
  };
}

const conditionOf = (s: Status | undefined, type: string) => s?.conditions?.find((c) => c.type === type);

/**
 * The Events a status write of a BackupRepository stands for (pure), beyond Ready and Stalled: every
 * task seen finishing, RPO missed and restored, drift detected (Report or Observe), and adoption of
 * a repository the operator found instead of creating. A repeat after the service was unreadable
 * (RPOMet Unknown in between) reports a still-missed RPO again rather than not at all.
 */
export function repositoryStatusEvents(
  obj: Repo,
  before: Status | undefined,
  after: Status,
  madeHere: boolean,
): EventInput[] {
  const events = newlyFinishedTasks(before, after, obj.metadata.creationTimestamp).map(taskFinishedEvent);
  const rpo = conditionOf(after, CONDITION_TYPES.RPOMet);
  const rpoBefore = conditionOf(before, CONDITION_TYPES.RPOMet);
  if (rpo?.status === 'False' && rpoBefore?.status !== 'False') {
    events.push({
      type: EventType.Warning,
      reason: STATUS_EVENTS.rpoMissed,
      action: 'CheckRPO',
      note: rpo.message,
    });
  }
  if (rpo?.status === 'True' && rpoBefore?.status === 'False') {
    events.push({
      type: EventType.Normal,
      reason: STATUS_EVENTS.rpoRestored,
      action: 'CheckRPO',
      note: rpo.message,
    });
  }
  const synced = conditionOf(after, CONDITION_TYPES.Synced);
  const syncedBefore = conditionOf(before, CONDITION_TYPES.Synced);
  if (synced?.reason === REPOSITORY_REASONS.drifted && syncedBefore?.reason !== REPOSITORY_REASONS.drifted) {
    events.push({
      type: EventType.Warning,
      reason: STATUS_EVENTS.driftDetected,
      action: 'CompareSpec',
      note: synced.message,
    });
  }
  if (
    obj.spec.managementPolicy !== 'Observe' &&
    !madeHere &&
    before?.state === undefined &&
    after.state !== undefined
  ) {
    events.push({
      type: EventType.Normal,
      reason: STATUS_EVENTS.adopted,
      action: 'Adopt',
      note: `Adopted repository ${after.repositoryId ?? obj.metadata.name}, found on the Backup Service (${after.state}${after.planName ? `, plan ${after.planName}` : ''})`,
    });
  }
  return events;
}
