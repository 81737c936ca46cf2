import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BackupClient,
  BACKUP_API_ERROR_CODES as C,
  mayBePlanNotFound,
} from '../../../src/backup-api/index.ts';
import { startTestEmulator, type TestEmulator } from '../../harness/emulator.ts';
import { clientFor, type EmulatorControl, emulatorControl, waitForTask } from './contract-support.ts';

// Repository lifecycle and task endpoints (docs/backup-service-api.md §5) through the client, one emulator.

let t: TestEmulator;
let client: BackupClient;
let emu: EmulatorControl;

const PLAN = 'weekly';

beforeAll(async () => {
  t = await startTestEmulator({ clock: { mode: 'manual', start: '2025-01-01T00:00:00Z' } });
  client = clientFor(t.emulator.url);
  emu = emulatorControl(t.emulator.url);
  await emu.createBucket('b1');
  await emu.putDoc('b1', '_default', '_default', 'k1', { n: 1 });
  await client.createPlan(PLAN, {
    tasks: [
      {
        name: 'full_sunday',
        task_type: 'BACKUP',
        full_backup: true,
        schedule: { job_type: 'BACKUP', frequency: 1, period: 'SUNDAY', time: '23:00' },
      },
    ],
  });
  await client.createPlan('other', {
    tasks: [
      {
        name: 'merge_daily',
        task_type: 'MERGE',
        merge_options: { offset_start: 0, offset_end: 1 },
        schedule: { job_type: 'MERGE', frequency: 1, period: 'DAYS', time: '06:00' },
      },
    ],
  });
});
afterAll(async () => {
  await client.close();
  await t.close();
});

const archive = (name: string) => join(t.archiveDir, name);

