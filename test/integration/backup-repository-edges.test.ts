import { mkdir } from 'node:fs/promises';
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBackupPlanReconciler } from '../../src/controllers/backup-plan/reconciler.ts';
import { createBackupRepositoryReconciler } from '../../src/controllers/backup-repository/reconciler.ts';
import { createBackupServiceReconciler } from '../../src/controllers/backup-service/reconciler.ts';
import type { Operator } from '../../src/controllers/operator.ts';
import { backupPlanKind, backupRepositoryKind, backupServiceKind } from '../../src/crds/index.ts';
import { startTestEmulator, type TestEmulator } from '../harness/emulator.ts';
import { createTestNamespace, kubeConfigFrom } from '../harness/kube.ts';
import {
  createCredentialsSecret,
  createResource,
  getResource,
  hasCondition,
  startTestOperator,
  waitForResource,
} from '../harness/operator.ts';

// Regression tests of BackupRepository edge cases: a refusal fixed outside the spec, a spec change
// that had to wait under driftPolicy Report, a service that stops answering, and an object that is
// deleted and recreated under the same name. Each test creates its own BackupService (and Secret),
// so that any one can run alone with `-t`.

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface RepoObject {
  metadata: { generation?: number; uid?: string; finalizers?: string[] };
  status?: {
    observedGeneration?: number;
    state?: string;
    planName?: string;
    repo?: string;
    backups?: { count: number };
    lastSuccessfulBackupTime?: string;
    recentTasks?: { taskName: string; status: string }[];
    triggers?: { backup?: { token: string; taskName?: string } };
    refusal?: { action: string; reason: string; recheckAt?: string };
    conditions?: Condition[];
  };
}

/** A user the emulator knows with the read-only role: reads succeed, writes answer 403. */
const READ_ONLY_USER = { name: 'viewer', password: 'viewer-password', role: 'ro_admin' as const };

