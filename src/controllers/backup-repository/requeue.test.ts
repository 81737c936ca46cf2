import { describe, expect, it } from 'vitest';
import type { Decision } from './desired.ts';
import { FETCH_RETRY_MS, nextRequeueMs, PLAN_RECHECK_MS, type RequeueInput } from './requeue.ts';

const blocked = (reason: string): Decision => ({ kind: 'blocked', state: 'Stalled', reason, message: 'm' });
const POLL = 250;

describe('nextRequeueMs', () => {
  it.each<{ reason: string; input: Partial<RequeueInput>; want: number | undefined }>([
    {
      reason: 'synced and idle: only a change helps',
      input: { decision: { kind: 'synced' } },
      want: undefined,
    },
    { reason: 'following a task', input: { decision: { kind: 'synced' }, following: true }, want: POLL },
    {
      reason: 'history could not be read',
      input: { decision: { kind: 'synced' }, fetchFailed: true },
      want: FETCH_RETRY_MS,
    },
    {
      reason: 'a Stalled decision (adoption conflict, archived on the server): no requeue',
      input: { decision: blocked('ServerRejected') },
      want: undefined,
    },
    {
      reason: 'plan not Ready keeps its own pace (an old rejection does not make it 1 s)',
      input: { decision: blocked('PlanNotReady') },
      want: PLAN_RECHECK_MS,
    },
    {
      reason: 'adoption conflict waits for a change',
      input: { decision: blocked('AdoptionConflict') },
      want: undefined,
    },
    {
      reason: 'an action still to do',
      input: { decision: { kind: 'act', action: { kind: 'pause' } } },
      want: POLL,
    },
    {
      reason: 'a trigger in its delivery grace: the soonest reason wins',
      input: { decision: blocked('PlanNotReady'), triggerWaitMs: 180 },
      want: 180,
    },
  ])('$reason', ({ input, want }) => {
    expect(
      nextRequeueMs({
        decision: { kind: 'synced' },
        following: false,
        fetchFailed: false,
        taskPollIntervalMs: POLL,
        ...input,
      }),
    ).toBe(want);
  });
});
