import { describe, expect, it } from 'vitest';
import { deletionDeadlinePassed } from './deletion-deadline.ts';

describe('deletionDeadlinePassed', () => {
  const at = (iso?: string) => ({ metadata: iso ? { deletionTimestamp: iso as unknown as Date } : {} });
  it.each([
    { reason: 'not being deleted', obj: at(), now: Date.parse('2026-01-01T01:00:00Z'), want: false },
    {
      reason: 'deleted just now',
      obj: at('2026-01-01T00:59:59Z'),
      now: Date.parse('2026-01-01T01:00:00Z'),
      want: false,
    },
    {
      reason: 'deleted longer ago than the timeout',
      obj: at('2026-01-01T00:49:00Z'),
      now: Date.parse('2026-01-01T01:00:00Z'),
      want: true,
    },
  ])('$reason → $want', ({ obj, now, want }) => {
    expect(deletionDeadlinePassed(obj, 10 * 60_000, now)).toBe(want);
  });
});
