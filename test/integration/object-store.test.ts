import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBackupRepositoryReconciler } from '../../src/controllers/backup-repository/reconciler.ts';
import { createBackupRestoreReconciler } from '../../src/controllers/backup-restore/reconciler.ts';
import { createBackupRunReconciler } from '../../src/controllers/backup-run/reconciler.ts';
import { createBackupServiceReconciler } from '../../src/controllers/backup-service/reconciler.ts';
import type { Operator } from '../../src/controllers/operator.ts';
import {
  backupRepositoryKind,
  backupRestoreKind,
  backupRunKind,
  backupServiceKind,
} from '../../src/crds/index.ts';
import { createEmulator, type Emulator } from '../../src/emulator/index.ts';
import { createTestNamespace, isStatus, kubeConfigFrom } from '../harness/kube.ts';
import {
  createCredentialsSecret,
  createResource,
  hasCondition,
  startTestOperator,
  waitForResource,
} from '../harness/operator.ts';
import { S3_ACCESS, startS3Server, type TestS3Server } from '../harness/s3-server.ts';
import { emulatorHttp } from '../support/one-shot-http.ts';

// An objectStore BackupRepository end to end: real API server, the operator, the emulator and a
// real S3 server. Backups land in the bucket; after the data is changed and lost, a restore brings
// back exactly what the last backup held; a second cluster imports the same S3 repository
// (cross-cluster disaster recovery) and restores everything from it.

