import type { BackupClient } from '../../backup-api/index.ts';
import { describeAnswer, isBackupApiError } from '../../backup-api/index.ts';
import { classifySendFailure, sendWindowSignal } from '../intent/index.ts';
import type { BackupServiceResource } from '../resources.ts';
import {
  isConflict,
  type ReadonlyDeep,
  type ReconcileContext,
  type ReconcileOutcome,
} from '../runtime/index.ts';
import type { OneShotResource, StatusOf } from './kind.ts';
import type { FailedTries, ObjectMemory } from './memory.ts';
import type { ResolvedRepository } from './repository-source.ts';
import { nextIntentToken } from './retry-token.ts';
import { ONE_SHOT_REASONS } from './status.ts';
import type { OneShotTools } from './tools.ts';
import { TRIGGER_RETRY_LIMIT, triggerRetriesExhausted, triggerRetryDelayMs } from './trigger-retry.ts';

/** Everything one send needs besides the tools. */
export interface SendArgs<T extends OneShotResource> {
  obj: ReadonlyDeep<T>;
  memory: ObjectMemory;
  client: BackupClient;
  service: ReadonlyDeep<BackupServiceResource>;
  repo: ResolvedRepository;
  ctx: ReconcileContext;
}

/**
 * Preflight, intent, request, task name. `token` is set for a user-allowed retry; otherwise the
 * next token after the recorded intent's (see {@link nextIntentToken}).
 */
export async function sendRequest<T extends OneShotResource>(
  tools: OneShotTools<T>,
  args: SendArgs<T>,
  token: string = nextIntentToken(args.obj.status?.intent?.token),
): Promise<ReconcileOutcome | undefined> {
  const { deps, kind, settle, event } = tools;
  const { obj, memory, client, service, repo, ctx } = args;
  if (kind.requiresActive && pausedNow(tools, obj, repo)) return await waitWhilePaused(tools, args);
  const prepared = await kind.prepare({ obj, client, service, repository: repo, deps, signal: ctx.signal });
  if (prepared.kind === 'refuse') {
    await settle(obj, tools.failNow(prepared.reason, prepared.message), {
      repositoryId: repo.id,
    } as Partial<StatusOf<T>>);
    event(obj, 'Warning', prepared.reason, 'Trigger', prepared.message);
    return undefined;
  }
  if (prepared.kind !== 'ready') {
    await settle(obj, { kind: prepared.kind, reason: prepared.reason, message: prepared.message });
    return undefined;
  }
  const sentAtMs = deps.clock.now();
  const sentAt = new Date(sentAtMs).toISOString();
  // Measured from sentAt, before the intent write: a slow write shortens the window, never extends it.
  const window = sendWindowSignal(ctx.signal, sentAtMs, deps.clock.now());
  const before = memory.failedTries;
  const attempt = (before?.tries ?? 0) + 1;
  const written = await settle(
    obj,
    before
      ? {
          kind: 'waiting',
          reason: ONE_SHOT_REASONS.triggerRetrying,
          message: `Sending the ${prepared.what} request again (try ${attempt} of ${TRIGGER_RETRY_LIMIT.tries}); the last try ended with: ${before.last}.`,
        }
      : {
          kind: 'waiting',
          reason: ONE_SHOT_REASONS.triggering,
          message: `Sending the ${prepared.what} request.`,
        },
    { ...prepared.fields, repositoryId: repo.id, intent: { token, sentAt } } as Partial<StatusOf<T>>,
  );
  deps.crashPoint(`${kind.name}:before-request`);
  let taskName: string;
  try {
    taskName = await prepared.send(window);
  } catch (err) {
    if (!isBackupApiError(err)) throw err;
    const answer = describeAnswer(err);
    const failure = classifySendFailure(err);
    if (failure === 'permanent') {
      memory.failedTries = undefined;
      const message = `The Backup Service refused the ${prepared.what} request: ${answer}`;
      await settle(
        written as ReadonlyDeep<T>,
        tools.failNow(ONE_SHOT_REASONS.requestRejected, message, answer),
      );
      event(obj, 'Warning', ONE_SHOT_REASONS.requestRejected, 'Trigger', message);
      return undefined;
    }
    const tries: FailedTries = {
      tries: attempt,
      firstAtMs: before?.firstAtMs ?? sentAtMs,
      token,
      answered: failure === 'transient',
      retryAtMs: deps.clock.now() + triggerRetryDelayMs(attempt, deps.timings.taskPollIntervalMs),
      last: answer,
    };
    memory.failedTries = tries;
    if (failure === 'transient') {
      // Nothing was started. The intent stays (no second write per try): this process knows it was
      // answered and sends again at retryAtMs; after a restart, adoption finds nothing and resends.
      if (triggerRetriesExhausted(tries, deps.clock.now())) {
        return await giveUp(tools, written as ReadonlyDeep<T>, memory, prepared.what, tries);
      }
      ctx.log.info({ answer, tries: attempt }, 'task request refused for now; trying again later');
      return { requeueAfterMs: tries.retryAtMs - deps.clock.now() };
    }
    // No readable answer: the request may have started a task; the intent stays and adoption decides.
    ctx.log.warn({ err: err.message, code: err.code, status: err.status }, 'task request outcome unknown');
    return { requeueAfterMs: deps.timings.taskPollIntervalMs };
  }
  memory.failedTries = undefined;
  deps.crashPoint(`${kind.name}:after-request`);
  await recordTaskName(tools, written, token, taskName, prepared.what);
  event(
    obj,
    'Normal',
    ONE_SHOT_REASONS.taskStarted,
    'Trigger',
    `Started task ${taskName} (${prepared.what}).`,
  );
  return { requeueAfterMs: deps.timings.taskPollIntervalMs };
}

