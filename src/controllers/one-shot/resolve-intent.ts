import {
  candidatesOn,
  claimedTaskNames,
  claimsOf,
  decideAdoption,
  describeUnknown,
  historyStart,
  oneShotOwner,
} from '../intent/index.ts';
import { readRepository } from '../repository-reads.ts';
import { findCondition, type ReconcileOutcome } from '../runtime/index.ts';
import { KIND_PLURAL, type OneShotResource, type StatusOf } from './kind.ts';
import { RETRY_TOKEN_ANNOTATION, retryIntentToken, unusedRetryToken } from './retry-token.ts';
import { giveUp, type SendArgs, sendRequest } from './send.ts';
import { ONE_SHOT_REASONS } from './status.ts';
import type { OneShotTools } from './tools.ts';
import { triggerRetriesExhausted } from './trigger-retry.ts';

/** An intent without a task name: find the task, wait, send again, or ask the user. */
export async function resolveIntent<T extends OneShotResource>(
  tools: OneShotTools<T>,
  args: SendArgs<T> & { namespace: string; name: string },
): Promise<ReconcileOutcome | undefined> {
  const { deps, kind, settle } = tools;
  const { obj, memory, client, repo, ctx } = args;
  const intent = obj.status?.intent as { token: string; sentAt: string };
  const stalledUnknown =
    findCondition(obj.status?.conditions, 'Stalled')?.reason === ONE_SHOT_REASONS.triggerOutcomeUnknown;
  const retry = unusedRetryToken(obj.metadata.annotations, intent.token);
  if (stalledUnknown && retry !== undefined) {
    ctx.log.info('retry token set by the user; sending the request again');
    memory.failedTries = undefined;
    return await sendRequest(tools, args, retryIntentToken(retry));
  }
  const tries = memory.failedTries?.token === intent.token ? memory.failedTries : undefined;
  if (tries?.answered) {
    // The service answered this intent without starting a task: no adoption needed, just the pause.
    const wait = tries.retryAtMs - deps.clock.now();
    if (wait > 0) return { requeueAfterMs: wait };
    if (triggerRetriesExhausted(tries, deps.clock.now()))
      return await giveUp(tools, obj, memory, 'task', tries);
    return await sendRequest(tools, args);
  }
  const sentAtMs = Date.parse(intent.sentAt);
  const repository = (await readRepository(client, repo.state, repo.id, ctx.signal))?.repository;
  if (!repository) {
    await settle(obj, {
      kind: 'blocked',
      reason: ONE_SHOT_REASONS.repositoryNotFound,
      message: `Repository ${repo.id} is not ${repo.state} on the Backup Service, so the operator cannot tell whether the task request recorded at ${intent.sentAt} started a task.`,
    });
    return undefined;
  }
  const history = await client.taskHistory(repo.state, repo.id, {
    first: historyStart(sentAtMs),
    signal: ctx.signal,
  });
  const claimed = claimedTaskNames(
    claimsOf(deps.kinds),
    oneShotOwner(KIND_PLURAL[kind.name], args.namespace, args.name),
  );
  const candidates = candidatesOn({ repository, history, matcher: kind.matcher(obj), sentAtMs, claimed });
  const decision = decideAdoption({ candidates, sentAtMs, nowMs: deps.clock.now() });
  switch (decision.kind) {
    case 'adopt':
      memory.failedTries = undefined;
      ctx.log.info({ taskName: decision.taskName }, 'adopting the task of a recorded intent');
      await settle(
        obj,
        { kind: 'running', progress: 0, message: `Task ${decision.taskName} was found and adopted.` },
        { taskName: decision.taskName } as Partial<StatusOf<T>>,
      );
      return { requeueAfterMs: 1 };
    case 'wait':
      // Nothing written: the sender may be about to record the task name.
      return { requeueAfterMs: Math.max(decision.untilMs - deps.clock.now(), 1) + 50 };
    case 'resend':
      if (tries && triggerRetriesExhausted(tries, deps.clock.now())) {
        return await giveUp(tools, obj, memory, 'task', tries);
      }
      ctx.log.info({ sentAt: intent.sentAt }, 'recorded request never reached the service; sending it');
      return await sendRequest(tools, args);
    case 'unknown': {
      const resource = kind.name === 'run' ? 'backuprun' : 'backuprestore';
      const message = `Cannot establish whether the task request recorded at ${intent.sentAt} reached the Backup Service: ${describeUnknown(decision)}. It is not sent again automatically. To send it again, set the annotation ${RETRY_TOKEN_ANNOTATION} to a new value (kubectl annotate ${resource} ${args.name} ${RETRY_TOKEN_ANNOTATION}=<new value> --overwrite).`;
      await settle(obj, { kind: 'blocked', reason: ONE_SHOT_REASONS.triggerOutcomeUnknown, message });
      return undefined;
    }
  }
}
