import { ApiException } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMemoryLogger, eventually } from '../../../test/support/runtime.ts';
import { createController, type Reconciler } from './controller.ts';
import { TerminalError } from './errors.ts';
import { createRuntimeMetrics } from './metrics.ts';
import { createWorkQueue, type WorkQueue } from './work-queue.ts';

type Call = [string, string, number?];

/** A real queue that records the policy calls the controller makes. */
function recordingQueue(): { queue: WorkQueue; calls: Call[] } {
  const inner = createWorkQueue({ name: 't' });
  const calls: Call[] = [];
  const queue: WorkQueue = {
    ...inner,
    forget: (k) => {
      calls.push(['forget', k]);
      inner.forget(k);
    },
    addAfter: (k, ms) => {
      calls.push(['addAfter', k, ms]);
    },
    addFallback: (k, ms) => {
      calls.push(['addFallback', k, ms]);
    },
    addRateLimited: (k) => {
      calls.push(['addRateLimited', k]);
    },
  };
  return { queue, calls };
}

const conflict = new ApiException(409, 'Conflict', JSON.stringify({ code: 409, reason: 'Conflict' }), {});

describe('createController result policy', () => {
  it.each([
    {
      reason: 'success forgets the key',
      run: async () => undefined,
      calls: [['forget', 'ns/a']],
      result: 'success',
      level: undefined,
    },
    {
      reason: 'requeueAfterMs forgets and schedules',
      run: async () => ({ requeueAfterMs: 5_000 }),
      calls: [
        ['forget', 'ns/a'],
        ['addAfter', 'ns/a', 5_000],
      ],
      result: 'requeue_after',
      level: undefined,
    },
    {
      reason: 'a fallback requeue forgets and schedules a timer a sooner reconcile drops',
      run: async () => ({ requeueAfterMs: 30_000, fallback: true }),
      calls: [
        ['forget', 'ns/a'],
        ['addFallback', 'ns/a', 30_000],
      ],
      result: 'requeue_after',
      level: undefined,
    },
    {
      reason: 'a TerminalError forgets without requeue',
      run: async () => {
        throw new TerminalError('spec rejected');
      },
      calls: [['forget', 'ns/a']],
      result: 'error',
      level: 50,
    },
    {
      reason: 'a 409 retries rate-limited at debug level',
      run: async () => {
        throw new Error('patch status', { cause: conflict });
      },
      calls: [['addRateLimited', 'ns/a']],
      result: 'error',
      level: 20,
    },
    {
      reason: 'any other error retries rate-limited and logs an error',
      run: async () => {
        throw new Error('backup service unavailable');
      },
      calls: [['addRateLimited', 'ns/a']],
      result: 'error',
      level: 50,
    },
  ] as Array<{ reason: string; run: Reconciler; calls: Call[]; result: string; level: number | undefined }>)(
    '$reason',
    async ({ run, calls: want, result, level }) => {
      const { queue, calls } = recordingQueue();
      const { log, lines } = createMemoryLogger();
      const registry = new Registry();
      const metrics = createRuntimeMetrics(registry);
      let seen = 0;
      const c = createController({
        name: 'plans',
        queue,
        log,
        metrics,
        reconcile: async (req, ctx) => {
          seen++;
          ctx.log.info('reconciling');
          expect(req).toEqual({ key: 'ns/a', namespace: 'ns', name: 'a' });
          return run(req, ctx);
        },
      });
      c.start();
      queue.add('ns/a');
      await eventually(() => calls.length >= want.length);
      await c.stop();
      expect(seen).toBe(1);
      expect(calls).toEqual(want);
      const reconcileLine = lines.find((l) => l.msg === 'reconciling');
      expect(reconcileLine).toMatchObject({ controller: 'plans', namespace: 'ns', name: 'a' });
      expect(reconcileLine?.reconcileID).toMatch(/^[0-9a-f-]{36}$/);
      const failureLine = lines.find((l) => l.err !== undefined);
      expect(failureLine?.level).toBe(level);
      expect(await registry.metrics()).toContain(
        `controller_runtime_reconcile_total{controller="plans",result="${result}"} 1`,
      );
    },
  );

  it('counts terminal errors separately', async () => {
    const registry = new Registry();
    const metrics = createRuntimeMetrics(registry);
    const queue = createWorkQueue({ name: 't' });
    const c = createController({
      name: 'p',
      queue,
      log: createMemoryLogger().log,
      metrics,
      reconcile: async () => {
        throw new TerminalError('x');
      },
    });
    c.start();
    queue.add('a');
    await eventually(async () =>
      (await registry.metrics()).includes(
        'controller_runtime_terminal_reconcile_errors_total{controller="p"} 1',
      ),
    );
    await c.stop();
  });

  it('never runs one key concurrently, even with several workers', async () => {
    const queue = createWorkQueue({ name: 't' });
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const c = createController({
      name: 'p',
      queue,
      workers: 4,
      log: createMemoryLogger().log,
      reconcile: async () => {
        active++;
        runs++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 20));
        active--;
      },
    });
    c.start();
    queue.add('k');
    await eventually(() => active === 1);
    queue.add('k');
    queue.add('k');
    await eventually(() => runs === 2 && active === 0);
    await c.stop();
    expect(maxActive).toBe(1);
    expect(runs).toBe(2);
  });

  it('aborts the signal when the reconcile timeout expires', async () => {
    const queue = createWorkQueue({ name: 't' });
    let reason: unknown;
    const c = createController({
      name: 'p',
      queue,
      reconcileTimeoutMs: 30,
      log: createMemoryLogger().log,
      reconcile: async (_req, { signal }) => {
        await new Promise((r) => signal.addEventListener('abort', r));
        reason = signal.reason;
      },
    });
    c.start();
    queue.add('k');
    await eventually(() => reason !== undefined);
    await c.stop();
    expect((reason as Error).name).toBe('TimeoutError');
  });

  it('stop drains a running reconcile before returning', async () => {
    const queue = createWorkQueue({ name: 't' });
    let finished = false;
    let started = false;
    const c = createController({
      name: 'p',
      queue,
      log: createMemoryLogger().log,
      reconcile: async () => {
        started = true;
        await new Promise((r) => setTimeout(r, 50));
        finished = true;
      },
    });
    c.start();
    queue.add('k');
    await eventually(() => started);
    await c.stop({ drainTimeoutMs: 5_000 });
    expect(finished).toBe(true);
  });

  it('stop aborts reconciles still running at the drain deadline', async () => {
    const queue = createWorkQueue({ name: 't' });
    let aborted = false;
    let started = false;
    const c = createController({
      name: 'p',
      queue,
      log: createMemoryLogger().log,
      reconcile: async (_req, { signal }) => {
        started = true;
        await new Promise((r) => signal.addEventListener('abort', r));
        aborted = true;
      },
    });
    c.start();
    queue.add('k');
    await eventually(() => started);
    const t0 = Date.now();
    await c.stop({ drainTimeoutMs: 50 });
    expect(aborted).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});