describe('repository lifecycle', () => {
  it('createRepository → getRepository / listRepositories / getClusterInfo show it active and scheduled', async () => {
    await client.createRepository('r1', { plan: PLAN, archive: archive('r1'), bucket_name: 'b1' });
    const repo = await client.getRepository('active', 'r1');
    expect(repo).toMatchObject({
      id: 'r1',
      plan_name: PLAN,
      state: 'active',
      archive: archive('r1'),
      bucket: { name: 'b1' },
      health: { healthy: true },
    });
    // 2025-01-01 is a Wednesday: the next Sunday 23:00 (§6.3 weekday rule).
    expect(repo.scheduled?.full_sunday?.next_run).toMatch(/^2025-01-05T23:00:00(\.000)?Z$/);
    expect((await client.listRepositories('active')).map((r) => r.id)).toEqual(['r1']);
    expect(Object.keys((await client.getClusterInfo()).active)).toEqual(['r1']);
  });

  it.each([
    ['an invalid id', 'bad!id', { plan: PLAN, archive: '/tmp/x' }, /repository id must follow the rules/],
    [
      'a relative archive',
      'rel',
      { plan: PLAN, archive: 'relative/dir' },
      /archive location must be an absolute path/,
    ],
    [
      'an unknown bucket',
      'nobucket',
      { plan: PLAN, archive: '/tmp/x', bucket_name: 'zz' },
      /bucket does not exist/,
    ],
    ['an existing id', 'r1', { plan: PLAN, archive: '/tmp/x' }, /repository already exists/],
  ])('createRepository with %s → BSVC_INVALID', async (_what, id, body, msg) => {
    await expect(client.createRepository(id, body)).rejects.toMatchObject({
      code: C.invalid,
      status: 400,
      msg: expect.stringMatching(msg),
    });
  });

  it('createRepository with an unknown plan → 400 that mayBePlanNotFound recognises; getPlan confirms', async () => {
    const err = await client
      .createRepository('np', { plan: 'missing', archive: archive('np') })
      .catch((e) => e);
    expect(err).toMatchObject({ code: C.invalid, endpoint: 'POST /cluster/self/repository/active/{id}' });
    expect(mayBePlanNotFound(err)).toBe(true);
    await expect(client.getPlan('missing')).rejects.toMatchObject({ code: C.notFound });
  });

  it('createRepository on an unusable archive location (a file) → BSVC_INTERNAL', async () => {
    const file = join(t.archiveDir, '..', 'a-file');
    await writeFile(file, 'not a directory');
    await expect(client.createRepository('onfile', { plan: PLAN, archive: file })).rejects.toMatchObject({
      code: C.internal,
      status: 500,
      msg: 'could not create repository',
      retryable: true,
    });
    await expect(client.getRepository('active', 'onfile')).rejects.toMatchObject({ code: C.notFound });
  });

  it('createRepository on a cloud archive: validated (400), then an unreachable location fails (500)', async () => {
    await expect(client.createRepository('s3a', { plan: PLAN, archive: 's3://bkt/p' })).rejects.toMatchObject(
      {
        code: C.invalid,
        msg: 'cloud staging directory is required',
      },
    );
    await expect(
      client.createRepository('s3b', {
        plan: PLAN,
        archive: 's3://bkt/p',
        cloud_staging_dir: '/tmp/staging',
        cloud_credentials_id: 'id',
        cloud_credentials_key: 'key',
        cloud_region: 'eu-west-1',
        // Nobody listens on port 1: the location check fails without leaving the machine.
        cloud_endpoint: 'http://127.0.0.1:1',
      }),
    ).rejects.toMatchObject({ code: C.internal, status: 500 });
  });

  it('pauseRepository drops the schedule; resume restores the same next_run; both are idempotent', async () => {
    const before = (await client.getRepository('active', 'r1')).scheduled?.full_sunday?.next_run;
    await client.pauseRepository('r1');
    await client.pauseRepository('r1');
    const paused = await client.getRepository('active', 'r1');
    expect(paused.state).toBe('paused');
    expect(paused.scheduled ?? {}).toEqual({});
    await client.resumeRepository('r1');
    await client.resumeRepository('r1');
    const resumed = await client.getRepository('active', 'r1');
    expect(resumed.state).toBe('active');
    expect(resumed.scheduled?.full_sunday?.next_run).toBe(before);
  });

  it('changeRepositoryPlan switches plan and schedule; unknown plan → BSVC_NOT_FOUND', async () => {
    await client.changeRepositoryPlan('r1', 'other');
    const repo = await client.getRepository('active', 'r1');
    expect(repo.plan_name).toBe('other');
    expect(Object.keys(repo.scheduled ?? {})).toEqual(['merge_daily']);
    await expect(client.changeRepositoryPlan('r1', 'missing')).rejects.toMatchObject({ code: C.notFound });
    await client.changeRepositoryPlan('r1', PLAN);
  });

  it.each([
    ['getRepository', () => client.getRepository('active', 'ghost')],
    ['getRepositoryInfo', () => client.getRepositoryInfo('active', 'ghost')],
    ['taskHistory', () => client.taskHistory('archived', 'ghost')],
    ['pauseRepository', () => client.pauseRepository('ghost')],
    ['resumeRepository', () => client.resumeRepository('ghost')],
    ['archiveRepository', () => client.archiveRepository('ghost', 'ghost2')],
    ['backup', () => client.backup('ghost')],
    ['merge', () => client.merge('ghost')],
    ['restore', () => client.restore('imported', 'ghost', { target: 'x', user: 'u', password: 'p' })],
    ['examine', () => client.examine('active', 'ghost', { key: 'k', data_path: 'b1' })],
    ['deleteBackup', () => client.deleteBackup('ghost', '2025-01-01T00_00_00.000000000Z')],
    ['deleteRepository', () => client.deleteRepository('archived', 'ghost')],
  ])('%s of an unknown repository → BSVC_NOT_FOUND', async (_name, call) => {
    await expect(call()).rejects.toMatchObject({ code: C.notFound, status: 404, retryable: false });
  });
});