/** Records the task name after a successful request, surviving unrelated concurrent writes. */
async function recordTaskName<T extends OneShotResource>(
  tools: OneShotTools<T>,
  written: T,
  token: string,
  taskName: string,
  what: string,
): Promise<void> {
  let current: T | undefined = written;
  for (let attempt = 0; attempt < 5 && current; attempt++) {
    const status = current.status as StatusOf<T> | undefined;
    if (status?.intent?.token !== token) {
      tools.deps.log.error(
        { taskName, token },
        'intent replaced after the request was sent; not recording the task',
      );
      return;
    }
    if (status.taskName) return;
    try {
      await tools.settle(
        current as ReadonlyDeep<T>,
        { kind: 'running', progress: 0, message: `Task ${taskName} (${what}) was started.` },
        { taskName } as Partial<StatusOf<T>>,
      );
      return;
    } catch (err) {
      if (!isConflict(err)) throw err;
      current = await tools.access.client.get(written.metadata.namespace ?? '', written.metadata.name);
    }
  }
}

/** Settles Failed after the last allowed try of a request the service kept refusing or never answered. */
export async function giveUp<T extends OneShotResource>(
  tools: OneShotTools<T>,
  obj: ReadonlyDeep<T>,
  memory: ObjectMemory,
  what: string,
  tries: FailedTries,
): Promise<undefined> {
  memory.failedTries = undefined;
  const seconds = Math.round((tools.deps.clock.now() - tries.firstAtMs) / 1000);
  const message = `The Backup Service did not start the ${what} after ${tries.tries} tries in ${seconds} s; the last one ended with: ${tries.last}. Create a new ${tools.label} once the cause is fixed.`;
  await tools.settle(obj, tools.failNow(ONE_SHOT_REASONS.requestRejected, message, tries.last));
  tools.event(obj, 'Warning', ONE_SHOT_REASONS.requestRejected, 'Trigger', message);
  return undefined;
}

/**
 * Whether the repository counts as Paused for a request that writes to it: paused in the last poll,
 * or asked to be by its BackupRepository (between its create and its pause, or after a resume behind
 * the operator's back, the server shows it active).
 */
function pausedNow<T extends OneShotResource>(
  tools: OneShotTools<T>,
  obj: ReadonlyDeep<T>,
  repo: ResolvedRepository,
): boolean {
  const serviceKey = `${obj.metadata.namespace ?? ''}/${repo.serviceName}`;
  const observed = tools.deps.observations.findRepository(serviceKey, repo.id);
  return repo.pausedBySpec === true || observed?.repository.state === 'paused';
}

/**
 * The one rule for Paused repositories: nothing that writes to them starts, whoever asks (the
 * schedule, a trigger token, a BackupRun's first request or any resend of it); each waits until the
 * repository is Active again and then starts afresh (tries before the pause do not count).
 */
async function waitWhilePaused<T extends OneShotResource>(
  tools: OneShotTools<T>,
  { obj, memory, repo }: SendArgs<T>,
): Promise<ReconcileOutcome> {
  memory.failedTries = undefined;
  const message = pausedRepositoryMessage(repo, tools.label);
  await tools.settle(obj, { kind: 'waiting', reason: ONE_SHOT_REASONS.repositoryPaused, message }, {
    repositoryId: repo.id,
  } as Partial<StatusOf<T>>);
  tools.event(obj, 'Normal', ONE_SHOT_REASONS.repositoryPaused, 'Trigger', message);
  return { requeueAfterMs: tools.deps.timings.servicePollIntervalMs };
}

/** Why a one-shot waits on a paused repository, and what resumes it (pure). */
export function pausedRepositoryMessage(repo: ResolvedRepository, label: string): string {
  const resume = repo.managedBy
    ? `set spec.state: Active on BackupRepository ${repo.managedBy}`
    : 'resume it on the Backup Service';
  return `Repository ${repo.id} is Paused; the ${label} waits until it is Active again (${resume}), as a trigger token does.`;
}
