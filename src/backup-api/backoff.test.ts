import { describe, expect, it } from 'vitest';
import { fullJitterDelay } from './backoff.ts';

describe('fullJitterDelay', () => {
  const opts = { baseMs: 100, maxMs: 1_000 };

  it.each([
    [0, 0.999, 99],
    [1, 0.999, 199],
    [3, 0.999, 799],
    [4, 0.999, 999],
    [10, 0.999, 999],
    [2, 0, 0],
    [2, 0.5, 200],
  ])('retry %i with random %f → %i ms', (retry, r, expected) => {
    expect(fullJitterDelay(retry, opts, () => r)).toBe(expected);
  });
});
