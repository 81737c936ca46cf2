import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskRun } from './model.ts';
import { simplePlan, startEmulator, type TestEmulator } from './test-support.ts';

const R = '/api/v1/cluster/self/repository';
let t: TestEmulator;
beforeEach(async () => {
  t = await startEmulator({ clock: { mode: 'manual', start: '2025-01-01T00:00:00Z' } });
  await t.call('POST', '/api/v1/plan/p1', simplePlan());
  await t.call('POST', `${R}/active/r1`, { plan: 'p1', archive: t.archive });
});
afterEach(async () => {
  await t.emulator.close();
});

const statuses = async (n: number, path = '/api/v1/plan') => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await t.call('GET', path)).status);
  return out;
};

describe('fault injection', () => {
  it('error rates per route are deterministic for a seed, with the service error body', async () => {
    const faults = { seed: 42, rules: [{ path: '/api/v1/plan', errorRate: 0.5, errorStatus: 503 as const }] };
    await t.call('PUT', '/_emulator/faults', faults);
    const first = await statuses(20);
    await t.call('PUT', '/_emulator/faults', faults);
    const second = await statuses(20);
    expect(second).toEqual(first);
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect((await statuses(5, '/api/v1/config')).every((s) => s === 200)).toBe(true);
    t.emulator.faults.set({ rules: [{ errorRate: 1 }] });
    expect((await t.call('GET', '/api/v1/config')).json).toMatchObject({
      status: 500,
      msg: expect.any(String),
    });
  });

  it('latency per route', async () => {
    t.emulator.faults.set({ rules: [{ method: 'GET', path: '/api/v1/config', latencyMs: 120 }] });
    const started = performance.now();
    await t.call('GET', '/api/v1/config');
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('serves a request whose client gave up during added latency (a lost answer)', async () => {
    t.emulator.faults.set({ rules: [{ method: 'POST', path: `${R}/active/r1/backup`, latencyMs: 300 }] });
    const res = await fetch(`${t.emulator.url}${R}/active/r1/backup`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('admin:password').toString('base64')}` },
      body: '{}',
      signal: AbortSignal.timeout(50),
    }).catch((err: unknown) => err);
    expect(res).toBeInstanceOf(Error);
    await new Promise((r) => setTimeout(r, 500));
    await t.emulator.idle();
    const history = (await t.call('GET', `${R}/active/r1/taskHistory`)).json as TaskRun[];
    expect(history.filter((h) => h.type === 'BACKUP')).toHaveLength(1);
  });

  it('connection reset destroys the socket', async () => {
    t.emulator.faults.set({ rules: [{ path: '/api/v1/plan', resetRate: 1 }] });
    await expect(t.call('GET', '/api/v1/plan')).rejects.toThrow();
    expect((await t.call('GET', '/api/v1/config')).status).toBe(200);
  });

  it('malformed JSON responses', async () => {
    t.emulator.faults.set({ rules: [{ path: '/api/v1/cluster', malformedRate: 1 }] });
    const res = await t.call('GET', '/api/v1/cluster/self');
    expect(res.status).toBe(200);
    expect(() => JSON.parse(res.text)).toThrow();
  });

  it('auth failure: every request 401 until switched off; /_emulator stays reachable', async () => {
    await t.call('PATCH', '/_emulator/faults', { authFailure: true });
    expect((await t.call('GET', '/api/v1/plan')).status).toBe(401);
    expect((await t.call('GET', '/pools/default/buckets')).status).toBe(401);
    await t.call('DELETE', '/_emulator/faults');
    expect((await t.call('GET', '/api/v1/plan')).status).toBe(200);
  });

  it('service paused (leader lost): /api/v1 answers 503 on both prefixes and schedules do not run', async () => {
    t.emulator.faults.patch({ servicePaused: true });
    expect((await t.call('GET', '/api/v1/cluster/self')).json).toMatchObject({ status: 503 });
    expect((await t.call('GET', '/_p/backup/api/v1/plan')).status).toBe(503);
    expect((await t.call('GET', '/pools/default/nodeServices')).status).toBe(200);
    await t.emulator.clock.advance(2 * 3_600_000);
    await t.emulator.idle();
    t.emulator.faults.patch({ servicePaused: false });
    expect((await t.call('GET', `${R}/active/r1/taskHistory`)).json).toEqual([]);
  });

  it('the next task of a repository fails with the given error, once', async () => {
    t.emulator.faults.patch({ taskFailures: [{ repository: 'r1', error: 'disk on fire' }] });
    await t.call('POST', `${R}/active/r1/backup`, {});
    await t.emulator.idle();
    await t.call('POST', `${R}/active/r1/backup`, {});
    await t.emulator.idle();
    const runs = (await t.call('GET', `${R}/active/r1/taskHistory`)).json as TaskRun[];
    expect(runs.map((r) => r.status)).toEqual(['done', 'failed']);
    expect(runs[1]?.error).toBe('disk on fire');
  });

  it('rejects an invalid faults body', async () => {
    expect((await t.call('PUT', '/_emulator/faults', { rules: [{ errorRate: 3 }] })).status).toBe(400);
  });
});

describe('request log', () => {
  it('records method, path, status; filterable by since/method/path — proves exactly-once triggers', async () => {
    const seq = (await t.call('GET', '/_emulator/requests')).json as { lastSeq: number };
    await t.call('POST', `${R}/active/r1/backup`, {});
    await t.call('GET', '/api/v1/cluster/self');
    const log = (await t.call('GET', `/_emulator/requests?since=${seq.lastSeq}&method=POST&path=/api/v1`))
      .json as {
      entries: Array<{ method: string; path: string; status: number }>;
    };
    expect(log.entries).toEqual([
      expect.objectContaining({ method: 'POST', path: `${R}/active/r1/backup`, status: 200 }),
    ]);
    expect(t.emulator.requestLog.entries({ pathPrefix: '/api/v1/cluster/self' }).at(-1)?.status).toBe(200);
  });
});
