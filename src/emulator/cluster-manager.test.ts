import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type TestEmulator } from './test-support.ts';

let t: TestEmulator;
beforeAll(async () => {
  t = await startEmulator({ clock: { mode: 'manual', start: '2025-01-01T00:00:00Z' } });
});
afterAll(async () => {
  await t.emulator.close();
});

describe('cluster manager', () => {
  it('creates (form-encoded), lists and deletes buckets like ns_server', async () => {
    expect(
      (await t.call('POST', '/pools/default/buckets', 'name=travel&ramQuota=256&bucketType=couchbase'))
        .status,
    ).toBe(202);
    const dup = await t.call('POST', '/pools/default/buckets', 'name=travel&ramQuota=256');
    expect(dup).toMatchObject({
      status: 400,
      json: { errors: { name: 'Bucket with given name already exists' } },
    });
    expect((await t.call('POST', '/pools/default/buckets', 'ramQuota=256')).status).toBe(400);
    const list = (await t.call('GET', '/pools/default/buckets')).json as Array<{
      name: string;
      uuid: string;
      quota: { ram: number };
    }>;
    expect(list).toEqual([
      expect.objectContaining({
        name: 'travel',
        bucketType: 'membase',
        quota: { ram: 256 * 1024 * 1024, rawRAM: 256 * 1024 * 1024 },
      }),
    ]);
    expect(list[0]?.uuid).toBe(t.emulator.data.getBucket('travel')?.uuid);
    expect((await t.call('DELETE', '/pools/default/buckets/travel')).status).toBe(200);
    expect((await t.call('DELETE', '/pools/default/buckets/travel')).status).toBe(404);
  });

  it('advertises the backup service port in nodeServices', async () => {
    const res = (await t.call('GET', '/pools/default/nodeServices')).json as {
      nodesExt: Array<{ services: { backupAPI: number }; thisNode: boolean }>;
    };
    expect(res.nodesExt[0]).toMatchObject({ thisNode: true, services: { backupAPI: t.emulator.port } });
  });
});

describe('/_emulator API', () => {
  const D = '/_emulator/buckets/b/scopes/s/collections/c/docs';

  it('manages keyspaces and documents without auth', async () => {
    expect((await t.call('POST', '/_emulator/buckets', { name: 'b' }, null)).status).toBe(200);
    expect((await t.call('POST', '/_emulator/buckets', { name: 'b' }, null)).status).toBe(409);
    expect((await t.call('POST', '/_emulator/buckets/b/scopes', { name: 's' }, null)).status).toBe(200);
    expect(
      (await t.call('POST', '/_emulator/buckets/b/scopes/s/collections', { name: 'c' }, null)).status,
    ).toBe(200);
    const put = await t.call('PUT', `${D}/k1?expiry=0`, { hello: 'world' }, null);
    expect(put.json).toMatchObject({ key: 'k1', value: { hello: 'world' }, revision: 1, deleted: false });
    expect((await t.call('GET', `${D}/k1`, undefined, null)).json).toMatchObject({
      value: { hello: 'world' },
    });
    expect(
      (await t.call('PUT', '/_emulator/buckets/b/scopes/s/collections/nope/docs/k', {}, null)).status,
    ).toBe(404);
    expect((await t.call('DELETE', `${D}/k1`, undefined, null)).json).toMatchObject({
      deleted: true,
      revision: 2,
    });
    expect((await t.call('GET', `${D}/k1`, undefined, null)).status).toBe(404);
    const all = (await t.call('GET', '/_emulator/buckets/b/docs?includeDeleted=true', undefined, null))
      .json as unknown[];
    expect(all).toHaveLength(1);
    const scopes = (await t.call('GET', '/_emulator/buckets/b/scopes', undefined, null)).json as Array<{
      name: string;
    }>;
    expect(scopes.map((s) => s.name).sort()).toEqual(['_default', 's']);
    expect(
      (await t.call('DELETE', '/_emulator/buckets/b/scopes/s/collections/c', undefined, null)).status,
    ).toBe(200);
  });

  it('drives the clock: GET time, advance by duration or ms, set; rejects garbage', async () => {
    const before = (await t.call('GET', '/_emulator/time', undefined, null)).json as {
      nowMs: number;
      mode: string;
    };
    expect(before.mode).toBe('manual');
    const after = (await t.call('POST', '/_emulator/time/advance', { duration: '1h30m' }, null)).json as {
      nowMs: number;
    };
    expect(after.nowMs - before.nowMs).toBe(90 * 60_000);
    const ms = (await t.call('POST', '/_emulator/time/advance', { ms: 500 }, null)).json as { nowMs: number };
    expect(ms.nowMs - after.nowMs).toBe(500);
    expect((await t.call('POST', '/_emulator/time/advance', { duration: '1 fortnight' }, null)).status).toBe(
      400,
    );
    expect((await t.call('POST', '/_emulator/time/set', { time: '2000-01-01T00:00:00Z' }, null)).status).toBe(
      400,
    );
    const set = (await t.call('POST', '/_emulator/time/set', { time: '2030-01-01T00:00:00Z' }, null))
      .json as { now: string };
    expect(set.now).toBe('2030-01-01T00:00:00.000Z');
    expect((await t.call('POST', '/_emulator/time/scale', { scale: 10 }, null)).status).toBe(400);
  });
});

describe('scaled clock', () => {
  it('runs time faster and fires schedules from real timers', async () => {
    const s = await startEmulator({ clock: { mode: 'scaled', scale: 3600 } });
    try {
      await s.call('POST', '/api/v1/plan/p', {
        tasks: [
          {
            name: 'm',
            task_type: 'BACKUP',
            schedule: { job_type: 'BACKUP', frequency: 1, period: 'MINUTES' },
          },
        ],
      });
      await s.call('POST', '/api/v1/cluster/self/repository/active/r', { plan: 'p', archive: s.archive });
      const t0 = s.emulator.clock.nowMs();
      await new Promise((r) => setTimeout(r, 200)); // 200 ms real ≈ 12 emulated minutes
      expect(s.emulator.clock.nowMs() - t0).toBeGreaterThanOrEqual(600_000);
      await s.emulator.idle();
      const runs = (await s.call('GET', '/api/v1/cluster/self/repository/active/r/taskHistory'))
        .json as unknown[];
      expect(runs.length).toBeGreaterThanOrEqual(3);
      expect((await s.call('POST', '/_emulator/time/scale', { scale: 1 }, null)).status).toBe(200);
    } finally {
      await s.emulator.close();
    }
  });
});
