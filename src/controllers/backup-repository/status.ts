import type { RepositoryInfo, TaskRun } from '../../backup-api/index.ts';
import { CONDITION_TYPES } from '../../crds/index.ts';
import type { ObservedRepository } from '../cluster-observations.ts';
import type { BackupRepositoryResource } from '../resources.ts';
import { byCodeUnits, type Condition, KStatusState, setCondition, setKStatus } from '../runtime/index.ts';
import {
  meanNodeProgress,
  producedBackupName,
  taskErrorText,
  taskRunStatus,
  taskRunType,
  taskTime,
} from '../task-runs.ts';
import { REPOSITORY_REASONS } from './desired.ts';
import { countTaskOutcomes, lastSuccessfulBackupOf } from './task-outcomes.ts';

type Status = NonNullable<BackupRepositoryResource['status']>;

/** At most this many finished tasks are mirrored (the schema's bound). */
export const RECENT_TASKS_LIMIT = 10;
const ERROR_TEXT_MAX = 1024;

const truncate = (s: string) => (s.length > ERROR_TEXT_MAX ? `${s.slice(0, ERROR_TEXT_MAX - 1)}…` : s);
/** Status mirrors the service's times as it wrote them. */
const validTime = (s: string | undefined): string | undefined => taskTime(s, 'as-sent');

