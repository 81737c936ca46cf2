import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BackupClient,
  BACKUP_API_ERROR_CODES as C,
  type CreateRepositoryBody,
} from '../../../src/backup-api/index.ts';
import { startTestEmulator, type TestEmulator } from '../../harness/emulator.ts';
import { S3_ACCESS, startS3Server, type TestS3Server } from '../../harness/s3-server.ts';
import { caught, clientFor, type EmulatorControl, emulatorControl, waitForTask } from './contract-support.ts';

// Object-store repositories (docs/backup-service-api.md §5.4, §5.6) against a real S3 implementation: the cloud
// fields' validation, backups that live in the bucket, storage that refuses or goes away, and a
// second emulator (another cluster) importing the same s3:// repository.

let s3: TestS3Server;
let t: TestEmulator;
let client: BackupClient;
let emu: EmulatorControl;
let dir: string;

const BUCKET = 'cbbs-archive';
const PLAN = 'manual-only';
const SOURCE = 'orders';

/** The cloud fields of a repository in the test bucket under `prefix`. */
const cloud = (prefix: string, over: Partial<CreateRepositoryBody> = {}): CreateRepositoryBody => ({
  plan: PLAN,
  archive: `s3://${BUCKET}/${prefix}`,
  cloud_staging_dir: join(dir, 'staging-1'),
  cloud_credentials_id: S3_ACCESS.accessKeyId,
  cloud_credentials_key: S3_ACCESS.secretAccessKey,
  cloud_region: S3_ACCESS.region,
  cloud_endpoint: s3.url,
  cloud_force_path_style: true,
  ...over,
});

const without = (body: CreateRepositoryBody, key: keyof CreateRepositoryBody): CreateRepositoryBody => {
  const copy = { ...body };
  delete copy[key];
  return copy;
};

