import { describe, expect, it } from 'vitest';
import {
  classifyTriggerFailure,
  TRIGGER_RETRY_LIMIT,
  triggerRetriesExhausted,
  triggerRetryDelayMs,
} from './trigger-retry.ts';

describe('classifyTriggerFailure', () => {
  it.each([
    { reason: 'no response: may have arrived', status: 0, msg: 'no complete response', want: 'unknown' },
    { reason: 'bad gateway: the proxy may have forwarded it', status: 502, msg: 'HTTP 502', want: 'unknown' },
    { reason: 'gateway timeout: same', status: 504, msg: 'HTTP 504', want: 'unknown' },
    { reason: 'service paused', status: 503, msg: 'backup service is paused', want: 'transient' },
    { reason: 'rate limited', status: 429, msg: 'HTTP 429', want: 'transient' },
    {
      reason: '500 with a service body (bucket check)',
      status: 500,
      msg: 'could not send task',
      want: 'permanent',
    },
    { reason: '500 with an empty body', status: 500, msg: 'HTTP 500', want: 'transient' },
    { reason: 'unauthorized', status: 401, msg: 'HTTP 401', want: 'permanent' },
    {
      reason: 'forbidden',
      status: 403,
      msg: 'Forbidden. User needs one of the following permissions',
      want: 'permanent',
    },
    { reason: 'invalid body', status: 400, msg: 'invalid', want: 'permanent' },
    { reason: 'repository gone', status: 404, msg: 'repository does not exist', want: 'permanent' },
    { reason: 'another 5xx', status: 507, msg: 'HTTP 507', want: 'transient' },
  ])('$reason', ({ status, msg, want }) => {
    expect(classifyTriggerFailure({ status, msg })).toBe(want);
  });
});

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
