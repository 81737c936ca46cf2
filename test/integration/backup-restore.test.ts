import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CustomObjectsApi,
  EventsV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
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
import { TEST_MIN_TASK_DURATION_MS } from '../harness/emulator.ts';
import { createTestNamespace, kubeConfigFrom } from '../harness/kube.ts';
import {
  createCredentialsSecret,
  createResource,
  getResource,
  hasCondition,
  startTestOperator,
  waitForResource,
} from '../harness/operator.ts';
import { emulatorHttp, taskPostsByRepository } from '../support/one-shot-http.ts';

interface OneShotObject {
  metadata: { generation?: number; resourceVersion?: string };
  status?: {
    observedGeneration?: number;
    phase?: string;
    taskName?: string;
    backupName?: string;
    repositoryId?: string;
    targetCluster?: string;
    error?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

const terminal = (o: OneShotObject) => o.status?.phase === 'Succeeded' || o.status?.phase === 'Failed';
const stalled = (o: OneShotObject) => o.status?.conditions?.find((c) => c.type === 'Stalled');

describe('BackupRestore', () => {
  let kc: KubeConfig;
  let namespace: string;
  let dir: string;
  let emulator: Emulator;
  let operator: Operator;
  let emu: ReturnType<typeof emulatorHttp>;
  let backupName: string;

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    namespace = await createTestNamespace(kc, 'backup-restore');
    dir = await mkdtemp(join(tmpdir(), 'cbbs-restore-'));
    emulator = await createEmulator({
      dataDir: join(dir, 'data'),
      minTaskDurationMs: TEST_MIN_TASK_DURATION_MS,
    });
    emu = emulatorHttp(emulator.url);
    await createCredentialsSecret(kc, namespace, 'cb-admin');
    await createResource(kc, backupServiceKind, namespace, 'cb', {
      endpoints: [emulator.url],
      credentialsSecretRef: { name: 'cb-admin' },
      pollInterval: '1s',
    });
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
    await emulator?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const restore = (name: string, spec: object) =>
    createResource(kc, backupRestoreKind, namespace, name, spec);
  const waitTerminal = (kind: typeof backupRunKind, name: string) =>
    waitForResource<OneShotObject>(kc, kind, namespace, name, terminal, 60_000);
  const source = (repositoryId: string, extra: object = {}) => ({
    serviceRef: { name: 'cb' },
    repositoryId,
    ...extra,
  });

  it('backs up, then restores into a new bucket with a mapping and a key filter', async () => {
    await emu.createBucket('shop');
    await emu.putDoc('shop', 'order::1', { total: 10 });
    await emu.putDoc('shop', 'order::2', { total: 20 });
    await emu.putDoc('shop', 'user::1', { name: 'ann' });
    await emu.createRepository('main', join(dir, 'archive', 'main'));
    await createResource(kc, backupRunKind, namespace, 'nightly', {
      repository: source('main'),
      type: 'BACKUP',
    });
    const run = await waitTerminal(backupRunKind, 'nightly');
    expect(run.status?.phase).toBe('Succeeded');
    backupName = run.status?.backupName ?? '';
    expect(backupName).not.toBe('');

    await restore('orders', {
      source: source('main'),
      start: 'latest',
      end: 'latest',
      mappings: [{ from: 'shop', to: 'shop-copy' }],
      autoCreateBuckets: true,
      filterKeys: '^order::',
    });
    const done = await waitTerminal(backupRestoreKind, 'orders');
    expect(done.status).toMatchObject({ phase: 'Succeeded', targetCluster: emulator.url });
    expect(done.status?.taskName).toMatch(/^restore-/i);
    expect(hasCondition(done, 'Ready')).toBe(true);
    expect(await emu.docs('shop-copy')).toEqual({
      '_default._default/order::1': { total: 10 },
      '_default._default/order::2': { total: 20 },
    });

    // Re-applying the same manifest is a no-op; a finished restore does not run again.
    const seq = emulator.requestLog.lastSeq();
    await new Promise((r) => setTimeout(r, 2_500));
    const again = await getResource<OneShotObject>(kc, backupRestoreKind, namespace, 'orders');
    expect(again.metadata.resourceVersion).toBe(done.metadata.resourceVersion);
    expect(taskPostsByRepository(emulator.requestLog.entries({ since: seq }))).toEqual({});
    expect(taskPostsByRepository(emulator.requestLog.entries()).main).toBe(2);
  });

  it('refuses an unknown backup name before sending, naming the available backups', async () => {
    await restore('unknown-backup', { source: source('main'), start: '2020-01-01T00_00_00Z' });
    const done = await waitTerminal(backupRestoreKind, 'unknown-backup');
    expect(done.status?.phase).toBe('Failed');
    expect(stalled(done)?.reason).toBe('BackupNotFound');
    expect(stalled(done)?.message).toContain('2020-01-01T00_00_00Z');
    expect(stalled(done)?.message).toContain(backupName);
    expect(taskPostsByRepository(emulator.requestLog.entries()).main).toBe(2);
  });

  it('ends Failed with a hint when the target is unreachable', async () => {
    await restore('elsewhere', {
      source: source('main'),
      target: { address: 'http://127.0.0.1:1', credentialsSecretRef: { name: 'cb-admin' } },
    });
    const done = await waitTerminal(backupRestoreKind, 'elsewhere');
    expect(done.status?.phase).toBe('Failed');
    expect(done.status?.error).toContain('connection refused');
    expect(stalled(done)?.message).toContain('http://127.0.0.1:1');
    expect(stalled(done)?.message).toContain('reachable');
  });

  it('refuses a repository in another state than the spec says, and restores from it once told', async () => {
    await emu.createRepository('old', join(dir, 'archive', 'old'));
    await emu.backupNow('old');
    await emulator.idle();
    await emu.archiveRepository('old');
    await restore('wrong-state', { source: source('old') });
    const wrong = await waitTerminal(backupRestoreKind, 'wrong-state');
    expect(wrong.status?.phase).toBe('Failed');
    expect(stalled(wrong)?.reason).toBe('RepositoryNotActive');
    expect(stalled(wrong)?.message).toContain('source.state: Archived');

    await restore('from-archive', {
      source: source('old', { state: 'Archived' }),
      mappings: [{ from: 'shop', to: 'shop-archived' }],
      autoCreateBuckets: true,
    });
    const done = await waitTerminal(backupRestoreKind, 'from-archive');
    expect(done.status?.phase).toBe('Succeeded');
    expect(Object.keys(await emu.docs('shop-archived')).length).toBe(3);
  });

  it('runs and restores through a BackupRepository (repositoryRef)', async () => {
    await createResource(kc, backupRepositoryKind, namespace, 'managed', {
      serviceRef: { name: 'cb' },
      builtInPlan: '_daily_backups',
      storage: { filesystem: { path: join(dir, 'archive', 'managed') } },
    });
    await createResource(kc, backupRunKind, namespace, 'managed-run', {
      repository: { repositoryRef: { name: 'managed' } },
      type: 'BACKUP',
    });
    const run = await waitTerminal(backupRunKind, 'managed-run');
    expect(run.status).toMatchObject({ phase: 'Succeeded', repositoryId: 'managed' });
    await restore('managed-restore', {
      source: { repositoryRef: { name: 'managed' } },
      end: run.status?.backupName,
      mappings: [{ from: 'shop', to: 'shop-managed' }],
      autoCreateBuckets: true,
    });
    const done = await waitTerminal(backupRestoreKind, 'managed-restore');
    expect(done.status?.phase).toBe('Succeeded');
    expect(Object.keys(await emu.docs('shop-managed')).length).toBe(3);
  });

  it('waits for a missing BackupRepository with an Event that says to create it or recreate the restore', async () => {
    await restore('waits-for-repo', { source: { repositoryRef: { name: 'not-yet' } } });
    const waiting = await waitForResource<OneShotObject>(
      kc,
      backupRestoreKind,
      namespace,
      'waits-for-repo',
      (o) => o.status?.conditions?.some((c) => c.reason === 'WaitingForRepository') ?? false,
    );
    expect(waiting.status?.phase).toBe('Pending');
    const message = waiting.status?.conditions?.find((c) => c.type === 'Reconciling')?.message ?? '';
    expect(message).toContain('BackupRepository not-yet does not exist in this namespace');
    expect(message).toContain('delete this object and create a new one (its spec is immutable)');
    // The spec cannot be fixed in place, so the message must not ask for it.
    expect(message).not.toMatch(/fix spec/i);
    const events = await waitForEvents('waits-for-repo', 'WaitingForRepository');
    expect(events[0]).toMatchObject({ type: 'Warning', note: message });
  });

  it('a Paused repository holds a BackupRun exactly as it holds a trigger token, and both run once Active', async () => {
    // A slow pause: between the create and the pause the server shows the repository active, and
    // a BackupRun must not start in that window either (the BackupRepository asks for Paused).
    emulator.faults.patch({
      rules: [
        {
          method: 'POST',
          path: '/api/v1/cluster/self/repository/active/paused-both/pause',
          latencyMs: 3_000,
        },
      ],
    });
    await createResource(kc, backupRepositoryKind, namespace, 'paused-both', {
      serviceRef: { name: 'cb' },
      builtInPlan: '_daily_backups',
      storage: { filesystem: { path: join(dir, 'archive', 'paused-both') } },
      state: 'Paused',
      triggers: { backup: 'pb-1' },
    });
    const since = emulator.requestLog.lastSeq();
    await createResource(kc, backupRunKind, namespace, 'paused-run', {
      repository: { repositoryRef: { name: 'paused-both' } },
      type: 'BACKUP',
    });
    const run = await waitForResource<OneShotObject>(
      kc,
      backupRunKind,
      namespace,
      'paused-run',
      (o) => o.status?.conditions?.some((c) => c.reason === 'RepositoryPaused') ?? false,
    );
    expect(run.status?.phase).toBe('Pending');
    expect(run.status?.conditions?.find((c) => c.type === 'Reconciling')?.message).toContain(
      'Repository paused-both is Paused; the BackupRun waits until it is Active again (set spec.state: Active on BackupRepository paused-both)',
    );
    type Repo = OneShotObject & {
      status?: { state?: string; triggers?: { backup?: { taskName?: string } } };
    };
    const repo = await waitForResource<Repo>(kc, backupRepositoryKind, namespace, 'paused-both', (o) =>
      (o.status?.conditions?.find((c) => c.type === 'Synced')?.message ?? '').includes('waits'),
    );
    expect(repo.status?.state).toBe('Paused');
    emulator.faults.patch({ rules: [] });
    await new Promise((r) => setTimeout(r, 1_500));
    // Neither the run nor the token reached the service while the repository was Paused.
    expect(taskPostsByRepository(emulator.requestLog.entries({ since }))['paused-both']).toBeUndefined();

    await kc
      .makeApiClient(CustomObjectsApi)
      .patchNamespacedCustomObject(
        { ...crd(backupRepositoryKind), namespace, name: 'paused-both', body: { spec: { state: 'Active' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    const ran = await waitTerminal(backupRunKind, 'paused-run');
    expect(ran.status?.phase).toBe('Succeeded');
    await waitForResource<Repo>(
      kc,
      backupRepositoryKind,
      namespace,
      'paused-both',
      (o) => o.status?.triggers?.backup?.taskName !== undefined,
      60_000,
    );
    expect(taskPostsByRepository(emulator.requestLog.entries({ since }))['paused-both']).toBe(2);
  }, 90_000);

  it('a recorded BackupRun request found never delivered is not sent again while its repository is Paused', async () => {
    await createResource(kc, backupRepositoryKind, namespace, 'paused-resend', {
      serviceRef: { name: 'cb' },
      builtInPlan: '_daily_backups',
      storage: { filesystem: { path: join(dir, 'archive', 'paused-resend') } },
      state: 'Paused',
    });
    await waitForResource<OneShotObject & { status?: { state?: string } }>(
      kc,
      backupRepositoryKind,
      namespace,
      'paused-resend',
      (o) => o.status?.state === 'Paused',
    );
    await createResource(kc, backupRunKind, namespace, 'resend-run', {
      repository: { repositoryRef: { name: 'paused-resend' } },
      type: 'BACKUP',
    });
    await waitForResource<OneShotObject>(
      kc,
      backupRunKind,
      namespace,
      'resend-run',
      (o) => o.status?.conditions?.some((c) => c.reason === 'RepositoryPaused') ?? false,
    );
    const since = emulator.requestLog.lastSeq();
    // As if an operator had recorded the request and died before it left: past the delivery grace
    // with no task in the history, it would be sent again.
    await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus(
      {
        ...crd(backupRunKind),
        namespace,
        name: 'resend-run',
        body: { status: { intent: { token: 'lost', sentAt: new Date(Date.now() - 25_000).toISOString() } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitForResource<OneShotObject>(
      kc,
      backupRunKind,
      namespace,
      'resend-run',
      (o) =>
        // The intent's own history read (from the intent's time on), not the repository's.
        emulator.requestLog
          .entries({ since, pathPrefix: '/api/v1/cluster/self/repository/active/paused-resend/taskHistory' })
          .some((e) => e.path.includes('first=')) &&
        (o.status?.conditions?.some((c) => c.reason === 'RepositoryPaused') ?? false),
    );
    await new Promise((r) => setTimeout(r, 1_500));
    expect(taskPostsByRepository(emulator.requestLog.entries({ since }))['paused-resend']).toBeUndefined();
  }, 60_000);

  it('ends Failed when the service orphans the task (restart while running)', async () => {
    emulator.faults.patch({ taskDelayMs: 60_000 });
    await restore('orphan', {
      source: source('main'),
      mappings: [{ from: 'shop', to: 'shop-orphan' }],
      autoCreateBuckets: true,
    });
    await waitForResource<OneShotObject>(
      kc,
      backupRestoreKind,
      namespace,
      'orphan',
      (o) => o.status?.phase === 'Running',
    );
    const port = emulator.port;
    await emulator.close();
    emulator = await createEmulator({
      dataDir: join(dir, 'data'),
      port,
      minTaskDurationMs: TEST_MIN_TASK_DURATION_MS,
    });
    const done = await waitTerminal(backupRestoreKind, 'orphan');
    expect(done.status?.phase).toBe('Failed');
    expect(done.status?.error).toMatch(/orphaned/);
    expect(stalled(done)?.reason).toBe('TaskFailed');
  });

  const crd = (meta: typeof backupRunKind) => ({
    group: meta.group,
    version: meta.version,
    plural: meta.plural,
  });

  /** Events regarding `name` with `reason`, once there is at least one. */
  async function waitForEvents(name: string, reason: string, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
      const found = list.items.filter((e) => e.regarding?.name === name && e.reason === reason);
      if (found.length > 0 || Date.now() > deadline) return found;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
});
