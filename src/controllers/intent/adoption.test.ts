import { describe, expect, it } from 'vitest';
import { decideAdoption, describeUnknown } from './adoption.ts';
import { DELIVERY_GRACE_MS, HISTORY_TRUST_MS } from './constants.ts';

const T0 = Date.parse('2026-01-01T10:00:00Z');

describe('decideAdoption', () => {
  it.each([
    {
      reason: 'one candidate is ours at once',
      candidates: ['A'],
      now: T0 + 1,
      want: { kind: 'adopt', taskName: 'A' },
    },
    {
      reason: 'one candidate long after is still ours',
      candidates: ['A'],
      now: T0 + HISTORY_TRUST_MS * 2,
      want: { kind: 'adopt', taskName: 'A' },
    },
    {
      reason: 'nothing yet inside the grace: wait',
      candidates: [],
      now: T0 + 1,
      want: { kind: 'wait', untilMs: T0 + DELIVERY_GRACE_MS },
    },
    {
      reason: 'several inside the grace: wait',
      candidates: ['A', 'B'],
      now: T0 + 1,
      want: { kind: 'wait', untilMs: T0 + DELIVERY_GRACE_MS },
    },
    {
      reason: 'nothing after the grace: never delivered',
      candidates: [],
      now: T0 + DELIVERY_GRACE_MS,
      want: { kind: 'resend' },
    },
    {
      reason: 'several after the grace: ambiguous',
      candidates: ['A', 'B'],
      now: T0 + DELIVERY_GRACE_MS,
      want: { kind: 'unknown', why: 'several-candidates', candidates: ['A', 'B'] },
    },
    {
      reason: 'nothing but the history may have rotated',
      candidates: [],
      now: T0 + HISTORY_TRUST_MS + 1,
      want: { kind: 'unknown', why: 'history-too-old', candidates: [] },
    },
  ])('$reason', ({ candidates, now, want }) => {
    expect(decideAdoption({ candidates, sentAtMs: T0, nowMs: now })).toEqual(want);
  });
});

describe('describeUnknown', () => {
  it.each([
    {
      reason: 'several candidates are named',
      decision: { kind: 'unknown', why: 'several-candidates', candidates: ['A', 'B'] } as const,
      want: 'several tasks could be it (A, B)',
    },
    {
      reason: 'a history too old to trust',
      decision: { kind: 'unknown', why: 'history-too-old', candidates: [] } as const,
      want: 'no task was found, but the request is older than the task history can be trusted to show',
    },
  ])('$reason', ({ decision, want }) => {
    expect(describeUnknown({ ...decision, candidates: [...decision.candidates] })).toBe(want);
  });
});
