import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupClient, BACKUP_API_ERROR_CODES as C } from '../../../src/backup-api/index.ts';
import { startTestEmulator, type TestEmulator } from '../../harness/emulator.ts';
import { clusterUsers } from '../../support/cluster-users.ts';
import { clientFor } from './contract-support.ts';

// Users and roles managed at run time (docs/backup-service-api.md §1.2, §1.6): the client sees
// each change on its next call, with the service's 401 and cbauth 403 answers.

let t: TestEmulator;
let users: ReturnType<typeof clusterUsers>;
const clients: BackupClient[] = [];
const as = (username: string, password: string): BackupClient => {
  const c = clientFor(t.emulator.url, { auth: { username, password } });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  t = await startTestEmulator({ profile: '7.6' });
  users = clusterUsers(t.emulator.url);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await t.close();
});

describe('user API (ns_server answers)', () => {
  it('PUT creates a user (200, empty JSON string); GET shows it without the password', async () => {
    expect(await users.put('op', ['backup_admin'], 'op-password')).toEqual({ status: 200, json: '' });
    const got = await users.get('op');
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({
      id: 'op',
      domain: 'local',
      roles: [{ role: 'backup_admin', origins: [{ type: 'user' }] }],
      groups: [],
      external_groups: [],
    });
    expect(JSON.stringify(got.json)).not.toContain('op-password');
    const listed = (await users.list()).json as Array<{ id: string }>;
    expect(listed.map((u) => u.id)).toEqual(['admin', 'op']);
  });

  it('refuses bad input with {"errors":{field: message}} 400s and unknown users with JSON-string 404s', async () => {
    expect(await users.put('new', ['ro_admine'], 'password1')).toEqual({
      status: 400,
      json: {
        errors: {
          roles:
            'Cannot assign roles to user because the following roles are unknown, malformed or role parameters are undefined: [ro_admine]',
        },
      },
    });
    expect(await users.put('new', ['ro_admin'])).toEqual({
      status: 400,
      json: { errors: { password: 'Password is required for new user.' } },
    });
    expect(await users.put('new', ['ro_admin'], 'short')).toEqual({
      status: 400,
      json: { errors: { password: 'The password must be at least 6 characters long.' } },
    });
    expect(await users.put('new', ['bucket_admin[nosuchbucket]'], 'password1')).toMatchObject({
      status: 400,
    });
    expect(await users.get('ghost')).toEqual({ status: 404, json: 'Unknown user.' });
    expect(await users.delete('ghost')).toEqual({ status: 404, json: 'User was not found.' });
    expect(await users.call('GET', '/nowhere/x')).toEqual({ status: 404, json: 'Unknown user domain.' });
  });

  it('only admin and security_admin_local manage users; a security admin cannot create an admin', async () => {
    await users.put('sec', ['security_admin_local'], 'sec-password');
    await users.put('plain', ['backup_admin'], 'plain-password');
    const sec = clusterUsers(t.emulator.url, { username: 'sec', password: 'sec-password' });
    const plain = clusterUsers(t.emulator.url, { username: 'plain', password: 'plain-password' });
    expect((await sec.put('viewer', ['ro_admin'], 'viewer-password')).status).toBe(200);
    expect(await sec.put('boss', ['admin'], 'boss-password')).toEqual({
      status: 403,
      json: {
        message: 'Forbidden. User needs one of the following permissions',
        permissions: ['cluster.admin.security!write'],
      },
    });
    expect(await plain.list()).toEqual({
      status: 403,
      json: {
        message: 'Forbidden. User needs one of the following permissions',
        permissions: ['cluster.admin.security.local!read'],
      },
    });
  });
});

describe('backup API roles follow the user API at once', () => {
  it('a role revoked → BSVC_FORBIDDEN with the permissions; granted again → works; deleted → BSVC_UNAUTHORIZED', async () => {
    await users.put('runner', ['backup_admin'], 'runner-password');
    const client = as('runner', 'runner-password');
    await client.createPlan('p-runner', {
      tasks: [
        { name: 't', task_type: 'BACKUP', schedule: { job_type: 'BACKUP', frequency: 1, period: 'DAYS' } },
      ],
    });

    // ro_admin (7.6): reads still work, writes are refused.
    await users.put('runner', ['ro_admin']);
    expect((await client.getPlan('p-runner')).name).toBe('p-runner');
    await expect(client.deletePlan('p-runner')).rejects.toMatchObject({
      code: C.forbidden,
      status: 403,
      permissions: ['cluster.backup!all'],
    });

    // No role, or roles without backup access: even reads are refused.
    for (const roles of [[], ['cluster_admin'], ['security_admin_local']]) {
      await users.put('runner', roles);
      await expect(client.getClusterInfo()).rejects.toMatchObject({
        code: C.forbidden,
        permissions: ['cluster.backup!read'],
      });
    }

    await users.put('runner', ['cluster_admin', 'backup_admin']);
    await client.deletePlan('p-runner');

    // A new password applies at once; the old one is a 401.
    await users.put('runner', ['backup_admin'], 'runner-password-2');
    await expect(client.getConfig()).rejects.toMatchObject({ code: C.unauthorized });
    expect((await as('runner', 'runner-password-2').getConfig()).history_rotation_size).toBe(50);

    expect((await users.delete('runner')).status).toBe(200);
    await expect(as('runner', 'runner-password-2').getConfig()).rejects.toMatchObject({
      code: C.unauthorized,
    });
  });
});