async function backup(c: BackupClient, id: string): Promise<ReturnType<typeof waitForTask>> {
  const { task_name } = await c.backup(id, { full: false });
  return waitForTask(c, 'active', id, task_name);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cbbs-s3-contract-'));
  s3 = await startS3Server({ dbFile: join(dir, 's3.db') });
  await s3.createBucket(BUCKET);
  t = await startTestEmulator({
    clock: { mode: 'manual', start: '2025-05-05T10:00:00Z' },
    locationCheckIntervalMs: 100,
  });
  client = clientFor(t.emulator.url);
  emu = emulatorControl(t.emulator.url);
  await emu.createBucket(SOURCE);
  for (let i = 0; i < 5; i++) await emu.putDoc(SOURCE, '_default', '_default', `o${i}`, { i });
  await client.createPlan(PLAN, {
    tasks: [
      {
        name: 'weekly',
        task_type: 'BACKUP',
        schedule: { job_type: 'BACKUP', frequency: 1, period: 'WEEKS' },
      },
    ],
  });
}, 60_000);
afterAll(async () => {
  await client?.close();
  await t?.close();
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('cloud fields of repository create and import', () => {
  it.each([
    ['cloud_staging_dir', 'cloud staging directory is required'],
    ['cloud_credentials_id', 'cloud credentials id is required'],
    ['cloud_credentials_key', 'cloud credentials key is required'],
    ['cloud_region', 'cloud region is required'],
  ] as const)('create without %s → 400 "%s", nothing created, nothing written', async (field, msg) => {
    const err = await caught(() => client.createRepository('v1', without(cloud('v1'), field)));
    expect(err).toMatchObject({ code: C.invalid, status: 400, msg });
    await expect(client.getRepository('active', 'v1')).rejects.toMatchObject({ code: C.notFound });
    expect(await s3.keys(BUCKET, 'v1/')).toEqual([]);
  });

  it.each([
    ['an empty staging dir', { cloud_staging_dir: '' }, 'cloud staging directory is required'],
    [
      'a relative staging dir',
      { cloud_staging_dir: 'staging' },
      'cloud staging directory must be an absolute path',
    ],
    [
      'a credential name and an id/key',
      { cloud_credential_name: 'stored' },
      'cloud credential name and cloud credentials id/key are mutually exclusive',
    ],
  ] as const)('create with %s → 400', async (_what, over, msg) => {
    const err = await caught(() => client.createRepository('v2', cloud('v2', over)));
    expect(err).toMatchObject({ code: C.invalid, msg });
  });

  it('cloud_force_path_style must be a bool (or the swagger string spelling)', async () => {
    const err = await caught(() =>
      client.createRepository('v3', { ...cloud('v3'), cloud_force_path_style: 1 as unknown as boolean }),
    );
    expect(err).toMatchObject({ code: C.invalid, extras: 'cloud_force_path_style must be a bool' });
  });

  it.each([
    ['cloud_staging_dir', 'cloud staging directory is required'],
    ['cloud_credentials_key', 'cloud credentials key is required'],
    ['cloud_region', 'cloud region is required'],
  ] as const)('import without %s → 400 "%s"', async (field, msg) => {
    const { plan: _plan, ...body } = without(cloud('v4'), field);
    const err = await caught(() => client.importRepository({ id: 'v4', repo: 'some-uuid', ...body }));
    expect(err).toMatchObject({ code: C.invalid, msg });
  });
});

describe('an objectStore repository on a real S3 server', () => {
  it('create stores the archive marker and the repository in the bucket; GET shows cloud_info, never the secret', async () => {
    await client.createRepository('s3repo', { ...cloud('prod'), bucket_name: SOURCE });
    const repo = await client.getRepository('active', 's3repo');
    expect(repo).toMatchObject({
      archive: `s3://${BUCKET}/prod`,
      health: { healthy: true },
      cloud_info: {
        staging_dir: join(dir, 'staging-1'),
        provider: 'AWS',
        endpoint: s3.url,
        force_path_style: true,
      },
    });
    const cluster = JSON.stringify(await client.getClusterInfo());
    expect(cluster).not.toContain(S3_ACCESS.secretAccessKey);
    expect(await s3.keys(BUCKET, 'prod/')).toEqual(['prod/.backup', `prod/${repo.repo}/backup-meta.json`]);
  });

  it('backups are objects in the bucket; info and restore read them back', async () => {
    expect(await backup(client, 's3repo')).toMatchObject({ status: 'done', type: 'BACKUP' });
    await emu.putDoc(SOURCE, '_default', '_default', 'o1', { i: 1, changed: true });
    await emu.deleteDoc(SOURCE, '_default', '_default', 'o2');
    expect(await backup(client, 's3repo')).toMatchObject({ status: 'done' });
    const repo = await client.getRepository('active', 's3repo');
    const info = await client.getRepositoryInfo('active', 's3repo');
    expect(info.backups.map((b) => b.type)).toEqual(['FULL', 'INCR']);
    const keys = await s3.keys(BUCKET, `prod/${repo.repo}/`);
    for (const b of info.backups) expect(keys).toContain(`prod/${repo.repo}/${b.date}/manifest.json`);
    expect(keys.some((k) => k.includes('/data/'))).toBe(true);

    // The staging copy is a cache: the next operation takes what the bucket holds.
    await rm(join(dir, 'staging-1'), { recursive: true, force: true });
    const { task_name } = await client.restore('active', 's3repo', {
      target: t.emulator.url,
      user: 'admin',
      password: 'password',
      map_data: `${SOURCE}=restored`,
      auto_create_buckets: true,
    });
    expect(await waitForTask(client, 'active', 's3repo', task_name)).toMatchObject({ status: 'done' });
    const docs = (d: Awaited<ReturnType<EmulatorControl['docs']>>) =>
      Object.fromEntries(d.map((x) => [x.key, x.value]));
    expect(docs(await emu.docs('restored'))).toEqual(docs(await emu.docs(SOURCE)));
  });

  it('merges are refused on cloud repositories (500)', async () => {
    const err = await caught(() => client.merge('s3repo', {}));
    expect(err).toMatchObject({ code: C.internal, status: 500, msg: 'Could not send task' });
  });

  it('deleting a backup deletes its objects', async () => {
    const repo = await client.getRepository('active', 's3repo');
    expect(await backup(client, 's3repo')).toMatchObject({ status: 'done' });
    const newest = (await client.getRepositoryInfo('active', 's3repo')).backups.at(-1)?.date ?? '';
    expect(await s3.keys(BUCKET, `prod/${repo.repo}/${newest}/`)).not.toEqual([]);
    await client.deleteBackup('s3repo', newest);
    expect(await s3.keys(BUCKET, `prod/${repo.repo}/${newest}/`)).toEqual([]);
    expect((await client.getRepositoryInfo('active', 's3repo')).count).toBe(2);
  });
});

describe('storage that refuses or goes away', () => {
  it.each([
    ['an unknown access key', { cloud_credentials_id: 'not-a-key' }, 'InvalidAccessKeyId'],
    ['a bucket that does not exist', { archive: 's3://no-such-bucket/p' }, 'NoSuchBucket'],
    ['an endpoint nobody listens on', { cloud_endpoint: 'http://127.0.0.1:1' }, 'ECONNREFUSED'],
  ] as const)(
    'create with %s → 500 "could not create repository" with the reason',
    async (_what, over, reason) => {
      const err = await caught(() => client.createRepository('refused', cloud('refused', over)));
      expect(err).toMatchObject({ code: C.internal, status: 500, msg: 'could not create repository' });
      expect((err as { extras?: string }).extras).toContain(reason);
      await expect(client.getRepository('active', 'refused')).rejects.toMatchObject({ code: C.notFound });
    },
  );

  it('create on a non-empty prefix that is not an archive → 500', async () => {
    await s3.put(BUCKET, 'not-an-archive/readme.txt', 'hello');
    const err = await caught(() => client.createRepository('na', cloud('not-an-archive')));
    expect(err).toMatchObject({ code: C.internal, msg: 'could not create repository' });
    expect((err as { extras?: string }).extras).toContain('not an archive');
  });

  it('storage down: the backup task fails with the reason and health reports the location; back up: healthy again', async () => {
    await s3.stop();
    try {
      const run = await backup(client, 's3repo');
      expect(run).toMatchObject({ status: 'failed', error_code: 1 });
      expect(run.error).toContain('ECONNREFUSED');
      const repo = await client.getRepository('active', 's3repo');
      expect(repo.health?.healthy).toBe(false);
      expect(repo.health?.health_issue).toContain('cannot access archive location');
    } finally {
      await s3.start();
    }
    // The location check runs again on its own and clears the issue.
    const deadline = Date.now() + 10_000;
    while ((await client.getRepository('active', 's3repo')).health?.healthy !== true) {
      if (Date.now() > deadline) throw new Error('health did not recover');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await backup(client, 's3repo')).toMatchObject({ status: 'done' });
  });
});

describe('cross-cluster disaster recovery: a second emulator imports the S3 repository', () => {
  let t2: TestEmulator;
  let client2: BackupClient;
  beforeAll(async () => {
    t2 = await startTestEmulator({ clock: { mode: 'manual', start: '2025-05-06T10:00:00Z' } });
    client2 = clientFor(t2.emulator.url);
  });
  afterAll(async () => {
    await client2?.close();
    await t2?.close();
  });

  it('import of a repository the bucket does not hold → 500', async () => {
    const { plan: _p, ...body } = cloud('prod', { cloud_staging_dir: join(dir, 'staging-2') });
    const err = await caught(() => client2.importRepository({ id: 'ghost', repo: 'no-such-repo', ...body }));
    expect(err).toMatchObject({ code: C.internal, msg: 'could not import repository' });
  });

  it('import lists the same backups and restores every document into the new cluster', async () => {
    const source = await client.getRepository('active', 's3repo');
    const backups = (await client.getRepositoryInfo('active', 's3repo')).backups.map((b) => b.date);
    const { plan: _p, ...body } = cloud('prod', { cloud_staging_dir: join(dir, 'staging-2') });
    await client2.importRepository({ id: 'dr', repo: source.repo, ...body });
    const imported = await client2.getRepository('imported', 'dr');
    expect(imported).toMatchObject({
      state: 'imported',
      plan_name: '',
      repo: source.repo,
      health: { healthy: true },
    });
    expect((await client2.getRepositoryInfo('imported', 'dr')).backups.map((b) => b.date)).toEqual(backups);

    const { task_name } = await client2.restore('imported', 'dr', {
      target: t2.emulator.url,
      user: 'admin',
      password: 'password',
      auto_create_buckets: true,
    });
    expect(await waitForTask(client2, 'imported', 'dr', task_name)).toMatchObject({ status: 'done' });
    const docs = (d: Awaited<ReturnType<EmulatorControl['docs']>>) =>
      Object.fromEntries(d.map((x) => [x.key, x.value]));
    const emu2 = emulatorControl(t2.emulator.url);
    expect(docs(await emu2.docs(SOURCE))).toEqual(docs(await emu.docs(SOURCE)));
  });

  it('a backup taken on the first cluster later is visible to the importer', async () => {
    await emu.putDoc(SOURCE, '_default', '_default', 'late', { late: true });
    expect(await backup(client, 's3repo')).toMatchObject({ status: 'done' });
    const first = (await client.getRepositoryInfo('active', 's3repo')).backups.map((b) => b.date);
    expect((await client2.getRepositoryInfo('imported', 'dr')).backups.map((b) => b.date)).toEqual(first);
  });
});

describe('scheduled merges', () => {
  it('a plan MERGE task never runs on a cloud repository (skipped), its BACKUP task does', async () => {
    await client.createPlan('with-merge', {
      tasks: [
        {
          name: 'often',
          task_type: 'BACKUP',
          schedule: { job_type: 'BACKUP', frequency: 30, period: 'MINUTES' },
        },
        {
          name: 'merge',
          task_type: 'MERGE',
          merge_options: { offset_start: 0, offset_end: 1 },
          schedule: { job_type: 'MERGE', frequency: 20, period: 'MINUTES' },
        },
      ],
    });
    await client.createRepository('s3merge', { ...cloud('merging'), plan: 'with-merge' });
    await emu.advance('2h');
    await emu.idle();
    const history = await client.taskHistory('active', 's3merge');
    expect(history.filter((r) => r.task_name === 'often').length).toBeGreaterThan(0);
    expect(history.filter((r) => r.task_name === 'merge')).toEqual([]);
  });
});

describe('removal', () => {
  it('delete with remove_repository=true removes the repository objects from the bucket', async () => {
    const repo = await client.getRepository('active', 's3repo');
    await client.archiveRepository('s3repo', 's3repo');
    await client.deleteRepository('archived', 's3repo', { removeRepository: true });
    expect(await s3.keys(BUCKET, `prod/${repo.repo}/`)).toEqual([]);
  });
});
