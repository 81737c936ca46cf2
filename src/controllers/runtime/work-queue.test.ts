import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBackoff } from './backoff.ts';
import { createRuntimeMetrics } from './metrics.ts';
import { createWorkQueue } from './work-queue.ts';

/** Resolves to the key `next()` yields, or 'pending' if it is still waiting after microtasks settle. */
async function peek(p: Promise<string | undefined>): Promise<string | undefined | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);
}

describe('createWorkQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands keys out in FIFO order and deduplicates adds', async () => {
    const q = createWorkQueue({ name: 't' });
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await q.next()).toBe('a');
    expect(await q.next()).toBe('b');
    expect(q.len()).toBe(0);
  });

  it('never hands out a key that is being processed; it re-runs once after done', async () => {
    const q = createWorkQueue({ name: 't' });
    q.add('a');
    expect(await q.next()).toBe('a');
    q.add('a');
    q.add('a');
    const second = q.next();
    expect(await peek(second)).toBe('pending');
    q.done('a');
    expect(await second).toBe('a');
    q.done('a');
    expect(await peek(q.next())).toBe('pending');
  });

  it('a key done without re-adds is not handed out again', async () => {
    const q = createWorkQueue({ name: 't' });
    q.add('a');
    await q.next();
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('addAfter delivers after the delay, earliest wins', async () => {
    const q = createWorkQueue({ name: 't' });
    q.addAfter('a', 10_000);
    q.addAfter('a', 2_000);
    q.addAfter('a', 5_000);
    const p = q.next();
    await vi.advanceTimersByTimeAsync(1_999);
    expect(await peek(p)).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(await p).toBe('a');
    q.done('a');
    await vi.advanceTimersByTimeAsync(20_000);
    expect(q.len()).toBe(0);
  });

  it('addFallback fires when nothing hands the key out before it', async () => {
    const q = createWorkQueue({ name: 't' });
    q.addFallback('a', 5_000);
    q.addFallback('a', 9_000);
    const p = q.next();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(await peek(p)).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(await p).toBe('a');
    q.done('a');
    await vi.advanceTimersByTimeAsync(20_000);
    expect(q.len()).toBe(0);
  });

  it('addFallback is dropped when the key is handed out sooner; addAfter is kept', async () => {
    const q = createWorkQueue({ name: 't' });
    q.addFallback('a', 5_000);
    q.addFallback('b', 5_000);
    q.addAfter('b', 8_000);
    q.add('a');
    q.add('b');
    expect(await q.next()).toBe('a');
    expect(await q.next()).toBe('b');
    q.done('a');
    q.done('b');
    await vi.advanceTimersByTimeAsync(7_999);
    expect(q.len()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(q.len()).toBe(1);
    expect(await q.next()).toBe('b');
  });

  it('a fallback set while its key is processed outlives that hand-out, not the next', async () => {
    const q = createWorkQueue({ name: 't' });
    q.add('a');
    expect(await q.next()).toBe('a');
    q.addFallback('a', 5_000);
    q.add('a');
    q.done('a');
    expect(await q.next()).toBe('a');
    q.done('a');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(q.len()).toBe(0);
  });

  it('addAfter with a non-positive delay adds at once', () => {
    const q = createWorkQueue({ name: 't' });
    q.addAfter('a', 0);
    expect(q.len()).toBe(1);
  });

  it('addRateLimited backs off exponentially and forget resets', async () => {
    const q = createWorkQueue({
      name: 't',
      backoff: createBackoff({ baseMs: 100, maxMs: 10_000, jitter: 0 }),
    });
    const deliveredAfter = async (): Promise<number> => {
      const start = Date.now();
      q.addRateLimited('a');
      const p = q.next();
      while ((await peek(p)) === 'pending') await vi.advanceTimersByTimeAsync(10);
      q.done('a');
      return Date.now() - start;
    };
    expect(await deliveredAfter()).toBe(100);
    expect(await deliveredAfter()).toBe(200);
    expect(await deliveredAfter()).toBe(400);
    expect(q.numRequeues('a')).toBe(3);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    expect(await deliveredAfter()).toBe(100);
  });

  it('shutDown releases waiters, drops adds and clears timers', async () => {
    const q = createWorkQueue({ name: 't' });
    const waiting = q.next();
    q.addAfter('later', 1_000);
    expect(vi.getTimerCount()).toBe(1);
    q.shutDown();
    expect(await waiting).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    q.add('a');
    expect(q.len()).toBe(0);
    expect(await q.next()).toBeUndefined();
    expect(q.isShuttingDown()).toBe(true);
  });

  it('reports depth, adds and retries', async () => {
    const registry = new Registry();
    const metrics = createRuntimeMetrics(registry);
    const q = createWorkQueue({ name: 'plans', metrics });
    q.add('a');
    q.add('b');
    q.add('a');
    q.addRateLimited('c');
    const text = await registry.metrics();
    expect(text).toContain('workqueue_depth{name="plans"} 2');
    expect(text).toContain('workqueue_adds_total{name="plans"} 2');
    expect(text).toContain('workqueue_retries_total{name="plans"} 1');
  });
});

describe('createWorkQueue with partitions', () => {
  /** A queue partitioned by the key's prefix before `-`, counting how often each key is looked at. */
  function partitioned(maxPerPartition?: number) {
    const looks = new Map<string, number>();
    const q = createWorkQueue({
      name: 't',
      partitionOf: (key) => {
        looks.set(key, (looks.get(key) ?? 0) + 1);
        return key.includes('-') ? key.split('-')[0] : undefined;
      },
      ...(maxPerPartition !== undefined ? { maxPerPartition } : {}),
    });
    return { q, looks };
  }

  it('hands out at most maxPerPartition keys of one partition; other partitions pass the held ones', async () => {
    const { q } = partitioned(2);
    for (const key of ['slow-1', 'slow-2', 'slow-3', 'slow-4', 'fast-1', 'free', 'fast-2']) q.add(key);
    const got = [await q.next(), await q.next(), await q.next(), await q.next(), await q.next()];
    expect(got).toEqual(['slow-1', 'slow-2', 'fast-1', 'free', 'fast-2']);
    expect(q.len()).toBe(2);
    // Both left are held by their partition's bound: none a free worker could take.
    expect(q.ready()).toBe(0);
    const blocked = q.next();
    expect(await peek(blocked)).toBe('pending');
    q.done('fast-1');
    expect(await peek(blocked)).toBe('pending');
    q.done('slow-1');
    expect(await blocked).toBe('slow-3');
    q.done('slow-2');
    expect(await q.next()).toBe('slow-4');
    expect(q.len()).toBe(0);
  });

  it('bounds a partition to one key unless told', async () => {
    const { q } = partitioned();
    q.add('a-1');
    q.add('a-2');
    expect(await q.next()).toBe('a-1');
    expect(await peek(q.next())).toBe('pending');
    expect(q.len()).toBe(1);
  });

  it('hands a held key to a consumer that waits before the slot frees, and to one that asks after', async () => {
    const { q } = partitioned(1);
    q.add('a-1');
    q.add('a-2');
    q.add('a-3');
    expect(await q.next()).toBe('a-1');
    const waiting = q.next();
    q.done('a-1');
    expect(await waiting).toBe('a-2');
    q.done('a-2');
    // No consumer at the time of done: the key stays first in line for the next one.
    q.add('b-1');
    expect(await q.next()).toBe('a-3');
    expect(await q.next()).toBe('b-1');
  });

  it('deduplicates a held key and keeps it exclusive; no key is lost', async () => {
    const { q } = partitioned(1);
    q.add('a-1');
    q.add('a-2');
    expect(await q.next()).toBe('a-1');
    expect(await peek(q.next())).toBe('pending');
    q.add('a-2');
    q.add('a-2');
    q.addAfter('a-2', 0);
    expect(q.len()).toBe(1);
    // a-1 changes while running: it is queued again behind the held a-2.
    q.add('a-1');
    q.done('a-1');
    // The pending next() above got a-2.
    q.add('a-2');
    expect(q.len()).toBe(1);
    const third = q.next();
    expect(await peek(third)).toBe('pending');
    q.done('a-2');
    expect(await third).toBe('a-1');
    q.done('a-1');
    expect(await peek(q.next())).toBe('a-2');
  });

  it('looks at a held key only when it is held and when a slot frees (no polling)', async () => {
    const { q, looks } = partitioned(1);
    const keys = Array.from({ length: 20 }, (_, i) => `a-${i}`);
    for (const key of keys) q.add(key);
    expect(await q.next()).toBe('a-0');
    // Unrelated traffic while a-1…a-19 are held does not look at them again.
    for (let i = 0; i < 50; i++) {
      q.add(`free${i}`);
      const key = await q.next();
      q.done(key!);
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(Math.max(...keys.slice(1).map((k) => looks.get(k) ?? 0))).toBe(1);
    let current = 'a-0';
    const seen = [current];
    for (let i = 1; i < keys.length; i++) {
      q.done(current);
      current = (await q.next())!;
      seen.push(current);
    }
    expect(seen).toEqual(keys);
    for (const key of keys.slice(1)) expect(looks.get(key)).toBe(2);
  });

  it('reads the partition again when a held key is released: a key that moved is bounded where it is now', async () => {
    const partitionOf = new Map([
      ['x', 'p'],
      ['y', 'p'],
      ['z', 'q'],
    ]);
    const q = createWorkQueue({ name: 't', partitionOf: (k) => partitionOf.get(k) });
    q.add('z');
    q.add('x');
    q.add('y');
    expect(await q.next()).toBe('z');
    expect(await q.next()).toBe('x');
    partitionOf.set('y', 'q');
    q.done('x');
    // y now belongs to q, whose slot z holds: it waits there, and p's slot stays free.
    const next = q.next();
    expect(await peek(next)).toBe('pending');
    q.add('w');
    partitionOf.set('w', 'p');
    expect(await next).toBe('w');
    q.done('z');
    expect(await q.next()).toBe('y');
  });

  it('reports held keys in the depth metric and drops them on shutDown', async () => {
    const registry = new Registry();
    const metrics = createRuntimeMetrics(registry);
    const q = createWorkQueue({ name: 'repos', metrics, partitionOf: () => 'one' });
    q.add('a');
    q.add('b');
    q.add('c');
    expect(await q.next()).toBe('a');
    expect(await peek(q.next())).toBe('pending');
    expect(await registry.metrics()).toContain('workqueue_depth{name="repos"} 2');
    q.shutDown();
    expect(q.len()).toBe(0);
    q.done('a');
    expect(await q.next()).toBeUndefined();
  });
});
