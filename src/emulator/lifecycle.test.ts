// § sections cited here are those of docs/backup-service-api.md.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simplePlan, startEmulator, type TestEmulator } from './test-support.ts';

const R = '/api/v1/cluster/self/repository';
let t: TestEmulator;

beforeEach(async () => {
  t = await startEmulator({ clock: { mode: 'manual', start: '2025-01-01T12:03:00Z' } });
  t.emulator.data.createBucket({ name: 'travel-sample' });
});
afterEach(async () => {
  await t.emulator.close();
});

describe('plans', () => {
  it('lists the built-in plans of the profile with default: true', async () => {
    const res = await t.call('GET', '/api/v1/plan');
    const names = (res.json as Array<{ name: string; default?: boolean }>).map((p) => p.name);
    expect(names).toEqual(['_hourly_backups', '_daily_backups']);
    expect((res.json as Array<{ default?: boolean }>).every((p) => p.default === true)).toBe(true);
  });

  it('round-trips a created plan: services null when omitted, no description when empty', async () => {
    expect(
      (await t.call('POST', '/api/v1/plan/p1', simplePlan({ services: undefined, description: '' }))).status,
    ).toBe(200);
    const res = await t.call('GET', '/api/v1/plan/p1');
    expect(res.json).toEqual({
      name: 'p1',
      services: null,
      tasks: [
        {
          name: 'incr',
          task_type: 'BACKUP',
          full_backup: false,
          schedule: { job_type: 'BACKUP', frequency: 1, period: 'HOURS' },
        },
      ],
    });
  });

  it('rejects a duplicate plan with 400 and keeps the original', async () => {
    await t.call('POST', '/api/v1/plan/p1', simplePlan());
    const dup = await t.call('POST', '/api/v1/plan/p1', simplePlan({ description: 'other' }));
    expect(dup.status).toBe(400);
    expect((await t.call('GET', '/api/v1/plan/p1')).json).toMatchObject({ description: 'test plan' });
  });

  it('answers 404 with the reference body for an unknown plan', async () => {
    const res = await t.call('GET', '/api/v1/plan/nope');
    expect(res).toMatchObject({ status: 404, json: { status: 404, msg: 'requested plan not found' } });
  });

  it('refuses to delete a plan in use, allows it after the repository is archived', async () => {
    await t.call('POST', '/api/v1/plan/p1', simplePlan());
    await t.call('POST', `${R}/active/r1`, { plan: 'p1', archive: t.archive });
    const del = await t.call('DELETE', '/api/v1/plan/p1');
    expect(del).toMatchObject({
      status: 400,
      json: { msg: 'cannot update plan as it is in use by repository: r1' },
    });
    await t.call('POST', `${R}/active/r1/archive`, { id: 'r1' });
    expect((await t.call('DELETE', '/api/v1/plan/p1')).status).toBe(200);
    expect((await t.call('GET', '/api/v1/plan/p1')).status).toBe(404);
  });

  it('protects built-in plans', async () => {
    expect((await t.call('DELETE', '/api/v1/plan/_daily_backups')).status).toBe(400);
    expect((await t.call('PUT', '/api/v1/plan/_daily_backups', simplePlan())).status).toBe(400);
    expect((await t.call('GET', '/api/v1/plan/_daily_backups')).status).toBe(200);
  });
});

