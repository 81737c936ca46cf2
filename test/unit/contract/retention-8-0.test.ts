import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupClient, BACKUP_API_ERROR_CODES as C } from '../../../src/backup-api/index.ts';
import { startTestEmulator, type TestEmulator } from '../../harness/emulator.ts';
import { clientFor, type EmulatorControl, emulatorControl, waitForTask } from './contract-support.ts';

// The 8.0 profile: four built-in plans, retention settings, expired backups and prune (docs/backup-service-api.md §8).

let t: TestEmulator;
let client: BackupClient;
let emu: EmulatorControl;
const REPO = 'r80';
/** Backup names, oldest first: FULL (day 0), INCR (day 1), FULL (day 2), INCR (day 3). */
let names: string[] = [];

async function backup(full: boolean): Promise<void> {
  const { task_name } = await client.backup(REPO, { full });
  expect((await waitForTask(client, 'active', REPO, task_name)).status).toBe('done');
}
const expired = async () => (await client.listExpiredBackups('active', REPO))[0];

beforeAll(async () => {
  t = await startTestEmulator({ profile: '8.0', clock: { mode: 'manual', start: '2025-07-01T00:00:00Z' } });
  client = clientFor(t.emulator.url);
  emu = emulatorControl(t.emulator.url);
  await emu.createBucket('b');
  await client.createPlan('monthly', {
    tasks: [
      { name: 'rare', task_type: 'BACKUP', schedule: { job_type: 'BACKUP', frequency: 4, period: 'WEEKS' } },
    ],
  });
  await client.createRepository(REPO, { plan: 'monthly', archive: t.archiveDir, bucket_name: 'b' });
  for (const full of [true, false, true, false]) {
    await emu.putDoc('b', '_default', '_default', `k${names.length}`, { full });
    await backup(full);
    await emu.advance('1d');
    names = (await client.getRepositoryInfo('active', REPO)).backups.map((b) => b.date);
  }
});
afterAll(async () => {
  await client.close();
  await t.close();
});

describe('8.0 profile', () => {
  it('lists the four built-in plans', async () => {
    expect(
      (await client.listPlans())
        .filter((p) => p.default === true)
        .map((p) => p.name)
        .sort(),
    ).toEqual([
      '_daily_backups',
      '_daily_full_backups_with_incrementals',
      '_hourly_backups',
      '_weekly_full_backups_with_incrementals',
    ]);
  });

  it('without retention nothing expires', async () => {
    expect((await client.getRepositoryInfo('active', REPO)).backups.map((b) => b.type)).toEqual([
      'FULL',
      'INCR',
      'FULL',
      'INCR',
    ]);
    expect(await expired()).toEqual({ expired_backups: [], expired_backups_with_non_expired_dependents: [] });
  });

  it('a 2-day retention at day 4 expires days 0–2; day 2 is kept for its live incremental', async () => {
    await client.setRetentionSettings(REPO, { period: 2, retroactive: true });
    // Expired: taken ≥ 2 days ago (days 0, 1, 2). Day 2's FULL is needed by day 3's live INCR.
    expect(await expired()).toEqual({
      expired_backups: [names[0], names[1]],
      expired_backups_with_non_expired_dependents: [names[2]],
    });
  });

  it('a per-backup override keeps the day-1 incremental, which then holds on to its full', async () => {
    await client.setBackupRetention(REPO, names[1] as string, { period: 10 });
    expect(await expired()).toEqual({
      expired_backups: [],
      expired_backups_with_non_expired_dependents: [names[0], names[2]],
    });
    await client.setBackupRetention(REPO, names[1] as string, { period: 1 });
    expect((await expired())?.expired_backups).toEqual([names[0], names[1]]);
  });

  it('prune deletes exactly the deletable backups, as a PRUNE task', async () => {
    const res = await client.prune(REPO);
    expect(res.task_name).toMatch(/^PRUNE-/);
    expect(await waitForTask(client, 'active', REPO, res.task_name as string)).toMatchObject({
      status: 'done',
      type: 'PRUNE',
    });
    expect((await client.getRepositoryInfo('active', REPO)).backups.map((b) => b.date)).toEqual(
      names.slice(2),
    );
    expect(await expired()).toEqual({
      expired_backups: [],
      expired_backups_with_non_expired_dependents: [names[2]],
    });
  });

  it.each([
    ['a negative period', () => client.setRetentionSettings(REPO, { period: -1 }), C.invalid],
    ['a period above 36500', () => client.setRetentionSettings(REPO, { period: 36_501 }), C.invalid],
    [
      'an unknown backup',
      () => client.setBackupRetention(REPO, '2020-01-01T00_00_00Z', { period: 1 }),
      C.notFound,
    ],
    ['an unknown repository', () => client.prune('ghost'), C.notFound],
    [
      'expiredBackups of an unknown repository',
      () => client.listExpiredBackups('active', 'ghost'),
      C.notFound,
    ],
  ])('%s → %s', async (_what, call, code) => {
    await expect(call()).rejects.toMatchObject({ code });
  });

  it('one-off restores are named RESTORE-<uuid>', async () => {
    const { task_name } = await client.restore('active', REPO, {
      target: t.emulator.url,
      user: 'admin',
      password: 'password',
      map_data: 'b=b80',
      auto_create_buckets: true,
    });
    expect(task_name).toMatch(/^RESTORE-[0-9a-f-]{36}$/);
    expect((await waitForTask(client, 'active', REPO, task_name)).status).toBe('done');
    // The pruned backups are gone, so only what days 2 and 3 hold comes back.
    expect((await emu.docs('b80')).map((d) => d.key).sort()).toEqual(['k0', 'k1', 'k2', 'k3']);
  });
});