/** The time a backup name stands for (`2020-09-29T13_10_58.1+01_00` → RFC 3339), if it parses. */
export function backupNameTime(name: string): string | undefined {
  const t = name.indexOf('T');
  if (t < 0) return undefined;
  const iso = name.slice(0, t) + name.slice(t).replaceAll('_', ':');
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

/** Error text of a task as the service wrote it (its own, else the first node's), bounded. */
function taskError(t: TaskRun): string | undefined {
  const text = taskErrorText(t);
  return text ? truncate(text) : undefined;
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

/** Fields of status that come from the repository entry of `GET /cluster/self` (pure). */
export function mirrorRepository(observed: ObservedRepository): Partial<Status> {
  const r = observed.repository;
  const state =
    observed.state === 'archived'
      ? 'Archived'
      : observed.state === 'imported'
        ? 'Imported'
        : r.state === 'paused'
          ? 'Paused'
          : 'Active';
  const nextRuns = Object.values(r.scheduled ?? {})
    .flatMap((s) => {
      const type = taskRunType(s.task_type);
      const time = validTime(s.next_run);
      return type && time ? [{ taskName: s.name, type, time }] : [];
    })
    .sort((a, b) => byCodeUnits(a.taskName, b.taskName))
    .slice(0, 14);
  const running = [
    ...Object.values(r.running_tasks ?? {}).map((t) => ({ t, oneOff: false })),
    ...Object.values(r.running_one_off ?? {}).map((t) => ({ t, oneOff: true })),
  ]
    .flatMap(({ t, oneOff }) => {
      const type = taskRunType(t.type);
      if (!type) return [];
      const progress = meanNodeProgress(t);
      return [
        {
          taskName: t.task_name,
          type,
          status: taskRunStatus(t.status),
          oneOff,
          ...optional('startTime', validTime(t.start)),
          ...optional('progress', progress),
        },
      ];
    })
    .sort((a, b) => byCodeUnits(a.taskName, b.taskName))
    .slice(0, 32);
  return {
    repositoryId: r.id,
    state,
    planName: r.plan_name,
    repo: r.repo,
    archive: r.archive,
    health: {
      healthy: r.health?.healthy ?? true,
      ...optional('issue', r.health?.health_issue ? truncate(r.health.health_issue) : undefined),
    },
    ...optional('nextRuns', nextRuns.length > 0 ? nextRuns : undefined),
    ...optional('runningTasks', running.length > 0 ? running : undefined),
  };
}

/** Backup summary from `GET …/info` (pure); backups are listed oldest first. */
export function summarizeBackups(info: RepositoryInfo): NonNullable<Status['backups']> {
  const ref = (name: string | undefined) =>
    name === undefined ? undefined : { name, ...optional('time', backupNameTime(name)) };
  const backups = info.backups;
  const latest = (pred: (type: string) => boolean) => [...backups].reverse().find((b) => pred(b.type))?.date;
  return {
    count: info.count ?? backups.length,
    totalSize: Math.max(0, Math.round(info.size)),
    ...optional('oldest', ref(backups[0]?.date)),
    ...optional('latestFull', ref(latest((t) => t.includes('FULL')))),
    ...optional('latestIncremental', ref(latest((t) => t === 'INCR'))),
  };
}

/** What the task history says (pure): recent tasks, last successful backup, last failure. */
export function summarizeHistory(
  history: readonly TaskRun[],
  previous: Pick<Status, 'lastSuccessfulBackupTime' | 'lastFailure'> | undefined,
): Pick<Status, 'recentTasks' | 'lastSuccessfulBackupTime' | 'lastFailure'> {
  const recentTasks = history.slice(0, RECENT_TASKS_LIMIT).flatMap((t) => {
    const type = taskRunType(t.type);
    if (!type) return [];
    return [
      {
        taskName: t.task_name,
        type,
        status: taskRunStatus(t.status),
        ...optional('startTime', validTime(t.start)),
        ...optional('endTime', validTime(t.end)),
        ...optional('backupName', producedBackupName(t)),
        ...optional('error', t.status === 'failed' ? taskError(t) : undefined),
      },
    ];
  });
  const lastBackup = history.find((t) => t.type === 'BACKUP' && t.status === 'done');
  const lastFailed = history.find((t) => t.status === 'failed');
  const lastSuccessfulBackupTime = validTime(lastBackup?.start) ?? previous?.lastSuccessfulBackupTime;
  const lastFailure = lastFailed
    ? {
        taskName: lastFailed.task_name,
        ...optional('time', validTime(lastFailed.start)),
        ...optional('error', taskError(lastFailed)),
      }
    : previous?.lastFailure;
  return {
    ...optional('recentTasks', recentTasks.length > 0 ? recentTasks : undefined),
    ...optional('lastSuccessfulBackupTime', lastSuccessfulBackupTime),
    ...optional('lastFailure', lastFailure),
  };
}

/**
 * What decides whether `/info` and `taskHistory` must be read again: the running set and the
 * scheduled next runs (a finished task changes one of them). Progress is left out on purpose so
 * that a running task does not cause a history read per poll.
 */
export function repositoryFingerprint(observed: ObservedRepository): string {
  const r = observed.repository;
  const running = [...Object.values(r.running_tasks ?? {}), ...Object.values(r.running_one_off ?? {})]
    .map((t) => `${t.task_name}:${t.status}`)
    .sort();
  const scheduled = Object.values(r.scheduled ?? {})
    .map((s) => `${s.name}@${s.next_run}`)
    .sort();
  return JSON.stringify([observed.state, r.state, r.repo, running, scheduled]);
}

/** The kstatus outcome of one reconcile plus the Synced condition. */
export interface RepositoryOutcome {
  state: KStatusState;
  reason: string;
  message: string;
  synced: { status: Condition['status']; reason: string; message: string };
}

/** The outcome of a reconcile that could not finish: kstatus and Synced say the same (pure). */
export function blockedOutcome(state: KStatusState, reason: string, message: string): RepositoryOutcome {
  return { state, reason, message, synced: { status: 'False', reason, message } };
}

/**
 * Sets the conditions (pure): kstatus from `outcome`, Synced, and Healthy from the server's health
 * (Unknown while the repository is not observed). RPOMet is not set: the spec declares no RPO.
 */
export function withConditions(
  status: Status,
  outcome: RepositoryOutcome,
  generation: number,
  now: Date,
): Status {
  let conditions = (status.conditions ?? []) as Condition[];
  conditions = setCondition(
    conditions,
    { type: CONDITION_TYPES.Synced, observedGeneration: generation, ...outcome.synced },
    now,
  );
  const health = status.health;
  conditions = setCondition(
    conditions,
    health === undefined
      ? {
          type: CONDITION_TYPES.Healthy,
          status: 'Unknown',
          reason: REPOSITORY_REASONS.unknown,
          message: 'The repository has not been observed on the Backup Service.',
          observedGeneration: generation,
        }
      : health.healthy
        ? {
            type: CONDITION_TYPES.Healthy,
            status: 'True',
            reason: REPOSITORY_REASONS.healthy,
            message: 'The Backup Service reports the repository healthy.',
            observedGeneration: generation,
          }
        : {
            type: CONDITION_TYPES.Healthy,
            status: 'False',
            reason: REPOSITORY_REASONS.unhealthy,
            message: `The Backup Service reports: ${health.issue ?? 'unhealthy'}`,
            observedGeneration: generation,
          },
    now,
  );
  conditions = setKStatus(
    conditions,
    {
      state: outcome.state,
      reason: outcome.reason,
      message: outcome.message,
      observedGeneration: generation,
    },
    now,
  );
  return { ...status, conditions };
}

/** What one reconcile read from the service for status; `fetched` only when history/info were read. */
export interface StatusInput {
  previous: Status | undefined;
  id: string;
  observed: ObservedRepository | undefined;
  fetched?: { history: readonly TaskRun[]; info: RepositoryInfo; digest?: string } | undefined;
  triggers: Status['triggers'];
}

/**
 * The status data fields (pure, conditions carried over): the repository entry mirrored when
 * observed; backup summary and task history from this reconcile's reads, else carried over from the
 * previous status so that a reconcile without reads changes nothing.
 */
export function assembleStatus(input: StatusInput): Status {
  const { previous, observed, fetched } = input;
  const status: Status = {
    ...optional('conditions', previous?.conditions),
    ...(observed ? mirrorRepository(observed) : { repositoryId: input.id }),
  };
  if (fetched) {
    Object.assign(
      status,
      { backups: summarizeBackups(fetched.info) },
      summarizeHistory(fetched.history, previous),
      optional('detailsDigest', fetched.digest),
      optional(
        'lastSuccessfulBackup',
        lastSuccessfulBackupOf(fetched.history, fetched.info, previous?.lastSuccessfulBackup),
      ),
      { taskOutcomes: countTaskOutcomes(fetched.history, previous) },
    );
  } else if (previous) {
    Object.assign(
      status,
      optional('backups', previous.backups),
      optional('recentTasks', previous.recentTasks),
      optional('lastSuccessfulBackupTime', previous.lastSuccessfulBackupTime),
      optional('lastFailure', previous.lastFailure),
      optional('detailsDigest', previous.detailsDigest),
      optional('lastSuccessfulBackup', previous.lastSuccessfulBackup),
      optional('taskOutcomes', previous.taskOutcomes),
    );
  }
  const triggers = input.triggers;
  if (triggers && (triggers.backup || triggers.merge)) status.triggers = triggers;
  return status;
}

/**
 * Whether this outcome newly stalls the object (pure): Stalled was not True before, or it was with
 * another reason. The Stalled Event is recorded on that transition only, so a repository that
 * stays stalled writes no Event after each deduplication window.
 */
export function stallsAnew(previous: readonly Condition[] | undefined, outcome: RepositoryOutcome): boolean {
  if (outcome.state !== KStatusState.Stalled) return false;
  const before = previous?.find((c) => c.type === KStatusState.Stalled);
  return before?.status !== 'True' || before.reason !== outcome.reason;
}
