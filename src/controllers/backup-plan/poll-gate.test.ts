import { describe, expect, it } from 'vitest';
import { createPollGate } from './poll-gate.ts';

describe('createPollGate', () => {
  const cases: {
    reason: string;
    record?: { fingerprint: string; at: number; waitMs: number | undefined };
    ask: { fingerprint: string; at: number };
    want: number | undefined;
  }[] = [
    { reason: 'first sight is due', ask: { fingerprint: 'a', at: 0 }, want: undefined },
    {
      reason: 'same inputs inside the interval wait for the rest of it',
      record: { fingerprint: 'a', at: 1_000, waitMs: 30_000 },
      ask: { fingerprint: 'a', at: 11_000 },
      want: 20_000,
    },
    {
      reason: 'the interval elapsed',
      record: { fingerprint: 'a', at: 1_000, waitMs: 30_000 },
      ask: { fingerprint: 'a', at: 31_000 },
      want: undefined,
    },
    {
      reason: 'a changed fingerprint (spec or service) is due at once',
      record: { fingerprint: 'a', at: 1_000, waitMs: 30_000 },
      ask: { fingerprint: 'b', at: 2_000 },
      want: undefined,
    },
    {
      reason: 'no requeue asked: wait for a change',
      record: { fingerprint: 'a', at: 1_000, waitMs: undefined },
      ask: { fingerprint: 'a', at: 999_999 },
      want: Number.POSITIVE_INFINITY,
    },
    {
      reason: 'a zero requeue counts as none',
      record: { fingerprint: 'a', at: 1_000, waitMs: 0 },
      ask: { fingerprint: 'a', at: 5_000 },
      want: Number.POSITIVE_INFINITY,
    },
  ];
  it.each(cases)('$reason', ({ record, ask, want }) => {
    const gate = createPollGate();
    if (record) gate.record('ns/p', record.fingerprint, record.at, record.waitMs);
    expect(gate.remaining('ns/p', ask.fingerprint, ask.at)).toBe(want);
  });

  it('forgets a key', () => {
    const gate = createPollGate();
    gate.record('ns/p', 'a', 0, 1_000);
    gate.forget('ns/p');
    expect(gate.remaining('ns/p', 'a', 10)).toBeUndefined();
  });
});

describe('PollGate.prune', () => {
  it('forgets the keys it is told to, keeps the others', () => {
    const gate = createPollGate();
    gate.record('uid-a', 'f', 0, 1_000);
    gate.record('uid-b', 'f', 0, 1_000);
    gate.prune((key) => key === 'uid-b');
    expect(gate.remaining('uid-a', 'f', 10)).toBeUndefined();
    expect(gate.remaining('uid-b', 'f', 10)).toBe(990);
  });
});
