import { describe, expect, it } from 'vitest';
import { POLL_FLOOR_MS, pollRequestDelayMs, requestServicePoll } from './poll-request.ts';

describe('pollRequestDelayMs', () => {
  it('is 0 with no poll yet or once the floor has passed, else the rest of the floor', () => {
    expect(pollRequestDelayMs(undefined, 5_000)).toBe(0);
    expect(pollRequestDelayMs(4_000, 5_000)).toBe(0);
    expect(pollRequestDelayMs(4_700, 5_000)).toBe(POLL_FLOOR_MS - 300);
  });
});

describe('requestServicePoll', () => {
  const setup = (lastPollAt: number | undefined) => {
    const calls: string[] = [];
    const deps = {
      clock: { now: () => 10_000, setTimeout: () => undefined, clearTimeout: () => {} },
      observations: { get: () => (lastPollAt === undefined ? undefined : { at: lastPollAt }) },
      kinds: {
        services: {
          enqueue: (k: string) => calls.push(`now ${k}`),
          enqueueAfter: (k: string, ms: number) => calls.push(`after ${ms} ${k}`),
        },
      },
    } as unknown as Parameters<typeof requestServicePoll>[0];
    return { deps, calls };
  };

  it('queues the service for when the floor lets its poll through, not at once', () => {
    const { deps, calls } = setup(9_600);
    for (let i = 0; i < 3; i++) requestServicePoll(deps, 'ns/cb');
    expect(calls).toEqual(['after 600 ns/cb', 'after 600 ns/cb', 'after 600 ns/cb']);
  });

  it('queues it at once when the floor has passed', () => {
    const { deps, calls } = setup(8_000);
    requestServicePoll(deps, 'ns/cb');
    expect(calls).toEqual(['now ns/cb']);
  });
});
