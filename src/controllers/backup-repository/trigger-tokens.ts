import type { BackupClient, TaskRun } from '../../backup-api/index.ts';
import { isBackupApiError, serverText } from '../../backup-api/index.ts';
import type { ObservedRepository } from '../cluster-observations.ts';
import {
  type ClaimSources,
  candidatesOn,
  claimedTaskNames,
  claimsOf,
  classifySendFailure,
  historyStart,
  sendWindowSignal,
  triggerClaims,
  triggerOwner,
} from '../intent/index.ts';
import type { ControllerDeps } from '../operator.ts';
import { readRepository } from '../repository-reads.ts';
import type { BackupRepositoryResource } from '../resources.ts';
import { type CustomResourceClient, EventType, metaTime } from '../runtime/index.ts';
import { mirrorRepository } from './status.ts';
import {
  decideRecovery,
  decideTrigger,
  TRIGGER_KINDS,
  TRIGGER_TASK_TYPE,
  type TriggerEcho,
  type TriggerKind,
  triggerEchoPatch,
  triggerUnknownNote,
  triggerWaitingNote,
} from './triggers.ts';

type Repo = BackupRepositoryResource;
type Echoes = NonNullable<NonNullable<Repo['status']>['triggers']>;

/** Event reasons of trigger tokens (part of the BackupRepository event vocabulary). */
export const TRIGGER_EVENTS = {
  backupTriggered: 'BackupTriggered',
  mergeTriggered: 'MergeTriggered',
  triggerRejected: 'TriggerRejected',
} as const;

/** The schema's bound on an echo's error text. */
const ECHO_ERROR_MAX = 1024;

/** Everything the trigger tokens of one BackupRepository need, passed explicitly. */
export interface TriggerTokensInput {
  client: BackupClient;
  /** Writes the echo before a request (status subresource of BackupRepository). */
  repositories: Pick<CustomResourceClient<Repo>, 'patchStatus'>;
  /** Where claims of other resources and tokens are read from (the caches). */
  kinds: ClaimSources;
  obj: Repo;
  id: string;
  observed: ObservedRepository;
  /** The echoes as recorded at the start of the reconcile (restored when a send was refused for now). */
  recorded: Echoes | undefined;
  /** The echoes this reconcile writes: updated in place, also when an error is returned. */
  echoes: Echoes;
  deps: Pick<ControllerDeps, 'events' | 'crashPoint' | 'clock' | 'timings'>;
  signal: AbortSignal;
}

/** What the reconciler needs after the trigger tokens ran. */
export interface TriggerTokensResult {
  /** The object after the last echo status patch (its resourceVersion guards the next write). */
  obj: Repo;
  /** Synced=False note: a token the service rejected or whose outcome cannot be established. */
  problem?: string | undefined;
  /** Synced note of a token held back until the repository is Active. */
  waiting?: string | undefined;
  /** Look again this soon: a recorded request may still show up as a task. */
  waitMs?: number | undefined;
  /** Started or adopted tasks that still run: follow them. */
  follow: string[];
  /** A task name was recorded (started or adopted): history and info are stale. */
  recorded: boolean;
  /** A request was sent and answered with a task. */
  sent: boolean;
  /** An error to rethrow after taking `obj` (the caller's error path writes `echoes`). */
  error?: unknown;
}

/**
 * Runs the trigger tokens (`spec.triggers.backup|merge`) of a managed BackupRepository exactly
 * once each, by the intent protocol (see `../intent`): the echo is the recorded intent, written
 * before the request; a recorded echo without a task name is resolved by the one adoption rule.
 */
export async function runTriggerTokens(input: TriggerTokensInput): Promise<TriggerTokensResult> {
  const result: TriggerTokensResult = { obj: input.obj, follow: [], recorded: false, sent: false };
  try {
    for (const kind of TRIGGER_KINDS) await runToken(input, result, kind);
  } catch (err) {
    result.error = err;
  }
  return result;
}