describe('createController over a partitioned queue', () => {
  it('a slow partition never holds more than its bound; other partitions proceed and no key is lost', async () => {
    const looks = new Map<string, number>();
    const queue = createWorkQueue({
      name: 't',
      partitionOf: (key) => {
        looks.set(key, (looks.get(key) ?? 0) + 1);
        return key.split('/')[0];
      },
      maxPerPartition: 2,
    });
    let releaseSlow!: () => void;
    const slowGate = new Promise<void>((r) => {
      releaseSlow = r;
    });
    const active = new Map<string, number>();
    let maxSlowActive = 0;
    const finished: string[] = [];
    const c = createController({
      name: 'p',
      queue,
      workers: 4,
      log: createMemoryLogger().log,
      reconcile: async ({ key, namespace }) => {
        active.set(namespace, (active.get(namespace) ?? 0) + 1);
        maxSlowActive = Math.max(maxSlowActive, active.get('slow') ?? 0);
        if (namespace === 'slow') await slowGate;
        else await new Promise((r) => setTimeout(r, 1));
        active.set(namespace, (active.get(namespace) ?? 0) - 1);
        finished.push(key);
      },
    });
    c.start();
    const slow = Array.from({ length: 8 }, (_, i) => `slow/s${i}`);
    const fast = Array.from({ length: 12 }, (_, i) => `fast/f${i}`);
    for (const key of slow) queue.add(key);
    for (const key of fast) queue.add(key);
    // Every fast key is done while the slow ones are stuck behind their gate.
    await eventually(() => fast.every((k) => finished.includes(k)));
    expect(finished.filter((k) => k.startsWith('slow/'))).toEqual([]);
    expect(active.get('slow')).toBe(2);
    await new Promise((r) => setTimeout(r, 50));
    // Held keys are looked at once when held; nothing polls them while they wait.
    for (const key of slow.slice(2)) expect(looks.get(key)).toBe(1);
    releaseSlow();
    await eventually(() => finished.length === slow.length + fast.length);
    await c.stop();
    expect(maxSlowActive).toBe(2);
    expect([...finished].sort()).toEqual([...slow, ...fast].sort());
    for (const key of slow.slice(2)) expect(looks.get(key)).toBe(2);
  });
});
