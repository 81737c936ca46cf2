import { parseDurationMs } from '../../crds/duration.ts';
import { CONDITION_TYPES } from '../../crds/index.ts';
import type { BackupRepositoryResource } from '../resources.ts';
import {
  type Condition,
  type ConditionInput,
  findCondition,
  metaTime,
  removeCondition,
  setCondition,
} from '../runtime/index.ts';

type Repo = BackupRepositoryResource;
type Status = NonNullable<Repo['status']>;

/** Reasons of the BackupsSucceeding and RPOMet conditions (machine-readable, never reworded). */
export const BACKUP_HEALTH_REASONS = {
  lastBackupSucceeded: 'LastBackupSucceeded',
  lastBackupFailed: 'LastBackupFailed',
  neverSucceeded: 'NeverSucceeded',
  noBackupYet: 'NoBackupYet',
  withinObjective: 'WithinObjective',
  noSuccessSince: 'NoSuccessSince',
  serviceUnreadable: 'ServiceUnreadable',
} as const;
const R = BACKUP_HEALTH_REASONS;

/**
 * A deadline is looked at this long after it passed: the status is computed a moment after the
 * requeue fires, and must see the deadline behind it.
 */
export const RPO_REQUEUE_MARGIN_MS = 500;

/** What the two backup-health conditions are computed from (pure inputs). */
export interface BackupHealthInput {
  spec: Pick<Repo['spec'], 'rpo' | 'import'>;
  /** The object's creationTimestamp: the RPO clock starts there while no backup succeeded. */
  createdAt: string | undefined;
  /** False when this reconcile could not read the Backup Service (stale poll, no connection). */
  readable: boolean;
  generation: number;
  now: Date;
}

/** The newest finished backup task in the mirrored history (newest first), if any. */
function lastFinishedBackup(status: Status) {
  return status.recentTasks?.find(
    (t) => t.type === 'BACKUP' && (t.status === 'done' || t.status === 'failed'),
  );
}

/**
 * BackupsSucceeding (pure): whether the newest finished backup in the task history succeeded. With
 * no backup in the mirrored history window the last verdict stands (or, with a known successful
 * backup, True). Unknown while the service cannot be read, or before any backup ran.
 */
export function backupsSucceeding(status: Status, readable: boolean, generation: number): ConditionInput {
  const type = CONDITION_TYPES.BackupsSucceeding;
  const base = { type, observedGeneration: generation };
  if (!readable) {
    return {
      ...base,
      status: 'Unknown',
      reason: R.serviceUnreadable,
      message: 'The Backup Service could not be read; the outcome of its latest backups is not known.',
    };
  }
  const last = lastFinishedBackup(status);
  if (last?.status === 'failed') {
    const error = last.error ? `: ${last.error}` : '';
    return status.lastSuccessfulBackupTime
      ? {
          ...base,
          status: 'False',
          reason: R.lastBackupFailed,
          message: `Backup task ${last.taskName} started at ${last.startTime ?? 'an unknown time'} failed${error}. The last successful backup started at ${status.lastSuccessfulBackupTime}.`,
        }
      : {
          ...base,
          status: 'False',
          reason: R.neverSucceeded,
          message: `Backup task ${last.taskName} started at ${last.startTime ?? 'an unknown time'} failed${error}. No backup of this repository has succeeded yet.`,
        };
  }
  const succeeded = (taskName: string | undefined): ConditionInput => ({
    ...base,
    status: 'True',
    reason: R.lastBackupSucceeded,
    message: taskName
      ? `Backup task ${taskName} started at ${status.lastSuccessfulBackupTime ?? 'an unknown time'} succeeded.`
      : `The last finished backup succeeded (started at ${status.lastSuccessfulBackupTime}).`,
  });
  if (last) return succeeded(last.taskName);
  const previous = findCondition(status.conditions as Condition[] | undefined, type);
  if (previous && previous.status !== 'Unknown') {
    return { ...base, status: previous.status, reason: previous.reason, message: previous.message };
  }
  if (status.lastSuccessfulBackupTime) return succeeded(undefined);
  return {
    ...base,
    status: 'Unknown',
    reason: R.noBackupYet,
    message: 'No backup of this repository has finished yet.',
  };
}