describe('tasks', () => {
  let first = '';
  let second = '';

  it('backup (full, then incremental) runs to done and lands in getRepositoryInfo as FULL, INCR', async () => {
    const { task_name: full } = await client.backup('r1', { full: true });
    expect(full).toMatch(/^BACKUP-[0-9a-f-]{36}$/);
    const run = await waitForTask(client, 'active', 'r1', full);
    expect(run).toMatchObject({ status: 'done', type: 'BACKUP' });
    await emu.putDoc('b1', '_default', '_default', 'k2', { n: 2 });
    const { task_name: incr } = await client.backup('r1');
    expect((await waitForTask(client, 'active', 'r1', incr)).status).toBe('done');

    const info = await client.getRepositoryInfo('active', 'r1');
    expect(info.name).toBe((await client.getRepository('active', 'r1')).repo);
    expect(info.count).toBe(2);
    expect(info.backups.map((b) => b.type)).toEqual(['FULL', 'INCR']);
    [first, second] = info.backups.map((b) => b.date) as [string, string];
  });

  it('getRepositoryInfo pages with limit/offset; a negative limit → BSVC_INVALID', async () => {
    const page = await client.getRepositoryInfo('active', 'r1', { limit: 1, offset: 1 });
    expect(page.backups.map((b) => b.date)).toEqual([second]);
    expect(page.count).toBe(2);
    expect((await client.getRepositoryInfo('active', 'r1', { offset: 5 })).backups).toEqual([]);
    await expect(client.getRepositoryInfo('active', 'r1', { limit: -1 })).rejects.toMatchObject({
      code: C.invalid,
    });
  });

  it('taskHistory is newest first and honours limit, offset, taskName and first', async () => {
    const all = await client.taskHistory('active', 'r1');
    expect(all).toHaveLength(2);
    expect(all.map((r) => r.type)).toEqual(['BACKUP', 'BACKUP']);
    const [newest, oldest] = all as [(typeof all)[0], (typeof all)[0]];
    expect(Date.parse(newest.start)).toBeGreaterThanOrEqual(Date.parse(oldest.start));
    expect(await client.taskHistory('active', 'r1', { limit: 1, offset: 1 })).toEqual([oldest]);
    expect(await client.taskHistory('active', 'r1', { taskName: oldest.task_name })).toEqual([oldest]);
    expect(await client.taskHistory('active', 'r1', { first: newest.start })).toContainEqual(newest);
    // The same instant written with a +01:00 offset: the `+` must arrive encoded (§5.13).
    const plusOne = new Date(Date.parse(newest.start) + 3_600_000).toISOString().replace('Z', '+01:00');
    expect(await client.taskHistory('active', 'r1', { first: plusOne })).toEqual(
      all.filter((r) => Date.parse(r.start) >= Date.parse(newest.start)),
    );
    expect(
      await client.taskHistory('active', 'r1', { first: new Date(Date.parse(newest.start) + 1) }),
    ).toEqual(all.filter((r) => Date.parse(r.start) > Date.parse(newest.start)));
    await expect(client.taskHistory('active', 'r1', { offset: -2 })).rejects.toMatchObject({
      code: C.invalid,
    });
  });

  it('examine shows the key in every backup', async () => {
    const result = await client.examine('active', 'r1', { key: 'k1', data_path: 'b1._default._default' });
    expect(result.shape).toBe('timeline');
    if (result.shape !== 'timeline') return;
    expect(result.entries.map((e) => e.backup)).toEqual([first, second]);
    expect(result.entries[0]?.document?.value).toEqual({ n: 1 });
  });

  it('merge of a named range → MERGE - FULL with range; bad names are accepted and the task fails', async () => {
    const { task_name } = await client.merge('r1', { start: first, end: second });
    expect(task_name).toMatch(/^MERGE-/);
    expect(await waitForTask(client, 'active', 'r1', task_name)).toMatchObject({
      status: 'done',
      type: 'MERGE',
    });
    const info = await client.getRepositoryInfo('active', 'r1');
    expect(info.backups).toHaveLength(1);
    expect(info.backups[0]).toMatchObject({ type: 'MERGE - FULL', source: 'Merge', range: [first, second] });

    const bad = await client.merge('r1', { start: 'nope', end: 'nope' });
    expect((await waitForTask(client, 'active', 'r1', bad.task_name)).status).toBe('failed');
  });

  it('deleteBackup removes a backup; an unknown backup → BSVC_INTERNAL', async () => {
    const { task_name } = await client.backup('r1');
    await waitForTask(client, 'active', 'r1', task_name);
    const names = (await client.getRepositoryInfo('active', 'r1')).backups.map((b) => b.date);
    expect(names).toHaveLength(2);
    await client.deleteBackup('r1', names[1] as string);
    expect((await client.getRepositoryInfo('active', 'r1')).backups.map((b) => b.date)).toEqual([names[0]]);
    await expect(client.deleteBackup('r1', names[1] as string)).rejects.toMatchObject({
      code: C.internal,
      status: 500,
      msg: 'could not remove backup',
    });
  });

  it('backup with the bucket deleted → BSVC_INTERNAL "Could not send task", health unhealthy', async () => {
    await emu.createBucket('tmpb');
    await client.createRepository('gone', { plan: PLAN, archive: archive('gone'), bucket_name: 'tmpb' });
    await emu.call('DELETE', '/buckets/tmpb');
    const repo = await client.getRepository('active', 'gone');
    expect(repo.health).toEqual({
      healthy: false,
      health_issue: 'cannot verify bucket exists: element not found',
    });
    await expect(client.backup('gone')).rejects.toMatchObject({
      code: C.internal,
      msg: 'Could not send task',
      extras: "failed bucket check for bucket 'tmpb': element not found",
    });
  });

  it('a running one-off task shows in running_one_off (end = zero time); a second one waits', async () => {
    await emu.setFaults({ taskDelayMs: 400 });
    try {
      const a = await client.backup('r1');
      const b = await client.merge('r1', { offset_start: 0, offset_end: 1 });
      const running = (await client.getRepository('active', 'r1')).running_one_off ?? {};
      expect(running[a.task_name]).toMatchObject({
        status: 'running',
        type: 'BACKUP',
        end: '0001-01-01T00:00:00Z',
      });
      expect(running[b.task_name]).toMatchObject({ status: 'waiting', type: 'MERGE' });
      expect(await client.taskHistory('active', 'r1', { taskName: a.task_name })).toEqual([]);
      expect((await waitForTask(client, 'active', 'r1', a.task_name)).status).toBe('done');
      expect((await waitForTask(client, 'active', 'r1', b.task_name)).status).toBe('done');
      expect((await client.getRepository('active', 'r1')).running_one_off ?? {}).toEqual({});
    } finally {
      await emu.clearFaults();
    }
  });

  it('restore with invalid body fields → BSVC_INVALID', async () => {
    await expect(
      client.restore('active', 'r1', { target: '', user: 'admin', password: 'password' }),
    ).rejects.toMatchObject({ code: C.invalid, msg: 'invalid request body' });
  });
});