/** One token: nothing, a note, a recovery, or a send. */
async function runToken(input: TriggerTokensInput, result: TriggerTokensResult, kind: TriggerKind) {
  const { obj, echoes, observed } = input;
  const token = obj.spec.triggers?.[kind];
  // A spec that asks for Paused holds the token as a pause on the server does (a drift that is only
  // reported, or a resume made behind the operator's back, leaves the server active).
  const active =
    observed.state === 'active' && observed.repository.state === 'active' && obj.spec.state !== 'Paused';
  const d = decideTrigger(token, echoes[kind], active);
  if (token === undefined || d.kind === 'none') {
    if (token !== undefined && echoes[kind]?.token === token && !echoes[kind]?.taskName) {
      result.problem = rejectedTokenNote(kind, token, obj.status?.conditions);
    }
    return;
  }
  if (d.kind === 'wait') {
    result.waiting = triggerWaitingNote(kind, token, mirrorRepository(observed).state);
    return;
  }
  if (d.kind === 'recover') {
    const resolved = await recoverToken(input, result, kind, token, d.since, active);
    if (resolved) return;
  }
  await sendToken(input, result, kind, token);
}

/** A recorded echo without a task name: adopt, wait, hold, ask the user, or (false) send again. */
async function recoverToken(
  input: TriggerTokensInput,
  result: TriggerTokensResult,
  kind: TriggerKind,
  token: string,
  since: string,
  active: boolean,
): Promise<boolean> {
  const { client, observed, id, signal, echoes, obj, deps } = input;
  const sentAtMs = Date.parse(since);
  const repository = (await readRepository(client, observed.state, id, signal))?.repository;
  if (!repository) {
    // Gone since the poll: the next poll tells where it is; nothing is sent meanwhile.
    result.waitMs = Math.min(result.waitMs ?? Infinity, deps.timings.taskPollIntervalMs);
    return true;
  }
  const history = await client.taskHistory(observed.state, id, { first: historyStart(sentAtMs), signal });
  const namespace = obj.metadata.namespace ?? '';
  const name = obj.metadata.name ?? '';
  // This repository's echoes as this reconcile knows them, not as the cache last saw them.
  const claims = [
    ...claimsOf(input.kinds).filter((c) => !c.owner.startsWith(`repositories/${namespace}/${name}/`)),
    ...triggerClaims(namespace, name, echoes),
  ];
  const candidates = candidatesOn({
    repository,
    history,
    matcher: { type: TRIGGER_TASK_TYPE[kind] },
    sentAtMs,
    claimed: claimedTaskNames(claims, triggerOwner(namespace, name, kind)),
  });
  const r = decideRecovery({ candidates, since, nowMs: deps.clock.now(), active });
  switch (r.kind) {
    case 'adopt': {
      const previousTaskName = echoes[kind]?.previousTaskName;
      echoes[kind] = {
        token,
        taskName: r.taskName,
        time: since,
        ...(previousTaskName ? { previousTaskName } : {}),
      };
      const task: TaskRun | undefined =
        repository.running_one_off?.[r.taskName] ?? history.find((t) => t.task_name === r.taskName);
      if (task?.status === 'running' || task?.status === 'waiting') result.follow.push(r.taskName);
      result.recorded = true;
      return true;
    }
    case 'wait': {
      // The request may still be on its way: resending now could start a second task.
      const wait = Math.min(r.untilMs - deps.clock.now(), deps.timings.taskPollIntervalMs);
      result.waitMs = Math.min(result.waitMs ?? wait, wait);
      return true;
    }
    case 'inactive':
      result.waiting = triggerWaitingNote(kind, token, mirrorRepository(observed).state);
      return true;
    case 'unknown':
      result.problem = triggerUnknownNote(kind, token, since, r);
      return true;
    case 'resend':
      return false;
  }
}