interface Observed {
  metadata: { generation?: number };
  status?: {
    phase?: string;
    state?: string;
    repo?: string;
    archive?: string;
    backupName?: string;
    error?: string;
    health?: { healthy: boolean; issue?: string };
    backups?: { count?: number };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

const BUCKET = 'cbbs-dr';
const URI = `s3://${BUCKET}/clusters/east`;
const terminal = (o: Observed) => o.status?.phase === 'Succeeded' || o.status?.phase === 'Failed';

describe('objectStore BackupRepository on a real S3 server', () => {
  let kc: KubeConfig;
  let namespace: string;
  let dir: string;
  let s3: TestS3Server;
  let east: Emulator;
  let west: Emulator;
  let operator: Operator;
  /** What the `shop` bucket holds at the last backup: key → value. */
  let expected: Record<string, unknown>;

  const objectStore = (stagingDir: string) => ({
    provider: 'S3',
    uri: URI,
    region: S3_ACCESS.region,
    endpoint: s3.url,
    forcePathStyle: true,
    stagingDir,
    credentialsSecretRef: { name: 's3-creds', idKey: 'access-key-id', keyKey: 'secret-access-key' },
  });
  const wait = (kind: Parameters<typeof waitForResource>[1], name: string, done: (o: Observed) => boolean) =>
    waitForResource<Observed>(kc, kind, namespace, name, done, 60_000);
  const http = (e: Emulator) => {
    const base = emulatorHttp(e.url);
    const doc = (key: string) =>
      `${e.url}/_emulator/buckets/shop/scopes/_default/collections/_default/docs/${key}`;
    return {
      ...base,
      deleteDoc: async (key: string) => {
        const res = await fetch(doc(key), { method: 'DELETE' });
        if (!res.ok) throw new Error(`DELETE ${key}: ${res.status}`);
      },
      dropBucket: async (bucket: string) => {
        const res = await fetch(`${e.url}/_emulator/buckets/${bucket}`, { method: 'DELETE' });
        if (!res.ok) throw new Error(`DELETE bucket ${bucket}: ${res.status}`);
      },
    };
  };

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    namespace = await createTestNamespace(kc, 'object-store');
    dir = await mkdtemp(join(tmpdir(), 'cbbs-object-store-'));
    s3 = await startS3Server();
    await s3.createBucket(BUCKET);
    east = await createEmulator({ dataDir: join(dir, 'east') });
    west = await createEmulator({ dataDir: join(dir, 'west') });
    await createCredentialsSecret(kc, namespace, 'cb-admin');
    await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 's3-creds' },
        stringData: {
          'access-key-id': S3_ACCESS.accessKeyId,
          'secret-access-key': S3_ACCESS.secretAccessKey,
        },
      },
    });
    for (const [name, e] of [
      ['east', east],
      ['west', west],
    ] as const) {
      await createResource(kc, backupServiceKind, namespace, name, {
        endpoints: [e.url],
        credentialsSecretRef: { name: 'cb-admin' },
        pollInterval: '1s',
      });
    }
    operator = await startTestOperator({
      kc,
      namespace,
      reconcilers: {
        services: createBackupServiceReconciler,
        repositories: createBackupRepositoryReconciler,
        runs: createBackupRunReconciler,
        restores: createBackupRestoreReconciler,
      },
    });
  });

  afterAll(async () => {
    await operator?.stop();
    await east?.close();
    await west?.close();
    await s3?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const run = async (name: string, repository = 'orders'): Promise<Observed> => {
    await createResource(kc, backupRunKind, namespace, name, {
      repository: { repositoryRef: { name: repository } },
      type: 'BACKUP',
    });
    return wait(backupRunKind, name, terminal);
  };

  it('creates the repository in the bucket with the credentials of the Secret', async () => {
    const emu = http(east);
    await emu.createBucket('shop');
    for (let i = 0; i < 20; i++) await emu.putDoc('shop', `order::${i}`, { i, total: i * 10 });
    await createResource(kc, backupRepositoryKind, namespace, 'orders', {
      serviceRef: { name: 'east' },
      builtInPlan: '_daily_backups',
      bucket: 'shop',
      storage: { objectStore: objectStore(join(dir, 'staging-east')) },
    });
    const repo = await wait(backupRepositoryKind, 'orders', (o) => hasCondition(o, 'Ready'));
    expect(repo.status).toMatchObject({ state: 'Active', archive: URI, health: { healthy: true } });
    // The service got exactly the Secret's credentials: the bucket accepted them.
    expect(await s3.keys(BUCKET, `clusters/east/${repo.status?.repo}/`)).toEqual([
      `clusters/east/${repo.status?.repo}/backup-meta.json`,
    ]);
  });

  it('the API server refuses an S3 repository without a region (the service would answer 400)', async () => {
    const { region: _r, ...noRegion } = objectStore(join(dir, 'staging-east'));
    const err = await createResource(kc, backupRepositoryKind, namespace, 'no-region', {
      serviceRef: { name: 'east' },
      builtInPlan: '_daily_backups',
      storage: { objectStore: noRegion },
    }).catch((e: unknown) => e);
    expect(isStatus(err, 422)).toBe(true);
    expect(String((err as { body?: unknown }).body ?? err)).toContain('region is required for S3');
  });

  it('backup → change → backup → data lost → restore: every document as at the last backup', async () => {
    const emu = http(east);
    expect((await run('full')).status?.phase).toBe('Succeeded');
    await emu.putDoc('shop', 'order::3', { i: 3, total: 999 });
    await emu.deleteDoc('order::4');
    await emu.putDoc('shop', 'order::new', { added: true });
    expected = await emu.docs('shop');
    const incr = await run('incremental');
    expect(incr.status?.phase).toBe('Succeeded');
    const repo = await wait(backupRepositoryKind, 'orders', (o) => o.status?.backups?.count === 2);
    const keys = await s3.keys(BUCKET, `clusters/east/${repo.status?.repo}/`);
    expect(keys.filter((k) => k.endsWith('/manifest.json'))).toHaveLength(2);

    // Changes after the last backup, then the bucket is lost altogether.
    await emu.putDoc('shop', 'order::5', { i: 5, total: -1 });
    await emu.dropBucket('shop');
    await createResource(kc, backupRestoreKind, namespace, 'recover', {
      source: { repositoryRef: { name: 'orders' } },
      autoCreateBuckets: true,
    });
    const restored = await wait(backupRestoreKind, 'recover', terminal);
    expect(restored.status).toMatchObject({ phase: 'Succeeded' });
    expect(await emu.docs('shop')).toEqual(expected);
    expect(Object.keys(expected)).toHaveLength(20);
  });

  it('a second cluster imports the S3 repository, lists its backups and restores everything', async () => {
    const source = await wait(backupRepositoryKind, 'orders', (o) => o.status?.repo !== undefined);
    await createResource(kc, backupRepositoryKind, namespace, 'orders-dr', {
      serviceRef: { name: 'west' },
      repositoryId: 'orders-dr',
      import: { repo: source.status?.repo },
      storage: { objectStore: objectStore(join(dir, 'staging-west')) },
    });
    const imported = await wait(
      backupRepositoryKind,
      'orders-dr',
      (o) => hasCondition(o, 'Ready') && o.status?.backups?.count === 2,
    );
    expect(imported.status).toMatchObject({ state: 'Imported', repo: source.status?.repo, archive: URI });

    await createResource(kc, backupRestoreKind, namespace, 'recover-west', {
      source: { repositoryRef: { name: 'orders-dr' } },
      autoCreateBuckets: true,
    });
    const done = await wait(backupRestoreKind, 'recover-west', terminal);
    expect(done.status).toMatchObject({ phase: 'Succeeded' });
    expect(await http(west).docs('shop')).toEqual(expected);
  });

  it('a MERGE BackupRun on an objectStore repository fails: the service does not merge cloud repositories', async () => {
    await createResource(kc, backupRunKind, namespace, 'merge', {
      repository: { repositoryRef: { name: 'orders' } },
      type: 'MERGE',
    });
    const merge = await wait(backupRunKind, 'merge', terminal);
    expect(merge.status?.phase).toBe('Failed');
    expect(merge.status?.error).toContain('merges are not supported on cloud repositories');
  });

  it('storage gone: the repository reports the location issue and a backup fails with the reason', async () => {
    // All buckets: the restore above recreated `shop` with a new UUID, which fails orders' bucket check.
    await createResource(kc, backupRepositoryKind, namespace, 'everything', {
      serviceRef: { name: 'east' },
      builtInPlan: '_daily_backups',
      storage: { objectStore: objectStore(join(dir, 'staging-east')) },
    });
    await wait(backupRepositoryKind, 'everything', (o) => hasCondition(o, 'Ready'));
    await s3.stop();
    const failed = await run('while-down', 'everything');
    expect(failed.status?.phase).toBe('Failed');
    expect(failed.status?.error).toContain('ECONNREFUSED');
    const repo = await wait(backupRepositoryKind, 'everything', (o) => o.status?.health?.healthy === false);
    expect(repo.status?.health?.issue).toContain('cannot access archive location');
    expect(repo.status?.conditions?.find((c) => c.type === 'Healthy')?.status).toBe('False');
  });
});
