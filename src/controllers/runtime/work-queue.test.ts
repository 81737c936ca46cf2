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