/** Records the echo (guarded), sends the request within the window, records the task name. */
async function sendToken(
  input: TriggerTokensInput,
  result: TriggerTokensResult,
  kind: TriggerKind,
  token: string,
) {
  const { client, id, echoes, deps, signal } = input;
  // The token before this one keeps its task: recovery must never take it for this token's.
  const previousTaskName = echoes[kind]?.taskName ?? echoes[kind]?.previousTaskName;
  const echo: TriggerEcho = {
    token,
    time: metaTime(new Date(deps.clock.now())),
    ...(previousTaskName ? { previousTaskName } : {}),
  };
  // Recorded before the request, onto the version we read (409 when stale): after a crash or a lost
  // answer the next reconcile looks for the task instead of sending again.
  const ns = result.obj.metadata.namespace ?? '';
  result.obj = (await input.repositories.patchStatus(
    ns,
    result.obj.metadata.name ?? '',
    triggerEchoPatch(result.obj, kind, echo),
  )) as Repo;
  echoes[kind] = echo;
  deps.crashPoint(`repository:before-${kind}-request`);
  // No attempt may leave after the send window: the delivery grace of a recovery covers it.
  const sendSignal = sendWindowSignal(signal, Date.parse(echo.time ?? ''), deps.clock.now());
  const full = input.obj.spec.triggers?.fullBackup ?? false;
  let taskName: string;
  try {
    const res =
      kind === 'backup'
        ? await client.backup(id, { full, signal: sendSignal })
        : await client.merge(id, {}, { signal: sendSignal });
    taskName = res.task_name;
  } catch (err) {
    const failure = isBackupApiError(err) ? classifySendFailure(err) : undefined;
    if (failure === 'permanent') {
      // A definite refusal (a 4xx, or a 500 the service explains, such as a failed bucket check):
      // nothing started, and asking again will not help. Echo without a time marks it as never to
      // retry; a new token tries again.
      echoes[kind] = {
        token,
        ...(previousTaskName ? { previousTaskName } : {}),
        outcome: 'Rejected',
        error: serverText(err).slice(0, ECHO_ERROR_MAX),
      };
      result.problem = `${rejectedPrefix(kind, token)}: ${serverText(err)}; set a new token to try again`;
      void deps.events.record(result.obj, {
        type: EventType.Warning,
        reason: TRIGGER_EVENTS.triggerRejected,
        action: `Trigger${kind}`,
        note: result.problem,
      });
      return;
    }
    if (failure === 'transient') {
      // The service itself answered (500, 503, …) and started nothing, so the echo is withdrawn and
      // the send retried with backoff. Otherwise (no answer, an unreadable 2xx) a task may exist:
      // the echo stays and recovery decides.
      const before = input.recorded?.[kind];
      if (before) echoes[kind] = before;
      else delete echoes[kind];
    }
    throw err;
  }
  // Into the echo before anything else can throw: every later error path writes it.
  echoes[kind] = { ...echo, taskName };
  deps.crashPoint(`repository:after-${kind}-request`);
  result.follow.push(taskName);
  result.recorded = true;
  result.sent = true;
  void deps.events.record(result.obj, {
    type: EventType.Normal,
    reason: kind === 'backup' ? TRIGGER_EVENTS.backupTriggered : TRIGGER_EVENTS.mergeTriggered,
    action: `Trigger${kind}`,
    note: `Started ${kind === 'backup' ? (full ? 'a full backup' : 'an incremental backup') : 'a merge'} ${taskName} for token ${token}`,
  });
}

const rejectedPrefix = (kind: TriggerKind, token: string) =>
  `triggers.${kind} token ${token} was rejected by the Backup Service`;

/**
 * The Synced note of a token the service rejected earlier (pure): the note written when it was
 * rejected, which carries the server's reason, while it stands (also after an operator restart, so
 * that a restart rewrites nothing); a generic one when that note is gone.
 */
export function rejectedTokenNote(
  kind: TriggerKind,
  token: string,
  conditions: readonly { type: string; reason: string; message: string }[] | undefined,
): string {
  const synced = conditions?.find((c) => c.type === 'Synced');
  if (synced?.reason === 'TriggerRejected' && synced.message.startsWith(`${rejectedPrefix(kind, token)}:`)) {
    return synced.message;
  }
  return `${rejectedPrefix(kind, token)}; set a new token to try again`;
}
