import { type AdoptionDecision, decideAdoption, describeUnknown } from '../intent/index.ts';
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

/** What to do about a recorded-but-unconfirmed trigger after looking for its task. */
export type RecoveryDecision =
  /** Exactly one candidate: it is this token's task, record it. */
  | { kind: 'adopt'; taskName: string }
  /** Not decidable yet, the request may still be on its way: look again by `untilMs` at the latest. */
  | { kind: 'wait'; untilMs: number }
  /** Nothing found after the grace, but the repository is not Active: the token waits. */
  | { kind: 'inactive' }
  /** Nothing found after the grace on an Active repository: nothing was started, send again. */
  | { kind: 'resend' }
  /** Several candidates, or a history too old to trust: the user decides (a new token). */
  | Extract<AdoptionDecision, { kind: 'unknown' }>;

/**
 * Decides a recovery (pure) by the one adoption rule of the intent protocol (`decideAdoption`),
 * with the echo time as the intent's `sentAt`; a resend waits for an Active repository.
 */
export function decideRecovery(args: {
  candidates: readonly string[];
  since: string;
  nowMs: number;
  active: boolean;
}): RecoveryDecision {
  const d = decideAdoption({
    candidates: args.candidates,
    sentAtMs: Date.parse(args.since),
    nowMs: args.nowMs,
  });
  if (d.kind === 'resend' && !args.active) return { kind: 'inactive' };
  return d;
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
    status: {
      triggers: {
        [kind]: {
          token: echo.token,
          time: echo.time ?? null,
          taskName: null,
          previousTaskName: echo.previousTaskName ?? null,
          outcome: null,
          endTime: null,
          error: null,
        },
      },
    },
  };
}

/** The Synced note for a token that waits for an Active repository (pure). */
export function triggerWaitingNote(kind: TriggerKind, token: string, state: string | undefined): string {
  return `triggers.${kind} token ${token} waits for the repository to be Active (it is ${state ?? 'not yet present'})`;
}

/** The Synced note for a token whose outcome cannot be established (pure): what happened, what to do. */
export function triggerUnknownNote(
  kind: TriggerKind,
  token: string,
  since: string,
  decision: Extract<AdoptionDecision, { kind: 'unknown' }>,
): string {
  return `triggers.${kind} token ${token}: cannot establish whether its request recorded at ${since} reached the Backup Service: ${describeUnknown(decision)}. It is not sent again automatically; check the Backup Service, then set a new token to run it again`;
}

type RecentTask = NonNullable<Status['recentTasks']>[number];

/**
 * The echoes with the outcome of their task once it shows finished in the mirrored history (pure):
 * Succeeded, or Failed with the server's error. An outcome once recorded stays, also after the
 * task left the history window.
 */
export function withTriggerOutcomes(
  echoes: NonNullable<Status['triggers']>,
  recentTasks: readonly RecentTask[] | undefined,
): NonNullable<Status['triggers']> {
  const out: NonNullable<Status['triggers']> = { ...echoes };
  for (const kind of TRIGGER_KINDS) {
    const echo = out[kind];
    if (!echo?.taskName || echo.outcome) continue;
    const task = recentTasks?.find((t) => t.taskName === echo.taskName);
    if (task?.status !== 'done' && task?.status !== 'failed') continue;
    out[kind] = {
      ...echo,
      outcome: task.status === 'done' ? 'Succeeded' : 'Failed',
      ...(task.endTime ? { endTime: task.endTime } : {}),
      ...(task.status === 'failed' && task.error ? { error: task.error } : {}),
    };
  }
  return out;
}