describe('repository lifecycle', () => {
  beforeEach(async () => {
    await t.call('POST', '/api/v1/plan/p1', simplePlan());
  });

  it('creates a repository with a generated repo uuid, schedule and health', async () => {
    const res = await t.call('POST', `${R}/active/r1`, {
      plan: 'p1',
      archive: t.archive,
      bucket_name: 'travel-sample',
    });
    expect(res.status).toBe(200);
    const repo = (await t.call('GET', `${R}/active/r1`)).json as Record<string, unknown>;
    expect(repo).toMatchObject({
      id: 'r1',
      plan_name: 'p1',
      state: 'active',
      archive: t.archive,
      version: 1,
      health: { healthy: true },
      bucket: { name: 'travel-sample', uuid: t.emulator.data.getBucket('travel-sample')?.uuid },
      scheduled: { incr: { name: 'incr', task_type: 'BACKUP', next_run: '2025-01-01T13:03:00.000Z' } },
    });
    expect(repo.repo).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['unknown plan', { plan: 'nope', archive: '/tmp' }, 400],
    ['empty plan', { plan: '', archive: '/tmp' }, 400],
    ['missing archive', { plan: 'p1' }, 400],
    ['relative archive', { plan: 'p1', archive: 'rel/dir' }, 400],
    ['unknown bucket', { plan: 'p1', archive: '/tmp/x', bucket_name: 'nope' }, 400],
    ['unusable location (a file)', { plan: 'p1', archive: '/etc/hostname' }, 500],
  ])('rejects %s', async (_reason, body, status) => {
    const res = await t.call('POST', `${R}/active/r1`, body);
    expect(res.status).toBe(status);
    expect((res.json as { status: number }).status).toBe(status);
    expect((await t.call('GET', `${R}/active/r1`)).status).toBe(404);
  });

  it('pause drops scheduled, resume restores the same next_run', async () => {
    await t.call('POST', `${R}/active/r1`, { plan: 'p1', archive: t.archive });
    const before = ((await t.call('GET', `${R}/active/r1`)).json as { scheduled: unknown }).scheduled;
    expect((await t.call('POST', `${R}/active/r1/pause`)).status).toBe(200);
    expect((await t.call('POST', `${R}/active/r1/pause`, {})).status).toBe(200);
    const paused = (await t.call('GET', `${R}/active/r1`)).json as Record<string, unknown>;
    expect(paused.state).toBe('paused');
    expect(paused.scheduled).toBeUndefined();
    await t.emulator.clock.advance(10 * 60_000);
    await t.call('POST', `${R}/active/r1/resume`);
    const resumed = (await t.call('GET', `${R}/active/r1`)).json as Record<string, unknown>;
    expect(resumed.state).toBe('active');
    expect(resumed.scheduled).toEqual(before);
  });

  it('resume after the next_run passed continues at the following slot (§5.8)', async () => {
    await t.call('POST', `${R}/active/r1`, { plan: 'p1', archive: t.archive });
    await t.call('POST', `${R}/active/r1/pause`);
    await t.emulator.clock.advance(61 * 60_000); // 13:04, the 13:03 run was missed
    await t.call('POST', `${R}/active/r1/resume`);
    const repo = (await t.call('GET', `${R}/active/r1`)).json as {
      scheduled: { incr: { next_run: string } };
    };
    expect(repo.scheduled.incr.next_run).toBe('2025-01-01T14:03:00.000Z');
    expect((await t.call('GET', `${R}/active/r1/taskHistory`)).json).toEqual([]);
  });

  it('archives (new id, no schedule), refuses deleting active, deletes archived with remove_repository=True', async () => {
    await t.call('POST', `${R}/active/r1`, { plan: 'p1', archive: t.archive });
    expect((await t.call('DELETE', `${R}/active/r1`)).status).toBe(400);
    expect((await t.call('POST', `${R}/active/r1/archive`, { id: 'bad id!' })).status).toBe(400);
    expect((await t.call('POST', `${R}/active/r1/archive`, { id: 'r1-old' })).status).toBe(200);
    expect((await t.call('GET', `${R}/active/r1`)).status).toBe(404);
    const archived = (await t.call('GET', `${R}/archived/r1-old`)).json as Record<string, unknown>;
    expect(archived).toMatchObject({ id: 'r1-old', state: 'archived', plan_name: 'p1' });
    expect(archived.scheduled).toBeUndefined();
    expect((await t.call('DELETE', `${R}/archived/r1-old?remove_repository=maybe`)).status).toBe(400);
    expect((await t.call('DELETE', `${R}/archived/r1-old?remove_repository=True`)).status).toBe(200);
    expect((await t.call('GET', `${R}/archived/r1-old`)).status).toBe(404);
    expect((await t.call('DELETE', `${R}/archived/r1-old`)).status).toBe(404);
  });

  it('imports an existing archive repository under imported with an empty plan_name', async () => {
    await t.call('POST', `${R}/active/r1`, { plan: 'p1', archive: t.archive });
    const repoUuid = ((await t.call('GET', `${R}/active/r1`)).json as { repo: string }).repo;
    expect((await t.call('POST', `${R}/import`, { id: 'imp', archive: t.archive })).json).toEqual({
      status: 400,
      msg: 'both archive and repository are required',
    });
    expect(
      (await t.call('POST', `${R}/import`, { id: 'imp', archive: t.archive, repo: 'missing' })).status,
    ).toBe(500);
    expect(
      (await t.call('POST', `${R}/import`, { id: 'imp', archive: t.archive, repo: repoUuid })).status,
    ).toBe(200);
    expect((await t.call('GET', `${R}/imported/imp`)).json).toMatchObject({
      state: 'imported',
      plan_name: '',
      repo: repoUuid,
    });
    expect((await t.call('DELETE', `${R}/imported/imp`)).status).toBe(200);
  });

  it('changes the plan of a repository (§5.15)', async () => {
    await t.call('POST', `${R}/active/r1`, { plan: 'p1', archive: t.archive });
    expect((await t.call('POST', `${R}/active/r1/plan/nope`)).status).toBe(404);
    expect((await t.call('POST', `${R}/active/r1/plan/_hourly_backups`)).status).toBe(200);
    const repo = (await t.call('GET', `${R}/active/r1`)).json as {
      plan_name: string;
      scheduled: Record<string, unknown>;
    };
    expect(repo.plan_name).toBe('_hourly_backups');
    expect(Object.keys(repo.scheduled).sort()).toEqual([
      'backup_hourly',
      'merge_every_6_hours',
      'merge_week',
    ]);
  });

  it('answers each error class with the reference shapes', async () => {
    expect(await t.call('GET', '/api/v1/cluster/se3lf')).toMatchObject({
      status: 400,
      json: { status: 400, msg: 'Remote clusters not supported', extras: 'Invalid cluster: se3lf' },
    });
    expect((await t.call('GET', `${R}/paused`)).status).toBe(400);
    expect(await t.call('GET', '/api/v1/nothing/here')).toMatchObject({
      status: 404,
      text: '404 Object Not Found',
    });
    expect((await t.call('POST', `${R}/active/ghost/pause`)).json).toEqual({
      status: 404,
      msg: 'could not find repository with id: ghost',
    });
    expect((await t.call('POST', `${R}/active/ghost/backup`, {})).json).toEqual({
      status: 404,
      msg: 'repository `ghost` does not exist',
    });
    expect((await t.call('POST', `${R}/active/ghost/archive`, { id: 'x' })).json).toEqual({
      status: 404,
      msg: 'could not find active repository with id:ghost',
    });
    await t.call('POST', `${R}/active/r1`, { plan: 'p1', archive: t.archive });
    expect((await t.call('POST', `${R}/active/r1/backup`, '')).json).toEqual({
      status: 400,
      msg: 'invalid request body',
      extras: 'EOF',
    });
    expect((await t.call('POST', `${R}/active/r1/backup`, '{bad')).status).toBe(400);
  });

  it('serves the same API on the cluster-manager proxy prefix', async () => {
    const direct = await t.call('GET', '/api/v1/cluster/self');
    const proxied = await t.call('GET', '/_p/backup/api/v1/cluster/self');
    expect(proxied.status).toBe(200);
    expect(proxied.json).toEqual(direct.json);
    expect(direct.json).toEqual({ name: 'self', active: {}, archived: {}, imported: {} });
  });

  it('concurrent creates of the same repository and plan give exactly one success', async () => {
    const repos = await Promise.all(
      Array.from({ length: 8 }, () => t.call('POST', `${R}/active/same`, { plan: 'p1', archive: t.archive })),
    );
    expect(repos.filter((r) => r.status === 200)).toHaveLength(1);
    expect(repos.filter((r) => r.status === 400)).toHaveLength(7);
    const plans = await Promise.all(
      Array.from({ length: 8 }, () => t.call('POST', '/api/v1/plan/same', simplePlan())),
    );
    expect(plans.filter((r) => r.status === 200)).toHaveLength(1);
  });
});
