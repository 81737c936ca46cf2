import { describe, expect, it } from 'vitest';
import { hasVanished } from './vanished.ts';

describe('hasVanished', () => {
  it.each([
    { reason: 'just missed', since: 1_000, now: 1_000, want: false },
    { reason: 'inside the limit', since: 1_000, now: 30_999, want: false },
    { reason: 'at the limit', since: 1_000, now: 31_000, want: true },
  ])('$reason', ({ since, now, want }) => expect(hasVanished(since, now, 30_000)).toBe(want));
});
