import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupClient, BACKUP_API_ERROR_CODES as C } from '../../../src/backup-api/index.ts';
import { startTestEmulator, type TestEmulator } from '../../harness/emulator.ts';
import { clientFor } from './contract-support.ts';

// What an older server lacks, as the client sees it: routes it does not have and ro_admin reads.

let t: TestEmulator;
let admin: BackupClient;
let ro: BackupClient;

beforeAll(async () => {
  t = await startTestEmulator({
    profile: '7.2',
    users: [
      { name: 'admin', password: 'password', role: 'admin' },
      { name: 'ro', password: 'ropass', role: 'ro_admin' },
    ],
  });
  admin = clientFor(t.emulator.url);
  ro = clientFor(t.emulator.url, { auth: { username: 'ro', password: 'ropass' } });
  await admin.createRepository('r', { plan: '_hourly_backups', archive: t.archiveDir });
});
afterAll(async () => {
  await Promise.all([admin.close(), ro.close()]);
  await t.close();
});

describe('7.2 profile', () => {
  it('ro_admin may not even read the backup API before 7.6.2 → BSVC_FORBIDDEN', async () => {
    await expect(ro.getClusterInfo()).rejects.toMatchObject({
      code: C.forbidden,
      permissions: ['cluster.backup!read'],
    });
  });

  it.each([
    ['getNodesThreadsMap', () => admin.getNodesThreadsMap()],
    ['setNodesThreadsMap', () => admin.setNodesThreadsMap({ a: 1 })],
    ['prune', () => admin.prune('r')],
    ['setRetentionSettings', () => admin.setRetentionSettings('r', { period: 1 })],
    ['listExpiredBackups', () => admin.listExpiredBackups('active', 'r')],
  ])('%s: unknown route → BSVC_NOT_FOUND with the text body as msg', async (_name, call) => {
    await expect(call()).rejects.toMatchObject({
      code: C.notFound,
      status: 404,
      msg: '404 Object Not Found',
    });
  });

  it('only the two built-in plans exist', async () => {
    expect((await admin.listPlans()).filter((p) => p.default === true)).toHaveLength(2);
  });
});