/** When the RPO is (or was) missed, in epoch ms (pure); undefined without an RPO or a start. */
export function rpoDeadlineMs(
  rpo: string | undefined,
  lastSuccess: string | undefined,
  createdAt: string | undefined,
): number | undefined {
  if (!rpo) return undefined;
  const from = Date.parse(lastSuccess ?? createdAt ?? '');
  return Number.isNaN(from) ? undefined : from + parseDurationMs(rpo);
}

/** Whether an RPO applies to a repository in this state (an archived or imported one takes no backups). */
export function rpoApplies(spec: Pick<Repo['spec'], 'rpo' | 'import'>, state: Status['state']): boolean {
  return spec.rpo !== undefined && spec.import === undefined && state !== 'Archived' && state !== 'Imported';
}

/**
 * RPOMet (pure): True until `rpo` has passed since the start of the last successful backup (since
 * the object's creation while there is none), then False. The message names only fixed times, so
 * that time passing rewrites nothing until the verdict flips. Unknown while the service cannot be
 * read; undefined (no condition) without an RPO that applies.
 */
export function rpoMet(status: Status, input: BackupHealthInput): ConditionInput | undefined {
  const { spec, createdAt, readable, generation, now } = input;
  if (!rpoApplies(spec, status.state) || !spec.rpo) return undefined;
  const base = { type: CONDITION_TYPES.RPOMet, observedGeneration: generation };
  const last = status.lastSuccessfulBackupTime;
  if (!readable) {
    return {
      ...base,
      status: 'Unknown',
      reason: R.serviceUnreadable,
      message: `The Backup Service could not be read; the last successful backup known started at ${last ?? 'no time (none yet)'}.`,
    };
  }
  const deadline = rpoDeadlineMs(spec.rpo, last, createdAt);
  if (deadline === undefined) return undefined;
  const at = metaTime(new Date(deadline));
  if (now.getTime() < deadline) {
    return {
      ...base,
      status: 'True',
      reason: R.withinObjective,
      message: last
        ? `The last successful backup started at ${last}; the objective of ${spec.rpo} holds until ${at}.`
        : `No backup has succeeded yet; the first is due by ${at} (${spec.rpo} after creation).`,
    };
  }
  return last
    ? {
        ...base,
        status: 'False',
        reason: R.noSuccessSince,
        message: `No successful backup since the one started at ${last}: the objective of ${spec.rpo} was missed at ${at}.`,
      }
    : {
        ...base,
        status: 'False',
        reason: R.neverSucceeded,
        message: `No backup has succeeded since the repository was created at ${createdAt}: the objective of ${spec.rpo} was missed at ${at}.`,
      };
}

/**
 * Sets BackupsSucceeding and RPOMet (pure); an imported repository takes neither (it runs no
 * backups), and RPOMet is removed where no RPO applies.
 */
export function withBackupHealth(status: Status, input: BackupHealthInput): Status {
  let conditions = (status.conditions ?? []) as Condition[];
  if (input.spec.import) {
    conditions = removeCondition(conditions, CONDITION_TYPES.BackupsSucceeding);
  } else {
    conditions = setCondition(
      conditions,
      backupsSucceeding(status, input.readable, input.generation),
      input.now,
    );
  }
  const rpo = rpoMet(status, input);
  conditions = rpo
    ? setCondition(conditions, rpo, input.now)
    : removeCondition(conditions, CONDITION_TYPES.RPOMet);
  return { ...status, conditions };
}

/**
 * When to look again so that time passing alone flips RPOMet (pure): just after the deadline while
 * the objective still holds, undefined once it is missed (a new backup re-enqueues the object).
 */
export function rpoRequeueMs(
  spec: Pick<Repo['spec'], 'rpo' | 'import'>,
  state: Status['state'],
  lastSuccess: string | undefined,
  createdAt: string | undefined,
  nowMs: number,
): number | undefined {
  if (!rpoApplies(spec, state)) return undefined;
  const deadline = rpoDeadlineMs(spec.rpo, lastSuccess, createdAt);
  if (deadline === undefined || deadline <= nowMs) return undefined;
  return deadline - nowMs + RPO_REQUEUE_MARGIN_MS;
}