describe('archive, import, delete', () => {
  let repoUuid = '';

  it('archiveRepository moves r1 to archived under a new id; history and info survive', async () => {
    repoUuid = (await client.getRepository('active', 'r1')).repo;
    const history = await client.taskHistory('active', 'r1');
    await client.archiveRepository('r1', 'r1-old');
    await expect(client.getRepository('active', 'r1')).rejects.toMatchObject({ code: C.notFound });
    const archived = await client.getRepository('archived', 'r1-old');
    expect(archived).toMatchObject({ state: 'archived', repo: repoUuid });
    expect(archived.scheduled ?? {}).toEqual({});
    expect(await client.taskHistory('archived', 'r1-old')).toEqual(history);
    expect((await client.getRepositoryInfo('archived', 'r1-old')).backups).toHaveLength(1);
    expect((await client.listRepositories('archived')).map((r) => r.id)).toEqual(['r1-old']);
  });

  it('deleting an active repository → BSVC_INVALID', async () => {
    await expect(
      // The client type only allows archived|imported; the service must refuse active anyway.
      client.deleteRepository('active' as 'archived', 'gone'),
    ).rejects.toMatchObject({ code: C.invalid });
  });

  it('importRepository exposes the same archive under imported; restore works from there', async () => {
    await client.importRepository({ id: 'imp', archive: archive('r1'), repo: repoUuid });
    const imported = await client.getRepository('imported', 'imp');
    expect(imported).toMatchObject({ state: 'imported', plan_name: '', repo: repoUuid });
    expect((await client.listRepositories('imported')).map((r) => r.id)).toEqual(['imp']);
    expect(Object.keys((await client.getClusterInfo()).imported)).toEqual(['imp']);
    expect((await client.getRepositoryInfo('imported', 'imp')).backups).toHaveLength(1);
    await expect(
      client.importRepository({ id: 'imp2', archive: archive('r1'), repo: 'no-such-repo' }),
    ).rejects.toMatchObject({ code: C.internal });

    const { task_name } = await client.restore('imported', 'imp', {
      target: t.emulator.url,
      user: 'admin',
      password: 'password',
      map_data: 'b1=fromimport',
      auto_create_buckets: true,
    });
    expect(task_name).toMatch(/^restore-/);
    expect(await waitForTask(client, 'imported', 'imp', task_name)).toMatchObject({
      status: 'done',
      type: 'RESTORE',
    });
    expect((await emu.docs('fromimport')).map((d) => d.key).sort()).toEqual(['k1', 'k2']);
  });

  it('restore with wrong target credentials is accepted, then the task fails', async () => {
    const { task_name } = await client.restore('archived', 'r1-old', {
      target: t.emulator.url,
      user: 'admin',
      password: 'wrong',
    });
    expect((await waitForTask(client, 'archived', 'r1-old', task_name)).status).toBe('failed');
  });

  it('deleteRepository: imported with remove_repository → 400; archived with it removes the data', async () => {
    await expect(
      client.deleteRepository('imported', 'imp', { removeRepository: true }),
    ).rejects.toMatchObject({
      code: C.invalid,
    });
    await client.deleteRepository('imported', 'imp');
    await expect(client.getRepository('imported', 'imp')).rejects.toMatchObject({ code: C.notFound });
    await client.deleteRepository('archived', 'r1-old', { removeRepository: true });
    await expect(client.getRepository('archived', 'r1-old')).rejects.toMatchObject({ code: C.notFound });
    await expect(
      client.importRepository({ id: 'imp3', archive: archive('r1'), repo: repoUuid }),
    ).rejects.toMatchObject({ code: C.internal });
  });
});
