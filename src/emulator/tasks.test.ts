// § sections cited here are those of docs/backup-service-api.md.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskRun } from './model.ts';
import { simplePlan, startEmulator, type TestEmulator, waitFor } from './test-support.ts';

const R = '/api/v1/cluster/self/repository';
let t: TestEmulator;
const doc = (key: string) => ({ bucket: 'b1', scope: '_default', collection: '_default', key });

beforeEach(async () => {
  t = await startEmulator({ clock: { mode: 'manual', start: '2025-01-01T12:03:00Z' } });
  t.emulator.data.createBucket({ name: 'b1' });
  t.emulator.data.upsertDocument(doc('k1'), { v: 1 });
  await t.call('POST', '/api/v1/plan/p1', simplePlan());
  await t.call('POST', `${R}/active/r1`, { plan: 'p1', archive: t.archive, bucket_name: 'b1' });
});
afterEach(async () => {
  await t.emulator.close();
});

const history = async (query = '') =>
  (await t.call('GET', `${R}/active/r1/taskHistory${query}`)).json as TaskRun[];
const trigger = async (path: string, body: unknown = {}) => {
  const res = await t.call('POST', `${R}/active/r1/${path}`, body);
  expect(res.status).toBe(200);
  return (res.json as { task_name: string }).task_name;
};

