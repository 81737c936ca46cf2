import { afterEach, describe, expect, it } from 'vitest';
import type { Profile } from './model.ts';
import { basic, startEmulator, type TestEmulator } from './test-support.ts';

const users = [
  { name: 'admin', password: 'password', role: 'admin' as const },
  { name: 'bk', password: 'bkpass', role: 'backup_admin' as const },
  { name: 'ro', password: 'ropass', role: 'ro_admin' as const },
  { name: 'ca', password: 'capass', roles: ['cluster_admin'] },
  { name: 'sa', password: 'sapass', roles: ['security_admin_local'] },
  { name: 'none', password: 'nopass', roles: [] },
  { name: 'both', password: 'bothpass', roles: ['ro_admin', 'backup_admin'] },
];
let t: TestEmulator | undefined;
afterEach(async () => {
  await t?.emulator.close();
  t = undefined;
});
const start = async (profile: Profile) => {
  t = await startEmulator({ profile, users });
  return t;
};

describe('authentication', () => {
  it.each([
    ['no credentials', null],
    ['wrong password', basic('admin', 'nope')],
    ['unknown user', basic('ghost', 'password')],
    ['not basic', 'Bearer abc'],
  ])('%s → 401', async (_r, auth) => {
    const e = await start('7.6');
    expect((await e.call('GET', '/api/v1/plan', undefined, auth)).status).toBe(401);
    expect((await e.call('GET', '/pools/default/buckets', undefined, auth)).status).toBe(401);
  });
});

describe('roles', () => {
  // [role user, profile, method, path, expected]
  it.each([
    ['admin', '7.6', 'POST', '/api/v1/plan/p', 200],
    ['bk', '7.6', 'POST', '/api/v1/plan/p', 200],
    ['ro', '7.6', 'POST', '/api/v1/plan/p', 403],
    ['ro', '7.6', 'GET', '/api/v1/plan', 200],
    ['ro', '7.6', 'GET', '/api/v1/cluster/self', 200],
    ['ro', '7.6', 'GET', '/api/v1/config', 200],
    ['ro', '7.2', 'GET', '/api/v1/plan', 403],
    ['ro', '8.0', 'GET', '/api/v1/cluster/self', 200],
    ['ro', '7.2', 'GET', '/pools/default/buckets', 200],
    ['bk', '7.6', 'POST', '/pools/default/buckets', 403],
    ['ca', '7.6', 'GET', '/api/v1/plan', 403],
    ['ca', '8.0', 'POST', '/api/v1/plan/p', 403],
    ['ca', '7.6', 'POST', '/pools/default/buckets', 200],
    ['sa', '7.6', 'GET', '/api/v1/cluster/self', 403],
    ['sa', '7.6', 'GET', '/pools/default/buckets', 200],
    ['none', '7.6', 'GET', '/api/v1/plan', 403],
    ['none', '7.6', 'GET', '/pools/default/buckets', 403],
    ['both', '7.2', 'POST', '/api/v1/plan/p', 200],
  ] as const)('%s on %s: %s %s → %i', async (user, profile, method, path, status) => {
    const e = await start(profile);
    const password = users.find((u) => u.name === user)?.password ?? '';
    const body = path.startsWith('/pools')
      ? 'name=b1&ramQuota=100'
      : {
          tasks: [
            {
              name: 't',
              task_type: 'BACKUP',
              schedule: { job_type: 'BACKUP', frequency: 1, period: 'HOURS' },
            },
          ],
        };
    const res = await e.call(method, path, method === 'GET' ? undefined : body, basic(user, password));
    expect(res.status === 202 ? 200 : res.status).toBe(status);
    if (status === 403) {
      expect(res.json).toMatchObject({
        message: 'Forbidden. User needs one of the following permissions',
        permissions: [expect.any(String)],
      });
    }
  });
});

describe('profiles', () => {
  it('8.0 has four built-in plans, PRUNE tasks and the retention endpoints; 7.6 does not', async () => {
    const e = await start('8.0');
    const names = ((await e.call('GET', '/api/v1/plan')).json as Array<{ name: string }>).map((p) => p.name);
    expect(names.sort()).toEqual([
      '_daily_backups',
      '_daily_full_backups_with_incrementals',
      '_hourly_backups',
      '_weekly_full_backups_with_incrementals',
    ]);
    const prunePlan = {
      tasks: [
        {
          name: 'prune',
          task_type: 'PRUNE',
          schedule: { job_type: 'PRUNE', frequency: 1, period: 'DAYS', time: '22:00' },
        },
      ],
    };
    expect((await e.call('POST', '/api/v1/plan/pp', prunePlan)).status).toBe(200);
    await e.call('POST', '/api/v1/cluster/self/repository/active/r', { plan: 'pp', archive: e.archive });
    expect(
      (
        await e.call('POST', '/api/v1/cluster/self/repository/active/r/retentionSettings', {
          period: 1,
          retroactive: true,
        })
      ).status,
    ).toBe(200);
    expect(
      (await e.call('POST', '/api/v1/cluster/self/repository/active/r/retentionSettings', { period: 40000 }))
        .status,
    ).toBe(400);
    expect((await e.call('GET', '/api/v1/cluster/self/repository/active/r/expiredBackups')).json).toEqual([
      { expired_backups: [], expired_backups_with_non_expired_dependents: [] },
    ]);
    const prune = await e.call('POST', '/api/v1/cluster/self/repository/active/r/prune');
    expect((prune.json as { task_name: string }).task_name).toMatch(/^PRUNE-/);
    await e.emulator.close();
    t = await startEmulator({ profile: '7.6' });
    expect((await t.call('POST', '/api/v1/plan/pp', prunePlan)).status).toBe(400);
    expect((await t.call('GET', '/api/v1/cluster/self/repository/active/r/expiredBackups')).status).toBe(404);
  });

  it('7.2 has no nodesThreadsMap', async () => {
    const e = await start('7.2');
    expect((await e.call('GET', '/api/v1/nodesThreadsMap')).status).toBe(404);
  });
});
