import type { Repository, TaskRun } from '../../backup-api/index.ts';
import { DELIVERY_GRACE_MS } from '../one-shot/adoption.ts';
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

/**
 * How long after its echo time a trigger request may still reach the service and register its
 * task: the one-shot kinds' delivery grace. Before it passes, "no task found" proves nothing.
 */
export const TRIGGER_DELIVERY_GRACE_MS = DELIVERY_GRACE_MS;

/**
 * No attempt of a trigger request may leave later than this after the echo time (the transport
 * retries "not sent" failures across nodes), so the delivery grace really covers every attempt.
 */
export const TRIGGER_SEND_WINDOW_MS = DELIVERY_GRACE_MS / 2;

/** Milliseconds left for sending a trigger request whose echo was recorded at `echoTime` (pure). */
export function sendWindowMs(echoTime: string, nowMs: number): number {
  const at = Date.parse(echoTime);
  return Number.isNaN(at) ? 0 : Math.max(0, at + TRIGGER_SEND_WINDOW_MS - nowMs);
}

/** What to do about a recorded-but-unconfirmed trigger after looking for its task. */
export type RecoveryDecision =
  /** The task was found: record it. */
  | { kind: 'adopt'; task: TaskRun }
  /** Not found yet, but the request may still be on its way: look again by `untilMs` at the latest. */
  | { kind: 'wait'; untilMs: number }
  /** Not found and the grace passed, but the repository is not Active: the token waits. */
  | { kind: 'inactive' }
  /** Not found after the grace on an Active repository: nothing was started, send again. */
  | { kind: 'resend' };

/**
 * Decides a recovery (pure). A request recorded at `since` can reach the service until the send
 * window closes and its task shows up shortly after; resending before the grace ends could start
 * a second task.
 */
export function decideRecovery(args: {
  found: TaskRun | undefined;
  since: string;
  nowMs: number;
  active: boolean;
}): RecoveryDecision {
  if (args.found) return { kind: 'adopt', task: args.found };
  const graceEnd = Date.parse(args.since) + TRIGGER_DELIVERY_GRACE_MS;
  if (args.nowMs < graceEnd) return { kind: 'wait', untilMs: graceEnd };
  return args.active ? { kind: 'resend' } : { kind: 'inactive' };
}

/**
 * Task names that are not this trigger's (pure): the other trigger's echo and every BackupRun's
 * recorded task, so that after a crash a token never adopts a backup someone else asked for.
 */
export function claimedTaskNames(args: {
  kind: TriggerKind;
  echoes: Status['triggers'];
  runs: ReadonlyArray<{ status?: { taskName?: string | undefined } | undefined }>;
}): string[] {
  const names = new Set<string>();
  for (const k of TRIGGER_KINDS) {
    const name = args.echoes?.[k]?.taskName;
    if (k !== args.kind && name) names.add(name);
  }
  for (const run of args.runs) if (run.status?.taskName) names.add(run.status.taskName);
  return [...names].sort();
}

/**
 * The status patch that records a trigger before its request (pure). It carries the object's
 * resourceVersion: a stale read or a second replica gets a 409 instead of recording (and then
 * sending) the same token twice.
 */
export function triggerEchoPatch(
  obj: { metadata: { resourceVersion?: string | undefined } },
  kind: TriggerKind,
  echo: TriggerEcho,
): object {
  return {
    metadata: { resourceVersion: obj.metadata.resourceVersion },
    status: { triggers: { [kind]: { token: echo.token, time: echo.time ?? null, taskName: null } } },
  };
}

/** The Synced note for a token that waits for an Active repository (pure). */
export function triggerWaitingNote(kind: TriggerKind, token: string, state: string | undefined): string {
  return `triggers.${kind} token ${token} waits for the repository to be Active (it is ${state ?? 'not yet present'})`;
}