describe('one-off tasks', () => {
  it('backup: BACKUP-<uuid>, then history (done, node_runs, stats) and /info (FULL then INCR)', async () => {
    const name = await trigger('backup', { full_backup: true });
    expect(name).toMatch(/^BACKUP-[0-9a-f-]{36}$/);
    await t.emulator.idle();
    t.emulator.data.upsertDocument(doc('k2'), { v: 2 });
    await trigger('backup');
    await t.emulator.idle();
    const runs = await history();
    expect(runs).toHaveLength(2);
    expect(runs[1]).toMatchObject({ task_name: name, status: 'done', type: 'BACKUP', error_code: 0 });
    expect(runs[1]?.node_runs[0]).toMatchObject({
      status: 'done',
      progress: 100,
      node_id: t.emulator.store.node.uuid,
    });
    const info = (await t.call('GET', `${R}/active/r1/info`)).json as {
      count: number;
      backups: Array<{ type: string }>;
    };
    expect(info.count).toBe(2);
    expect(info.backups.map((b) => b.type)).toEqual(['FULL', 'INCR']);
    const page = (await t.call('GET', `${R}/active/r1/info?limit=1&offset=1`)).json as {
      backups: Array<{ type: string }>;
    };
    expect(page.backups.map((b) => b.type)).toEqual(['INCR']);
  });

  it('shows running and waiting tasks in running_one_off; one task at a time per repository', async () => {
    t.emulator.faults.patch({ taskDelayMs: 150 });
    const first = await trigger('backup', { full_backup: true });
    const second = await trigger('backup');
    const repo = (await t.call('GET', `${R}/active/r1`)).json as { running_one_off: Record<string, TaskRun> };
    expect(repo.running_one_off[first]?.status).toBe('running');
    expect(repo.running_one_off[second]?.status).toBe('waiting');
    await t.emulator.idle();
    const runs = await history();
    expect(runs.map((r) => r.task_name)).toEqual([second, first]);
    expect(Date.parse(runs[0]?.start ?? '')).toBeGreaterThanOrEqual(Date.parse(runs[1]?.end ?? ''));
    expect(
      ((await t.call('GET', `${R}/active/r1`)).json as Record<string, unknown>).running_one_off,
    ).toBeUndefined();
  });

  it('merge with unknown start/end is accepted and the task fails (§5.10)', async () => {
    const name = await trigger('merge', { start: 'nope', end: 'nope2' });
    expect(name).toMatch(/^MERGE-/);
    await t.emulator.idle();
    expect((await history())[0]).toMatchObject({ task_name: name, status: 'failed', error_code: 1 });
  });

  it('merge {} combines all backups into one MERGE backup', async () => {
    await trigger('backup', { full_backup: true });
    await t.emulator.clock.advance(1000);
    await t.emulator.idle();
    await trigger('backup');
    await t.emulator.idle();
    await trigger('merge');
    await t.emulator.idle();
    expect((await history())[0]).toMatchObject({ status: 'done', type: 'MERGE' });
    const info = (await t.call('GET', `${R}/active/r1/info`)).json as { backups: Array<{ type: string }> };
    expect(info.backups).toHaveLength(1);
    expect(info.backups[0]?.type).toMatch(/^MERGE/);
  });

  it('restore into itself by address; wrong password fails the task; unknown start fails', async () => {
    await trigger('backup', { full_backup: true });
    await t.emulator.idle();
    t.emulator.data.deleteDocument(doc('k1'));
    const target = `localhost:${t.emulator.port}`;
    const bad = await t.call('POST', `${R}/active/r1/restore`, { target, user: 'admin', password: 'wrong' });
    expect((bad.json as { task_name: string }).task_name).toMatch(/^restore-/);
    await t.emulator.idle();
    expect((await history())[0]).toMatchObject({ status: 'failed', type: 'RESTORE', target_cluster: target });
    expect((await history())[0]?.error).toMatch(/auth/);
    await t.call('POST', `${R}/active/r1/restore`, {
      target,
      user: 'admin',
      password: 'password',
      start: 'nope',
    });
    await t.emulator.idle();
    expect((await history())[0]?.status).toBe('failed');
    const elsewhere = await t.call('POST', `${R}/active/r1/restore`, {
      target: 'http://10.9.9.9:8091',
      user: 'admin',
      password: 'password',
    });
    expect(elsewhere.status).toBe(200);
    await t.emulator.idle();
    expect((await history())[0]?.status).toBe('failed');
    expect(t.emulator.data.getDocument(doc('k1'))).toBeUndefined();
    await t.call('POST', `${R}/active/r1/restore`, {
      target: `http://127.0.0.1:${t.emulator.port}`,
      user: 'admin',
      password: 'password',
      force_updates: true,
    });
    await t.emulator.idle();
    expect((await history())[0]?.status).toBe('done');
    expect(t.emulator.data.getDocument(doc('k1'))?.value).toEqual({ v: 1 });
    expect((await t.call('POST', `${R}/active/r1/restore`, { user: 'admin' })).status).toBe(400);
  });

  it('examine answers one JSON line holding the timeline array', async () => {
    await trigger('backup', { full_backup: true });
    await t.emulator.idle();
    const res = await t.call('POST', `${R}/active/r1/examine`, {
      key: 'k1',
      data_path: 'b1._default._default',
    });
    expect(res.status).toBe(200);
    const line = JSON.parse(res.text.split('\n')[0] ?? '') as Array<{ document?: { value: unknown } }>;
    expect(line[0]?.document?.value).toEqual({ v: 1 });
  });

  it('deleted bucket: unhealthy repository and backup trigger 500 "Could not send task"', async () => {
    t.emulator.data.deleteBucket('b1');
    const repo = (await t.call('GET', `${R}/active/r1`)).json as { health: unknown };
    expect(repo.health).toEqual({
      healthy: false,
      health_issue: 'cannot verify bucket exists: element not found',
    });
    expect((await t.call('POST', `${R}/active/r1/backup`, {})).json).toEqual({
      status: 500,
      msg: 'Could not send task',
      extras: "failed bucket check for bucket 'b1': element not found",
    });
  });

  it('delete backup: 200 and gone; unknown backup 500; unknown repository 404', async () => {
    await trigger('backup', { full_backup: true });
    await t.emulator.idle();
    const info = (await t.call('GET', `${R}/active/r1/info`)).json as { backups: Array<{ date: string }> };
    const name = info.backups[0]?.date ?? '';
    expect((await t.call('DELETE', `${R}/active/r1/backups/nope`)).json).toMatchObject({
      status: 500,
      msg: 'could not remove backup',
    });
    expect((await t.call('DELETE', `${R}/active/ghost/backups/${name}`)).json).toEqual({
      status: 404,
      msg: 'the repository does not exist',
    });
    expect((await t.call('DELETE', `${R}/active/r1/backups/${encodeURIComponent(name)}`)).status).toBe(200);
    expect(((await t.call('GET', `${R}/active/r1/info`)).json as { count: number }).count).toBe(0);
  });

  it('taskHistory filters: limit/offset, taskName, first (inclusive), newest first', async () => {
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      names.push(await trigger('backup', { full_backup: i === 0 }));
      await t.emulator.idle();
      await t.emulator.clock.advance(60_000);
    }
    expect((await history()).map((r) => r.task_name)).toEqual([...names].reverse());
    expect((await history('?limit=1&offset=1')).map((r) => r.task_name)).toEqual([names[1]]);
    expect((await history(`?taskName=${names[0]}`)).map((r) => r.task_name)).toEqual([names[0]]);
    const second = (await history()).find((r) => r.task_name === names[1]);
    const since = await history(`?first=${encodeURIComponent(second?.start ?? '')}`);
    expect(since.map((r) => r.task_name)).toEqual([names[2], names[1]]);
  });

  it('history survives archiving', async () => {
    await trigger('backup', { full_backup: true });
    await t.emulator.idle();
    await t.call('POST', `${R}/active/r1/archive`, { id: 'old' });
    expect(((await t.call('GET', `${R}/archived/old/taskHistory`)).json as unknown[]).length).toBe(1);
  });

  it('start_now runs the first instance on creation', async () => {
    const plan = simplePlan();
    (plan.tasks[0] as { schedule: Record<string, unknown> }).schedule.start_now = true;
    await t.call('POST', '/api/v1/plan/pnow', plan);
    await t.call('POST', `${R}/active/rnow`, { plan: 'pnow', archive: t.archive });
    await t.emulator.idle();
    const runs = (await t.call('GET', `${R}/active/rnow/taskHistory`)).json as TaskRun[];
    expect(runs.map((r) => [r.task_name, r.status])).toEqual([['incr', 'done']]);
  });

  it('history rotation keeps two segments of history_rotation_size', async () => {
    await t.call('POST', '/api/v1/config', { history_rotation_size: 5 });
    const log = t.emulator.store.history([...t.emulator.store.repositories.values()][0]?.key ?? '');
    // A rotation is observable without writing 5 MiB: fake a full current segment.
    log.currentBytes = 5 * 1024 * 1024;
    log.current.push({
      task_name: 'old',
      status: 'done',
      start: '',
      end: '',
      node_runs: [],
      error_code: 0,
      type: 'BACKUP',
    });
    log.previous.push({
      task_name: 'oldest',
      status: 'done',
      start: '',
      end: '',
      node_runs: [],
      error_code: 0,
      type: 'BACKUP',
    });
    await trigger('backup', { full_backup: true });
    await t.emulator.idle();
    const names = (await history()).map((r) => r.task_name);
    expect(names).toHaveLength(2);
    expect(names).toContain('old');
    expect(names).not.toContain('oldest');
  });
});

describe('polling', () => {
  it('running task progress becomes visible and the list clears when done', async () => {
    t.emulator.faults.patch({ taskDelayMs: 100 });
    const name = await trigger('backup', { full_backup: true });
    await waitFor(
      async () =>
        (await t.call('GET', '/api/v1/cluster/self')).json as {
          active: Record<string, Record<string, unknown>>;
        },
      (c) => c.active.r1?.running_one_off === undefined,
    );
    expect((await history())[0]?.task_name).toBe(name);
  });
});
