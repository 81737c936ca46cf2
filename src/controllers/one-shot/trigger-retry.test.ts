import { describe, expect, it } from 'vitest';
import { TRIGGER_RETRY_LIMIT, triggerRetriesExhausted, triggerRetryDelayMs } from './trigger-retry.ts';

describe('triggerRetryDelayMs', () => {
  it.each([
    { reason: 'first retry: three poll intervals', tries: 1, poll: 5_000, want: 15_000 },
    { reason: 'doubles', tries: 2, poll: 5_000, want: 30_000 },
    { reason: 'doubles again', tries: 4, poll: 5_000, want: 120_000 },
    { reason: 'capped at two minutes', tries: 5, poll: 5_000, want: 120_000 },
    { reason: 'follows a fast poll interval (tests)', tries: 1, poll: 250, want: 750 },
  ])('$reason', ({ tries, poll, want }) => {
    expect(triggerRetryDelayMs(tries, poll)).toBe(want);
  });

  it('the default schedule reaches the try limit before the time limit', () => {
    let elapsed = 0;
    for (let tries = 1; tries < TRIGGER_RETRY_LIMIT.tries; tries++)
      elapsed += triggerRetryDelayMs(tries, 5_000);
    expect(elapsed).toBeLessThan(TRIGGER_RETRY_LIMIT.elapsedMs);
  });
});

describe('triggerRetriesExhausted', () => {
  it.each([
    { reason: 'one failed try', tries: 1, elapsed: 0, want: false },
    { reason: 'one below the limit', tries: TRIGGER_RETRY_LIMIT.tries - 1, elapsed: 60_000, want: false },
    { reason: 'try limit reached', tries: TRIGGER_RETRY_LIMIT.tries, elapsed: 60_000, want: true },
    { reason: 'time limit reached', tries: 2, elapsed: TRIGGER_RETRY_LIMIT.elapsedMs, want: true },
  ])('$reason', ({ tries, elapsed, want }) => {
    expect(triggerRetriesExhausted({ tries, firstAtMs: 1_000 }, 1_000 + elapsed)).toBe(want);
  });
});