describe('BackupRepository edge cases', () => {
  let kc: KubeConfig;
  let namespace: string;
  let env: TestEmulator;
  let operator: Operator;
  let custom: CustomObjectsApi;
  let core: CoreV1Api;

  const auth = `Basic ${Buffer.from('admin:password').toString('base64')}`;
  /** Calls the emulator's Backup API directly (behind the operator's back). */
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${env.emulator.url}/api/v1${path}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };

  const create = (name: string, spec: object) =>
    createResource(kc, backupRepositoryKind, namespace, name, spec);
  const patchSpec = (name: string, spec: object) =>
    custom.patchNamespacedCustomObject(
      {
        group: backupRepositoryKind.group,
        version: backupRepositoryKind.version,
        namespace,
        plural: backupRepositoryKind.plural,
        name,
        body: { spec },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  const remove = (name: string) =>
    custom.deleteNamespacedCustomObject({
      group: backupRepositoryKind.group,
      version: backupRepositoryKind.version,
      namespace,
      plural: backupRepositoryKind.plural,
      name,
    });
  const waitFor = (name: string, predicate: (o: RepoObject) => boolean, timeoutMs = 20_000) =>
    waitForResource<RepoObject>(kc, backupRepositoryKind, namespace, name, predicate, timeoutMs);
  const waitReady = (name: string, extra: (o: RepoObject) => boolean = () => true, timeoutMs = 20_000) =>
    waitFor(name, (o) => hasCondition(o, 'Ready') && extra(o), timeoutMs);
  const waitGone = async (name: string, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        await getResource(kc, backupRepositoryKind, namespace, name);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${name} still exists`);
  };
  const condition = (o: RepoObject, type: string) => o.status?.conditions?.find((c) => c.type === type);
  /** A BackupService of its own for one test, Ready before it returns. */
  const service = async (name: string, secret: string, extra: object = {}) => {
    await createResource(kc, backupServiceKind, namespace, name, {
      endpoints: [env.emulator.url],
      credentialsSecretRef: { name: secret },
      ...extra,
    });
    await waitForResource(kc, backupServiceKind, namespace, name, (o) => hasCondition(o, 'Ready'));
  };
  const plan = (name: string, serviceName: string) =>
    createResource(kc, backupPlanKind, namespace, name, {
      serviceRef: { name: serviceName },
      tasks: [
        {
          name: `${name}_full`,
          type: 'BACKUP',
          fullBackup: true,
          schedule: { frequency: 1, period: 'DAYS', time: '01:00' },
        },
      ],
    });
  const fsRepo = (serviceName: string, extra: object = {}) => ({
    serviceRef: { name: serviceName },
    builtInPlan: '_hourly_backups',
    storage: { filesystem: { path: env.archiveDir } },
    ...extra,
  });

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    custom = kc.makeApiClient(CustomObjectsApi);
    core = kc.makeApiClient(CoreV1Api);
    namespace = await createTestNamespace(kc, 'backup-repository-edges');
    env = await startTestEmulator({
      users: [{ name: 'admin', password: 'password', role: 'admin' }, READ_ONLY_USER],
    });
    await mkdir(env.archiveDir, { recursive: true });
    operator = await startTestOperator({
      kc,
      namespace,
      reconcilers: {
        services: createBackupServiceReconciler,
        plans: createBackupPlanReconciler,
        repositories: createBackupRepositoryReconciler,
      },
    });
  });

  afterAll(async () => {
    await operator?.stop();
    await env?.close();
  });

  it('a create refused for credentials is retried once the Secret is rotated, without a spec change', async () => {
    await createCredentialsSecret(kc, namespace, 'ro-creds', READ_ONLY_USER.name, READ_ONLY_USER.password);
    // Reads are allowed to ro_admin, so the service is Ready; the create is a write: 403.
    await service('cb-ro', 'ro-creds', { pollInterval: '1s' });
    await create('ro-refused', fsRepo('cb-ro'));
    const stalled = await waitFor('ro-refused', (o) => hasCondition(o, 'Stalled'));
    expect(condition(stalled, 'Stalled')?.reason).toBe('ServerRejected');
    expect(condition(stalled, 'Ready')?.status).toBe('False');
    expect(stalled.status?.refusal).toMatchObject({ action: 'create', reason: 'ServerRejected' });
    // Its re-check is minutes away: only the rotation below can explain a prompt retry.
    expect(Date.parse(stalled.status?.refusal?.recheckAt ?? '') - Date.now()).toBeGreaterThan(60_000);
    expect((await api('GET', '/cluster/self/repository/active/ro-refused')).status).toBe(404);
    const generation = stalled.metadata.generation;

    await core.patchNamespacedSecret(
      {
        namespace,
        name: 'ro-creds',
        body: {
          data: {
            username: Buffer.from('admin').toString('base64'),
            password: Buffer.from('password').toString('base64'),
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const ready = await waitReady('ro-refused', (o) => o.status?.state === 'Active', 30_000);
    expect(ready.metadata.generation).toBe(generation);
    expect(ready.status?.refusal).toBeUndefined();
    expect(hasCondition(ready, 'Stalled')).toBe(false);
    expect((await api('GET', '/cluster/self/repository/active/ro-refused')).status).toBe(200);
  }, 60_000);

  it('driftPolicy Report applies a planRef change whose first reconcile had to wait for the plan', async () => {
    await createCredentialsSecret(kc, namespace, 'report-creds');
    await service('cb-report', 'report-creds', { pollInterval: '1s' });
    await plan('report-a', 'cb-report');
    await create('report-plan', {
      serviceRef: { name: 'cb-report' },
      planRef: { name: 'report-a' },
      storage: { filesystem: { path: env.archiveDir } },
      driftPolicy: 'Report',
    });
    await waitReady('report-plan', (o) => o.status?.planName === 'report-a' && hasCondition(o, 'Synced'));

    // A new declaration naming a plan that does not exist yet: it must wait, not count as drift.
    await patchSpec('report-plan', { planRef: { name: 'report-b' } });
    const waiting = await waitFor(
      'report-plan',
      (o) =>
        o.status?.observedGeneration === o.metadata.generation && condition(o, 'Synced')?.status === 'False',
    );
    expect(condition(waiting, 'Synced')?.reason).toBe('PlanNotReady');

    await plan('report-b', 'cb-report');
    const applied = await waitFor(
      'report-plan',
      (o) => o.status?.planName === 'report-b' && hasCondition(o, 'Synced'),
      30_000,
    );
    expect(condition(applied, 'Synced')?.reason).toBe('Synced');
    expect(hasCondition(applied, 'Ready')).toBe(true);
    expect((await api('GET', '/cluster/self/repository/active/report-plan')).body?.plan_name).toBe(
      'report-b',
    );
  }, 60_000);

  it('holds a trigger token while the spec asks for Paused, also when a resume behind its back is only reported', async () => {
    await createCredentialsSecret(kc, namespace, 'held-creds');
    await service('cb-held', 'held-creds', { pollInterval: '1s' });
    await create('held', {
      ...fsRepo('cb-held'),
      state: 'Paused',
      driftPolicy: 'Report',
      triggers: { backup: 'held-1' },
    });
    await waitReady('held', (o) => o.status?.state === 'Paused');
    const since = env.emulator.requestLog.lastSeq();
    // Resumed on the server by someone else: Report only says so, and the spec still asks for Paused.
    expect((await api('POST', '/cluster/self/repository/active/held/resume')).status).toBe(200);
    await waitFor('held', (o) => condition(o, 'Synced')?.reason === 'Drifted');
    await new Promise((r) => setTimeout(r, 2_000));
    const backups = env.emulator.requestLog.entries({
      since,
      method: 'POST',
      pathPrefix: '/api/v1/cluster/self/repository/active/held/backup',
    });
    expect(backups).toEqual([]);
    // Active again in the spec: the token runs.
    await patchSpec('held', { state: 'Active' });
    await waitFor('held', (o) => o.status?.triggers?.backup?.taskName !== undefined, 30_000);
  }, 60_000);

  it('a service that stops answering makes a Ready repository ServiceUnreachable, data kept', async () => {
    await createCredentialsSecret(kc, namespace, 'paused-creds');
    await service('cb-paused', 'paused-creds', { pollInterval: '1s' });
    await create('unreachable', fsRepo('cb-paused'));
    await waitReady('unreachable', (o) => o.status?.state === 'Active' && o.status.backups !== undefined);

    env.emulator.faults.patch({ servicePaused: true });
    try {
      // The observation is too old after 3 polls + 5 s (8 s here); the margin is for the queue.
      const unreachable = await waitFor(
        'unreachable',
        (o) => condition(o, 'Ready')?.status === 'False',
        30_000,
      );
      expect(condition(unreachable, 'Ready')?.reason).toBe('ServiceUnreachable');
      expect(condition(unreachable, 'Reconciling')).toMatchObject({
        status: 'True',
        reason: 'ServiceUnreachable',
      });
      expect(condition(unreachable, 'Stalled')?.status ?? 'False').toBe('False');
      expect(unreachable.status).toMatchObject({ state: 'Active', planName: '_hourly_backups' });
    } finally {
      env.emulator.faults.patch({ servicePaused: false });
    }
    const back = await waitReady('unreachable', () => true, 30_000);
    expect(back.status).toMatchObject({ state: 'Active', planName: '_hourly_backups' });
  }, 60_000);

  it('a repository object deleted and recreated under the same name reads its history afresh', async () => {
    await createCredentialsSecret(kc, namespace, 'recreate-creds');
    await service('cb-recreate', 'recreate-creds', { pollInterval: '1s' });
    await create('recreated', fsRepo('cb-recreate', { triggers: { backup: 'first' } }));
    const backedUp = await waitReady(
      'recreated',
      (o) =>
        o.status?.triggers?.backup?.taskName !== undefined &&
        (o.status.recentTasks ?? []).some(
          (t) => t.taskName === o.status?.triggers?.backup?.taskName && t.status === 'done',
        ) &&
        (o.status.backups?.count ?? 0) >= 1,
      30_000,
    );
    expect(backedUp.status?.lastSuccessfulBackupTime).toBeTruthy();
    const firstUid = backedUp.metadata.uid;

    // deletionPolicy Retain (the default): the repository stays on the server.
    await remove('recreated');
    await waitGone('recreated');
    expect((await api('GET', '/cluster/self/repository/active/recreated')).status).toBe(200);

    await create('recreated', fsRepo('cb-recreate'));
    const adopted = await waitReady('recreated', (o) => o.status?.state === 'Active', 30_000);
    expect(adopted.metadata.uid).not.toBe(firstUid);
    // Give the adoption a few reconciles to read history if it is going to.
    let last = adopted;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && last.status?.backups === undefined) {
      await new Promise((r) => setTimeout(r, 200));
      last = await getResource<RepoObject>(kc, backupRepositoryKind, namespace, 'recreated');
    }
    expect(last.status?.backups?.count ?? 0).toBeGreaterThanOrEqual(1);
    expect(last.status?.lastSuccessfulBackupTime).toBeTruthy();
  }, 90_000);

  it('a recreated object whose deletion the operator never saw (no finalizer, busy queue) reads its history afresh', async () => {
    await createCredentialsSecret(kc, namespace, 'missed-creds');
    await service('cb-missed', 'missed-creds', { pollInterval: '1s' });
    // A repository with a backup, created behind the operator's back and only observed.
    expect(
      (
        await api('POST', '/cluster/self/repository/active/observed-twice', {
          plan: '_hourly_backups',
          archive: env.archiveDir,
        })
      ).status,
    ).toBe(200);
    expect((await api('POST', '/cluster/self/repository/active/observed-twice/backup', {})).status).toBe(200);
    await env.emulator.idle();
    const observeSpec = fsRepo('cb-missed', { managementPolicy: 'Observe' });
    await create('observed-twice', observeSpec);
    const first = await waitReady('observed-twice', (o) => (o.status?.backups?.count ?? 0) >= 1, 30_000);
    expect(first.metadata.finalizers ?? []).toEqual([]);

    // Two repositories whose reconciles take seconds (a slow read) keep both workers busy while
    // the observed one is deleted and recreated: its key is reconciled once, with the new object.
    // (Refused creates: each spec change retries one, after a read that confirms the absence.)
    for (const name of ['busy-1', 'busy-2']) await create(name, fsRepo('cb-missed', { bucket: 'no-such' }));
    for (const name of ['busy-1', 'busy-2']) await waitFor(name, (o) => hasCondition(o, 'Stalled'));
    env.emulator.faults.set({
      rules: [{ path: '/api/v1/cluster/self/repository/active/busy-', latencyMs: 4_000 }],
    });
    try {
      for (const name of ['busy-1', 'busy-2']) await patchSpec(name, { driftPolicy: 'Report' });
      await new Promise((r) => setTimeout(r, 500));
      await remove('observed-twice');
      await create('observed-twice', observeSpec);
      await new Promise((r) => setTimeout(r, 4_000));
    } finally {
      env.emulator.faults.reset();
    }
    const second = await waitReady('observed-twice', (o) => o.metadata.uid !== first.metadata.uid, 30_000);
    let last = second;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && last.status?.backups === undefined) {
      await new Promise((r) => setTimeout(r, 200));
      last = await getResource<RepoObject>(kc, backupRepositoryKind, namespace, 'observed-twice');
    }
    expect(last.status?.backups?.count ?? 0).toBeGreaterThanOrEqual(1);
    expect(last.status?.lastSuccessfulBackupTime).toBeTruthy();
  }, 90_000);
});
