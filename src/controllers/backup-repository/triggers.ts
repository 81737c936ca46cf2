import type { Repository, TaskRun } from '../../backup-api/index.ts';
import type { BackupRepositoryResource } from '../resources.ts';

type Status = NonNullable<BackupRepositoryResource['status']>;
/** One trigger echo in status. */
export type TriggerEcho = NonNullable<NonNullable<Status['triggers']>['backup']>;

/** The two trigger tokens and the task type each one starts. */
export const TRIGGER_KINDS = ['backup', 'merge'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];
export const TRIGGER_TASK_TYPE = { backup: 'BACKUP', merge: 'MERGE' } as const satisfies Record<
  TriggerKind,
  string
>;

/**
 * How far a server clock may lag behind ours when looking for a task we may have started: the
 * echo time is taken before the request, so the task cannot have started much earlier.
 */
export const TRIGGER_CLOCK_SKEW_MS = 60_000;

/** What to do about one trigger token. */
export type TriggerDecision =
  | { kind: 'none' }
  /** A new token: record it in status, then send the request. */
  | { kind: 'send' }
  /** The token was recorded but the outcome is unknown (crash or lost answer): look for the task first. */
  | { kind: 'recover'; since: string }
  /** A new token that must wait until the repository is Active again. */
  | { kind: 'wait' };

/**
 * Decides a trigger (pure). An echo with a task name is done; an echo with only a time was
 * recorded before a request whose outcome is unknown; an echo with neither was rejected by the
 * server and is never retried (a new token is needed).
 */
export function decideTrigger(
  token: string | undefined,
  echo: TriggerEcho | undefined,
  repositoryActive: boolean,
): TriggerDecision {
  if (token === undefined) return { kind: 'none' };
  if (echo?.token === token) {
    if (echo.taskName !== undefined || echo.time === undefined) return { kind: 'none' };
    return { kind: 'recover', since: echo.time };
  }
  return repositoryActive ? { kind: 'send' } : { kind: 'wait' };
}

/**
 * Finds the one-off task a recorded-but-unconfirmed trigger started (pure): a running one-off or a
 * history entry of the right type, not a scheduled plan task, not claimed by another echo, started
 * at or after `since` minus the allowed clock skew; the earliest such task wins.
 */
export function findTriggeredTask(args: {
  kind: TriggerKind;
  since: string;
  repository: Repository | undefined;
  history: readonly TaskRun[];
  claimed: readonly string[];
}): TaskRun | undefined {
  const type = TRIGGER_TASK_TYPE[args.kind];
  const scheduled = new Set([
    ...Object.keys(args.repository?.scheduled ?? {}),
    ...Object.keys(args.repository?.running_tasks ?? {}),
  ]);
  const from = Date.parse(args.since) - TRIGGER_CLOCK_SKEW_MS;
  const candidates = [...Object.values(args.repository?.running_one_off ?? {}), ...args.history].filter(
    (t) =>
      t.type === type &&
      !scheduled.has(t.task_name) &&
      !args.claimed.includes(t.task_name) &&
      Date.parse(t.start) >= from,
  );
  candidates.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  return candidates[0];
}
