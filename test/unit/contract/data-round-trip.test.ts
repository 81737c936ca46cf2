// § sections cited here are those of docs/backup-service-api.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupClient, BackupInfo, ExamineTimelineEntry } from '../../../src/backup-api/index.ts';
import { startTestEmulator, type TestEmulator } from '../../harness/emulator.ts';
import { clientFor, type EmulatorControl, emulatorControl, waitForTask } from './contract-support.ts';

// The acceptance test of the issue: real documents go through full backup, incremental backup,
// merge and a restore into a new bucket, and come back exactly as they were last written.

let t: TestEmulator;
let client: BackupClient;
let emu: EmulatorControl;

const SOURCE = 'travel';
const TARGET = 'travel-restored';
const REPO = 'travel-repo';
const KEYSPACES = [
  ['inventory', 'hotels'],
  ['inventory', 'airlines'],
  ['sales', 'orders'],
  ['sales', 'customers'],
] as const;
const PER_COLLECTION = 5;

/** `scope.collection.key` → value: the model of what the source bucket holds. */
const expected = new Map<string, unknown>();
const id = (scope: string, collection: string, key: string) => `${scope}.${collection}.${key}`;

const UPDATED = ['inventory', 'hotels', 'hotels-1'] as const;
const DELETED = ['sales', 'orders', 'orders-2'] as const;
const ADDED = ['sales', 'customers', 'customers-new'] as const;

async function put(scope: string, collection: string, key: string, value: unknown): Promise<void> {
  await emu.putDoc(SOURCE, scope, collection, key, value);
  expected.set(id(scope, collection, key), value);
}
async function remove(scope: string, collection: string, key: string): Promise<void> {
  await emu.deleteDoc(SOURCE, scope, collection, key);
  expected.delete(id(scope, collection, key));
}

/** Runs a backup through the client and waits until it is in the task history. */
async function backup(full: boolean): Promise<void> {
  const { task_name } = await client.backup(REPO, { full });
  expect(await waitForTask(client, 'active', REPO, task_name)).toMatchObject({ status: 'done' });
}

/** The examine timeline of one key (document values, or the event when there is no document). */
async function history(scope: string, collection: string, key: string): Promise<unknown[]> {
  const result = await client.examine('active', REPO, { key, data_path: `${SOURCE}.${scope}.${collection}` });
  if (result.shape !== 'timeline') throw new Error(`unexpected examine shape ${result.shape}`);
  return result.entries.map((e: ExamineTimelineEntry) =>
    e.document?.deleted === true ? 'deleted' : (e.document?.value ?? e.event_type),
  );
}

const collectionCounts = (b: BackupInfo | undefined) =>
  Object.fromEntries(
    Object.values(b?.buckets[0]?.scopes ?? {}).flatMap((s) =>
      Object.values(s.collections ?? {}).map((c) => [
        `${s.name}.${c.name}`,
        { mutations: c.mutations, tombstones: c.tombstones },
      ]),
    ),
  );

beforeAll(async () => {
  t = await startTestEmulator({ clock: { mode: 'manual', start: '2025-03-03T10:00:00Z' } });
  client = clientFor(t.emulator.url);
  emu = emulatorControl(t.emulator.url);
  await emu.createBucket(SOURCE);
  for (const scope of new Set(KEYSPACES.map(([s]) => s))) await emu.createScope(SOURCE, scope);
  for (const [scope, collection] of KEYSPACES) {
    await emu.createCollection(SOURCE, scope, collection);
    for (let i = 0; i < PER_COLLECTION; i++) {
      await put(scope, collection, `${collection}-${i}`, { collection, i, version: 1 });
    }
  }
  // A weekly plan that cannot fire while the manual clock stands still: only our triggers run.
  await client.createPlan('manual-only', {
    tasks: [
      {
        name: 'weekly',
        task_type: 'BACKUP',
        schedule: { job_type: 'BACKUP', frequency: 1, period: 'WEEKS' },
      },
    ],
  });
  await client.createRepository(REPO, { plan: 'manual-only', archive: t.archiveDir, bucket_name: SOURCE });
});
afterAll(async () => {
  await client.close();
  await t.close();
});

