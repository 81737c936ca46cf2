import { type Decision, REPOSITORY_REASONS as R } from './desired.ts';

/** Retry delay when history/info could not be read (the rest of the status is still written). */
export const FETCH_RETRY_MS = 10_000;
/** Safety re-check while a BackupPlan is not Ready (its changes re-enqueue us anyway). */
export const PLAN_RECHECK_MS = 60_000;

/** What one reconcile learnt that bears on when to look again. */
export interface RequeueInput {
  /** The final decision of this reconcile. */
  decision: Decision;
  /** Tasks this process started are still followed. */
  following: boolean;
  /** History/info could not be read. */
  fetchFailed: boolean;
  /** A trigger waits for its delivery grace: look again no later than this. */
  triggerWaitMs?: number | undefined;
  taskPollIntervalMs: number;
}

/**
 * When to reconcile again after a reconcile that wrote nothing more (pure): the soonest of every
 * reason that applies, `undefined` when only a change may help. Refusals are timed by the engine's
 * refusal memory, not here.
 */
export function nextRequeueMs(input: RequeueInput): number | undefined {
  const { decision } = input;
  const delays: number[] = [];
  if (input.following) delays.push(input.taskPollIntervalMs);
  if (input.triggerWaitMs !== undefined) delays.push(Math.max(0, input.triggerWaitMs));
  if (input.fetchFailed) delays.push(FETCH_RETRY_MS);
  if (decision.kind === 'blocked' && decision.reason === R.planNotReady) delays.push(PLAN_RECHECK_MS);
  if (decision.kind === 'act') delays.push(input.taskPollIntervalMs);
  return delays.length > 0 ? Math.min(...delays) : undefined;
}
