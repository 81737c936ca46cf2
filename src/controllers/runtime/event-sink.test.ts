import type { EventsV1Event } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryLogger } from '../../../test/support/runtime.ts';
import { createEventSink } from './event-sink.ts';

const event = (name: string): EventsV1Event => ({
  eventTime: new Date(0),
  reason: 'Created',
  regarding: { name },
});

/** A client whose writes finish only when the test says so. */
function gatedClient(failFor: string[] = []) {
  const started: string[] = [];
  const finish: Array<() => void> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  return {
    started,
    maxInFlight: () => maxInFlight,
    /** Lets the oldest write still waiting finish. */
    release: () => finish.shift()?.(),
    client: {
      createNamespacedEvent: ({ body }: { namespace: string; body: EventsV1Event }) => {
        const name = body.regarding?.name ?? '';
        started.push(name);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        return new Promise<unknown>((resolve, reject) =>
          finish.push(() => {
            inFlight--;
            if (failFor.includes(name)) reject(new Error('forbidden'));
            else resolve(body);
          }),
        );
      },
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('createEventSink', () => {
  it('writes one event at a time, in the order they were sent', async () => {
    const gate = gatedClient();
    const { log } = createMemoryLogger();
    const sink = createEventSink({ client: gate.client, log });
    const delivered: string[] = [];
    const all = ['a', 'b', 'c'].map((n) => sink.send('ns', event(n)).then(() => delivered.push(n)));
    await tick();
    expect(gate.started).toEqual(['a']);
    expect(sink.stats()).toEqual({ queued: 2, dropped: 0 });
    for (let i = 0; i < 3; i++) {
      gate.release();
      await tick();
    }
    await Promise.all(all);
    expect(gate.started).toEqual(['a', 'b', 'c']);
    expect(delivered).toEqual(['a', 'b', 'c']);
    expect(gate.maxInFlight()).toBe(1);
    expect(sink.stats()).toEqual({ queued: 0, dropped: 0 });
  });

  it('goes on after a failed write and logs it', async () => {
    const gate = gatedClient(['a']);
    const { log, lines } = createMemoryLogger();
    const sink = createEventSink({ client: gate.client, log });
    const all = Promise.all([sink.send('ns', event('a')), sink.send('ns', event('b'))]);
    gate.release();
    await tick();
    gate.release();
    await all;
    expect(gate.started).toEqual(['a', 'b']);
    expect(lines.filter((l) => l.msg === 'could not record event')).toMatchObject([
      { name: 'a', namespace: 'ns', reason: 'Created' },
    ]);
  });

  it('drops events beyond the queue bound, logging the first drop, and never rejects', async () => {
    const gate = gatedClient();
    const { log, lines } = createMemoryLogger();
    const sink = createEventSink({ client: gate.client, log, maxQueued: 2 });
    const sent = ['a', 'b', 'c', 'd', 'e'].map((n) => sink.send('ns', event(n)));
    // 'a' is being written, 'b' and 'c' wait: 'd' and 'e' find the queue full.
    await Promise.all(sent.slice(3));
    expect(sink.stats()).toEqual({ queued: 2, dropped: 2 });
    expect(lines.filter((l) => l.msg === 'event queue full: dropping events')).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      gate.release();
      await tick();
    }
    await Promise.all(sent);
    expect(gate.started).toEqual(['a', 'b', 'c']);
    // With room again, the next one is written.
    const next = sink.send('ns', event('f'));
    await tick();
    gate.release();
    await next;
    expect(gate.started).toEqual(['a', 'b', 'c', 'f']);
  });

  describe('while the controllers have work waiting', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    /** A sink on fake timers (from 0) with a 100 ms busy gap, recording when each write started. */
    const timedSink = (busy: () => boolean) => {
      vi.useFakeTimers({ now: 0 });
      const startedAt: number[] = [];
      const sink = createEventSink({
        client: {
          createNamespacedEvent: async (p) => {
            startedAt.push(Date.now());
            return p.body;
          },
        },
        log: createMemoryLogger().log,
        busy,
        busyGapMs: 100,
      });
      return { sink, startedAt };
    };

    it('writes at most one Event per gap, and the backlog at once when they have none', async () => {
      let busy = true;
      const { sink, startedAt } = timedSink(() => busy);
      const all = Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => sink.send('ns', event(n))));
      await vi.advanceTimersByTimeAsync(250);
      expect(startedAt).toEqual([0, 100, 200]);
      busy = false;
      await vi.advanceTimersByTimeAsync(100);
      await all;
      // The one already waiting for its gap goes at its time; after it nothing waits.
      expect(startedAt).toEqual([0, 100, 200, 300, 300]);
    });

    it('flushes what waits at full speed on a stop, within its bound', async () => {
      const { sink, startedAt } = timedSink(() => true);
      const all = Promise.all(['a', 'b', 'c', 'd'].map((n) => sink.send('ns', event(n))));
      await vi.advanceTimersByTimeAsync(0);
      const flushed = sink.flush(5_000);
      // The one already waiting for its gap goes at its time; the rest follow at once.
      await vi.advanceTimersByTimeAsync(100);
      await flushed;
      await all;
      expect(startedAt).toEqual([0, 100, 100, 100]);
    });

    it('keeps writing when busy() throws, and a flush gives up at its bound', async () => {
      vi.useFakeTimers({ now: 0 });
      const { log, lines } = createMemoryLogger();
      const gate = gatedClient();
      const sink = createEventSink({
        client: gate.client,
        log,
        busy: () => {
          throw new Error('queues gone');
        },
      });
      const a = sink.send('ns', event('a'));
      const b = sink.send('ns', event('b'));
      await vi.advanceTimersByTimeAsync(0);
      gate.release();
      await a;
      await vi.advanceTimersByTimeAsync(0);
      // Both reached the server; 'b' is stuck there, and the flush stops waiting at its bound.
      expect(gate.started).toEqual(['a', 'b']);
      const flushed = sink.flush(1_000);
      await vi.advanceTimersByTimeAsync(1_000);
      await flushed;
      expect(lines.filter((l) => l.msg === 'could not record event')).toHaveLength(0);
      gate.release();
      await b;
    });
  });
});