describe('full → incremental → merge → restore into a new bucket', () => {
  it('the full backup holds every seeded document, counted per collection', async () => {
    await backup(true);
    const info = await client.getRepositoryInfo('active', REPO);
    expect(info.count).toBe(1);
    const [full] = info.backups;
    expect(full?.type).toBe('FULL');
    expect(full?.buckets.map((b) => b.name)).toEqual([SOURCE]);
    expect(full?.buckets[0]).toMatchObject({
      mutations: KEYSPACES.length * PER_COLLECTION,
      tombstones: 0,
      items: KEYSPACES.length * PER_COLLECTION,
    });
    // Every bucket has the (here empty) default collection as well.
    expect(collectionCounts(full)).toEqual({
      '_default._default': { mutations: 0, tombstones: 0 },
      ...Object.fromEntries(
        KEYSPACES.map(([s, c]) => [`${s}.${c}`, { mutations: PER_COLLECTION, tombstones: 0 }]),
      ),
    });
  });

  it('the incremental backup holds only the changes: one update, one deletion, one addition', async () => {
    await put(...UPDATED, { collection: 'hotels', i: 1, version: 2 });
    await remove(...DELETED);
    await put(...ADDED, { collection: 'customers', added: true });
    await backup(false);
    const info = await client.getRepositoryInfo('active', REPO);
    expect(info.count).toBe(2);
    expect(info.backups.map((b) => b.type)).toEqual(['FULL', 'INCR']);
    expect(info.backups[1]?.buckets[0]).toMatchObject({ mutations: 2, tombstones: 1 });
    expect(collectionCounts(info.backups[1])).toMatchObject({
      'inventory.hotels': { mutations: 1, tombstones: 0 },
      'sales.orders': { mutations: 0, tombstones: 1 },
      'sales.customers': { mutations: 1, tombstones: 0 },
    });
  });

  it('examine shows each changed key across both backups', async () => {
    expect(await history(...UPDATED)).toEqual([
      { collection: 'hotels', i: 1, version: 1 },
      { collection: 'hotels', i: 1, version: 2 },
    ]);
    expect(await history(...DELETED)).toEqual([{ collection: 'orders', i: 2, version: 1 }, 'deleted']);
    expect(await history(...ADDED)).toEqual(['not_found', { collection: 'customers', added: true }]);
  });

  it('examine at bucket level of a collection-aware backup → BSVC_INTERNAL (§5.12)', async () => {
    await expect(
      client.examine('active', REPO, { key: 'hotels-1', data_path: SOURCE }),
    ).rejects.toMatchObject({
      code: 'BSVC_INTERNAL',
      msg: 'Could not run examine command on repository',
      extras: expect.stringContaining('collection aware backup at the bucket or scope level is unsupported'),
    });
  });

  it('merge leaves one MERGE - FULL backup over both, with the latest values', async () => {
    const before = (await client.getRepositoryInfo('active', REPO)).backups.map((b) => b.date);
    const { task_name } = await client.merge(REPO);
    expect(await waitForTask(client, 'active', REPO, task_name)).toMatchObject({
      status: 'done',
      type: 'MERGE',
    });
    const info = await client.getRepositoryInfo('active', REPO);
    expect(info.backups).toHaveLength(1);
    expect(info.backups[0]).toMatchObject({ type: 'MERGE - FULL', source: 'Merge', range: before });
    expect(await history(...UPDATED)).toEqual([{ collection: 'hotels', i: 1, version: 2 }]);
  });

  it('restore with map_data and auto_create_buckets creates the bucket with exactly the live documents', async () => {
    expect((await emu.listBuckets()).map((b) => b.name)).not.toContain(TARGET);
    const { task_name } = await client.restore('active', REPO, {
      target: t.emulator.url,
      user: 'admin',
      password: 'password',
      map_data: `${SOURCE}=${TARGET}`,
      auto_create_buckets: true,
    });
    const run = await waitForTask(client, 'active', REPO, task_name);
    expect(run).toMatchObject({ status: 'done', type: 'RESTORE' });

    const restored = new Map(
      (await emu.docs(TARGET)).map((d) => [id(d.scope, d.collection, d.key), d.value]),
    );
    expect(restored).toEqual(expected);
    expect(restored.size).toBe(KEYSPACES.length * PER_COLLECTION);
    expect(restored.has(id(...DELETED))).toBe(false);
    // The source bucket is untouched by a restore that maps elsewhere.
    expect((await emu.docs(SOURCE)).length).toBe(expected.size);
  });

  it('restore into a missing bucket without auto_create_buckets fails the task', async () => {
    const { task_name } = await client.restore('active', REPO, {
      target: t.emulator.url,
      user: 'admin',
      password: 'password',
      map_data: `${SOURCE}=nowhere`,
    });
    expect((await waitForTask(client, 'active', REPO, task_name)).status).toBe('failed');
    expect((await emu.listBuckets()).map((b) => b.name)).not.toContain('nowhere');
  });
});
