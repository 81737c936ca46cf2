import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CustomObjectsApi,
  EventsV1Api,
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

const run = promisify(execFile);

interface RepoObject {
  metadata: { generation?: number; resourceVersion?: string; finalizers?: string[] };
  status?: {
    observedGeneration?: number;
    state?: string;
    planName?: string;
    repo?: string;
    archive?: string;
    health?: { healthy: boolean };
    nextRuns?: { taskName: string; type: string; time: string }[];
    backups?: { count: number; totalSize: number; latestFull?: { name: string } };
    recentTasks?: { taskName: string; status: string; type: string }[];
    lastSuccessfulBackupTime?: string;
    triggers?: {
      backup?: {
        token: string;
        taskName?: string;
        previousTaskName?: string;
        outcome?: string;
        error?: string;
      };
      merge?: { token: string; taskName?: string };
    };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

describe('BackupRepository', () => {
  let kc: KubeConfig;
  let namespace: string;
  let env: TestEmulator;
  let operator: Operator;
  let custom: CustomObjectsApi;

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
  const requests = (method: string, pathPrefix: string, since = 0) =>
    env.emulator.requestLog.entries({ method, pathPrefix, since });

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
  const fsRepo = (extra: object = {}) => ({
    serviceRef: { name: 'cb' },
    builtInPlan: '_hourly_backups',
    storage: { filesystem: { path: env.archiveDir } },
    ...extra,
  });
  const condition = (o: RepoObject, type: string) => o.status?.conditions?.find((c) => c.type === type);
  /** The Events of one object with one reason. */
  const eventsOf = async (name: string, reason: string) =>
    (await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace })).items.filter(
      (e) => e.regarding?.name === name && e.reason === reason,
    );

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    custom = kc.makeApiClient(CustomObjectsApi);
    namespace = await createTestNamespace(kc, 'backup-repository');
    env = await startTestEmulator();
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
    await createCredentialsSecret(kc, namespace, 'cb-admin');
    await createResource(kc, backupServiceKind, namespace, 'cb', {
      endpoints: [env.emulator.url],
      credentialsSecretRef: { name: 'cb-admin' },
      pollInterval: '1s',
    });
    await waitForResource(kc, backupServiceKind, namespace, 'cb', (o) => hasCondition(o, 'Ready'));
  });

  afterAll(async () => {
    await operator?.stop();
    await env?.close();
  });

  it('creates the repository and mirrors it (state, plan, next runs, health, backups)', async () => {
    await create('lifecycle', fsRepo());
    const ready = await waitReady('lifecycle', (o) => o.status?.backups !== undefined);
    expect(ready.status).toMatchObject({
      state: 'Active',
      planName: '_hourly_backups',
      archive: env.archiveDir,
      health: { healthy: true },
      backups: { count: 0 },
    });
    expect(ready.status?.nextRuns?.length).toBeGreaterThan(0);
    expect(ready.metadata.finalizers).toContain('cbbs.dev/finalizer');
    expect(hasCondition(ready, 'Synced')).toBe(true);
    expect(hasCondition(ready, 'Healthy')).toBe(true);
    const server = await api('GET', '/cluster/self/repository/active/lifecycle');
    expect(server.status).toBe(200);
    expect(server.body?.repo).toBe(ready.status?.repo);
  });

  it('pauses and resumes', async () => {
    await patchSpec('lifecycle', { state: 'Paused' });
    const paused = await waitReady('lifecycle', (o) => o.status?.state === 'Paused');
    expect(paused.status?.nextRuns).toBeUndefined();
    expect((await api('GET', '/cluster/self/repository/active/lifecycle')).body?.state).toBe('paused');
    await patchSpec('lifecycle', { state: 'Active' });
    const active = await waitReady('lifecycle', (o) => o.status?.state === 'Active');
    expect(active.status?.nextRuns?.length).toBeGreaterThan(0);
  });

  it('runs a trigger token exactly once, echoes the task and updates the backup summary', async () => {
    const since = env.emulator.requestLog.lastSeq();
    await patchSpec('lifecycle', { triggers: { backup: 'b-1', fullBackup: true } });
    const done = await waitReady(
      'lifecycle',
      (o) =>
        o.status?.triggers?.backup?.token === 'b-1' &&
        (o.status?.recentTasks ?? []).some((t) => t.taskName === o.status?.triggers?.backup?.taskName),
    );
    const taskName = done.status?.triggers?.backup?.taskName;
    expect(taskName).toMatch(/^BACKUP-/);
    expect(done.status?.backups?.count).toBe(1);
    expect(done.status?.backups?.latestFull?.name).toBeTruthy();
    expect(done.status?.lastSuccessfulBackupTime).toBeTruthy();
    expect(done.status?.recentTasks?.[0]).toMatchObject({ taskName, status: 'done', type: 'BACKUP' });
    expect(requests('POST', '/api/v1/cluster/self/repository/active/lifecycle/backup', since)).toHaveLength(
      1,
    );

    // Same token with another spec change (new generation): nothing runs again.
    await patchSpec('lifecycle', { triggers: { backup: 'b-1', fullBackup: false } });
    await waitReady('lifecycle');
    await new Promise((r) => setTimeout(r, 1500));
    expect(requests('POST', '/api/v1/cluster/self/repository/active/lifecycle/backup', since)).toHaveLength(
      1,
    );

    // A new token runs once more; a merge token runs a merge.
    await patchSpec('lifecycle', { triggers: { backup: 'b-2', merge: 'm-1' } });
    const after = await waitReady(
      'lifecycle',
      (o) =>
        o.status?.triggers?.backup?.token === 'b-2' &&
        o.status?.triggers?.merge?.taskName !== undefined &&
        (o.status?.recentTasks ?? []).some((t) => t.taskName === o.status?.triggers?.merge?.taskName),
    );
    expect(after.status?.triggers?.backup?.taskName).not.toBe(taskName);
    expect(requests('POST', '/api/v1/cluster/self/repository/active/lifecycle/backup', since)).toHaveLength(
      2,
    );
    expect(requests('POST', '/api/v1/cluster/self/repository/active/lifecycle/merge', since)).toHaveLength(1);
  });

  it('a trigger whose answer is lost is found again, never sent twice', async () => {
    // A BackupService behind a proxy that serves the first trigger request and then drops the
    // answer: the request reaches the service, the operator never hears back.
    let dropNext = true;
    const lossy = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const upstream = await fetch(`${env.emulator.url}${req.url ?? '/'}`, {
        method: req.method ?? 'GET',
        headers: {
          authorization: String(req.headers.authorization ?? ''),
          'content-type': String(req.headers['content-type'] ?? 'application/json'),
        },
        ...(req.method === 'GET' || chunks.length === 0 ? {} : { body: Buffer.concat(chunks) }),
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      if (dropNext && req.method === 'POST' && (req.url ?? '').endsWith('/trig-lost/backup')) {
        dropNext = false;
        req.socket.destroy();
        return;
      }
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'text/plain',
      });
      res.end(body);
    });
    await new Promise<void>((r) => lossy.listen(0, '127.0.0.1', r));
    try {
      await createResource(kc, backupServiceKind, namespace, 'cb-lossy', {
        endpoints: [`http://127.0.0.1:${(lossy.address() as AddressInfo).port}`],
        credentialsSecretRef: { name: 'cb-admin' },
        pollInterval: '1s',
      });
      await waitForResource(kc, backupServiceKind, namespace, 'cb-lossy', (o) => hasCondition(o, 'Ready'));
      await create('trig-lost', fsRepo({ serviceRef: { name: 'cb-lossy' } }));
      await waitReady('trig-lost', (o) => o.status?.backups !== undefined);
      const route = '/api/v1/cluster/self/repository/active/trig-lost/backup';
      const since = env.emulator.requestLog.lastSeq();
      await patchSpec('trig-lost', { triggers: { backup: 'lost-1' } });
      const done = await waitReady(
        'trig-lost',
        (o) =>
          o.status?.triggers?.backup?.token === 'lost-1' &&
          (o.status?.recentTasks ?? []).some((t) => t.taskName === o.status?.triggers?.backup?.taskName),
      );
      expect(dropNext).toBe(false);
      expect(done.status?.triggers?.backup?.taskName).toMatch(/^BACKUP-/);
      await new Promise((r) => setTimeout(r, 1500));
      expect(requests('POST', route, since)).toHaveLength(1);
      await remove('trig-lost');
      await waitGone('trig-lost');
      await custom.deleteNamespacedCustomObject({
        group: backupServiceKind.group,
        version: backupServiceKind.version,
        namespace,
        plural: backupServiceKind.plural,
        name: 'cb-lossy',
      });
    } finally {
      lossy.closeAllConnections();
      await new Promise((r) => lossy.close(r));
    }
  });

  it('a trigger whose follow-up read fails keeps its task name (no second request)', async () => {
    await create('trig-read', fsRepo());
    await waitReady('trig-read', (o) => o.status?.backups !== undefined);
    const route = '/api/v1/cluster/self/repository/active/trig-read/backup';
    const since = env.emulator.requestLog.lastSeq();
    env.emulator.faults.set({
      rules: [
        {
          method: 'GET',
          path: '/api/v1/cluster/self/repository/active/trig-read',
          errorRate: 1,
          errorStatus: 500,
        },
      ],
    });
    try {
      await patchSpec('trig-read', { triggers: { backup: 'read-1' } });
      // The read after the request fails: the error path writes the echo with the task name.
      const failing = await waitFor(
        'trig-read',
        (o) =>
          condition(o, 'Reconciling')?.reason === 'ServiceUnavailable' &&
          o.status?.triggers?.backup?.token === 'read-1' &&
          o.status?.triggers?.backup?.taskName !== undefined,
      );
      expect(failing.status?.triggers?.backup?.taskName).toMatch(/^BACKUP-/);
      await new Promise((r) => setTimeout(r, 1500));
      expect(requests('POST', route, since)).toHaveLength(1);
    } finally {
      env.emulator.faults.reset();
    }
    const done = await waitReady(
      'trig-read',
      (o) =>
        o.status?.triggers?.backup?.token === 'read-1' &&
        (o.status?.recentTasks ?? []).some((t) => t.taskName === o.status?.triggers?.backup?.taskName),
    );
    expect(done.status?.triggers?.backup?.taskName).toMatch(/^BACKUP-/);
    await new Promise((r) => setTimeout(r, 1500));
    expect(requests('POST', route, since)).toHaveLength(1);
  });

  it('a recorded trigger with no task found waits the delivery grace before it is sent again', async () => {
    await create('trig-grace', fsRepo());
    await waitReady('trig-grace', (o) => o.status?.backups !== undefined);
    const route = '/api/v1/cluster/self/repository/active/trig-grace/backup';
    const since = env.emulator.requestLog.lastSeq();
    // As if a previous operator recorded the token and died before (or while) sending it.
    const echoTime = `${new Date().toISOString().slice(0, 19)}Z`;
    await custom.patchNamespacedCustomObjectStatus(
      {
        group: backupRepositoryKind.group,
        version: backupRepositoryKind.version,
        namespace,
        plural: backupRepositoryKind.plural,
        name: 'trig-grace',
        body: { status: { triggers: { backup: { token: 'g-1', time: echoTime } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await patchSpec('trig-grace', { triggers: { backup: 'g-1' } });
    await new Promise((r) => setTimeout(r, 5000));
    expect(requests('POST', route, since)).toHaveLength(0);
    const done = await waitReady(
      'trig-grace',
      (o) => o.status?.triggers?.backup?.taskName !== undefined,
      40_000,
    );
    expect(done.status?.triggers?.backup?.token).toBe('g-1');
    const posts = requests('POST', route, since);
    expect(posts).toHaveLength(1);
    expect(Date.parse(posts[0]?.time ?? '')).toBeGreaterThanOrEqual(Date.parse(echoTime) + 19_500);
    await remove('trig-grace');
    await waitGone('trig-grace');
  }, 60_000);

  it('a trigger answered 2xx with an unreadable body starts one task only (found, not resent)', async () => {
    await create('trig-garbled', fsRepo());
    await waitReady('trig-garbled', (o) => o.status?.backups !== undefined);
    const route = '/api/v1/cluster/self/repository/active/trig-garbled/backup';
    const since = env.emulator.requestLog.lastSeq();
    // The service starts the task, but its answer arrives truncated (a proxy cutting the stream).
    env.emulator.faults.set({ rules: [{ method: 'POST', path: route, malformedRate: 1 }] });
    try {
      await patchSpec('trig-garbled', { triggers: { backup: 'garbled-1' } });
      const done = await waitReady(
        'trig-garbled',
        (o) =>
          o.status?.triggers?.backup?.token === 'garbled-1' &&
          o.status.triggers.backup.taskName !== undefined,
        30_000,
      );
      expect(done.status?.triggers?.backup?.taskName).toMatch(/^BACKUP-/);
      await new Promise((r) => setTimeout(r, 3_000));
      expect(requests('POST', route, since)).toHaveLength(1);
    } finally {
      env.emulator.faults.reset();
    }
    await remove('trig-garbled');
    await waitGone('trig-garbled');
  }, 60_000);

  it("a token whose answer is unreadable finds its own task, never the previous token's", async () => {
    await create('trig-prev', fsRepo());
    await waitReady('trig-prev', (o) => o.status?.backups !== undefined);
    await patchSpec('trig-prev', { triggers: { backup: 'prev-1' } });
    const first = await waitReady('trig-prev', (o) => o.status?.triggers?.backup?.taskName !== undefined);
    const firstTask = first.status?.triggers?.backup?.taskName;
    await env.emulator.idle();
    const route = '/api/v1/cluster/self/repository/active/trig-prev/backup';
    // The next token's backup starts, but its answer is unreadable: recovery must tell its task
    // from the previous token's (both are recent backups of this repository).
    env.emulator.faults.set({ rules: [{ method: 'POST', path: route, malformedRate: 1 }] });
    try {
      await patchSpec('trig-prev', { triggers: { backup: 'prev-2' } });
      const done = await waitReady(
        'trig-prev',
        (o) =>
          o.status?.triggers?.backup?.token === 'prev-2' && o.status.triggers.backup.taskName !== undefined,
        40_000,
      );
      expect(done.status?.triggers?.backup?.taskName).not.toBe(firstTask);
      expect(done.status?.triggers?.backup?.previousTaskName).toBe(firstTask);
      expect(done.status?.conditions?.find((c) => c.type === 'Synced')?.status).toBe('True');
    } finally {
      env.emulator.faults.reset();
    }
    await remove('trig-prev');
    await waitGone('trig-prev');
  }, 60_000);

  it('a recorded trigger with several candidate tasks asks for a new token instead of guessing', async () => {
    await create('trig-amb', fsRepo());
    await waitReady('trig-amb', (o) => o.status?.backups !== undefined);
    const route = '/api/v1/cluster/self/repository/active/trig-amb/backup';
    // As if a previous operator recorded the token 25 s ago and died; meanwhile two backups were
    // started behind its back (the Web Console, a script): either could be the token's.
    const echoTime = `${new Date(Date.now() - 25_000).toISOString().slice(0, 19)}Z`;
    const first = (await api('POST', '/cluster/self/repository/active/trig-amb/backup', {})).body?.task_name;
    await env.emulator.idle();
    const second = (await api('POST', '/cluster/self/repository/active/trig-amb/backup', {})).body?.task_name;
    await env.emulator.idle();
    const since = env.emulator.requestLog.lastSeq();
    await custom.patchNamespacedCustomObjectStatus(
      {
        group: backupRepositoryKind.group,
        version: backupRepositoryKind.version,
        namespace,
        plural: backupRepositoryKind.plural,
        name: 'trig-amb',
        body: { status: { triggers: { backup: { token: 'amb-1', time: echoTime } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await patchSpec('trig-amb', { triggers: { backup: 'amb-1' } });
    const stuck = await waitFor(
      'trig-amb',
      (o) =>
        condition(o, 'Synced')?.status === 'False' &&
        (condition(o, 'Synced')?.message ?? '').includes('amb-1') &&
        o.status?.observedGeneration === o.metadata.generation,
    );
    const message = condition(stuck, 'Synced')?.message ?? '';
    expect(message).toContain(String(first));
    expect(message).toContain(String(second));
    expect(message).toContain('set a new token');
    expect(stuck.status?.triggers?.backup).toEqual({ token: 'amb-1', time: echoTime });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(requests('POST', route, since)).toHaveLength(0);

    // A new token is the user's decision: it runs exactly once.
    await patchSpec('trig-amb', { triggers: { backup: 'amb-2' } });
    const ran = await waitReady(
      'trig-amb',
      (o) => o.status?.triggers?.backup?.token === 'amb-2' && o.status.triggers.backup.taskName !== undefined,
    );
    expect([first, second]).not.toContain(ran.status?.triggers?.backup?.taskName);
    expect(condition(ran, 'Synced')?.status).toBe('True');
    expect(requests('POST', route, since)).toHaveLength(1);
    await remove('trig-amb');
    await waitGone('trig-amb');
  }, 60_000);

  it('a token on a Paused repository says it waits, and runs once the repository is Active', async () => {
    const route = '/api/v1/cluster/self/repository/active/trig-paused/backup';
    const since = env.emulator.requestLog.lastSeq();
    await create('trig-paused', fsRepo({ state: 'Paused', triggers: { backup: 'p-1' } }));
    const waiting = await waitReady(
      'trig-paused',
      (o) => o.status?.state === 'Paused' && (condition(o, 'Synced')?.message ?? '').includes('waits'),
    );
    expect(condition(waiting, 'Synced')).toMatchObject({
      status: 'True',
      reason: 'Synced',
      message: expect.stringContaining(
        'triggers.backup token p-1 waits for the repository to be Active (it is Paused)',
      ),
    });
    expect(requests('POST', route, since)).toHaveLength(0);
    await patchSpec('trig-paused', { state: 'Active' });
    const ran = await waitReady(
      'trig-paused',
      (o) => o.status?.triggers?.backup?.taskName !== undefined && o.status.state === 'Active',
    );
    expect(condition(ran, 'Synced')?.message).not.toContain('waits');
    expect(requests('POST', route, since)).toHaveLength(1);
  });

  it('rejects a trigger the service explains it cannot start (bucket gone) once, without retrying', async () => {
    env.emulator.data.createBucket({ name: 'short-lived' });
    await create('bucket-gone', fsRepo({ bucket: 'short-lived' }));
    await waitReady('bucket-gone');
    env.emulator.data.deleteBucket('short-lived');
    const since = env.emulator.requestLog.lastSeq();
    await patchSpec('bucket-gone', { triggers: { backup: 'after-drop' } });
    const refused = await waitFor(
      'bucket-gone',
      (o) =>
        condition(o, 'Synced')?.reason === 'TriggerRejected' &&
        o.status?.observedGeneration === o.metadata.generation,
    );
    expect(condition(refused, 'Synced')?.message).toContain('after-drop');
    // The echo records the outcome with the server's reason.
    expect(refused.status?.triggers?.backup).toMatchObject({ token: 'after-drop', outcome: 'Rejected' });
    expect(refused.status?.triggers?.backup?.error).toBeTruthy();
    expect(refused.status?.triggers?.backup?.taskName).toBeUndefined();
    await new Promise((r) => setTimeout(r, 2_000));
    expect(requests('POST', '/api/v1/cluster/self/repository/active/bucket-gone/backup', since)).toHaveLength(
      1,
    );
  });

  it('reports drift with driftPolicy Report and corrects it with Enforce', async () => {
    await patchSpec('lifecycle', { driftPolicy: 'Report' });
    await waitReady('lifecycle');
    expect((await api('POST', '/cluster/self/repository/active/lifecycle/pause', {})).status).toBe(200);
    const drifted = await waitFor('lifecycle', (o) => hasCondition(o, 'Synced', 'False'));
    expect(condition(drifted, 'Synced')?.reason).toBe('Drifted');
    expect(condition(drifted, 'Synced')?.message).toContain('state');
    expect(hasCondition(drifted, 'Ready')).toBe(true);
    expect((await api('GET', '/cluster/self/repository/active/lifecycle')).body?.state).toBe('paused');
    await expect.poll(async () => (await eventsOf('lifecycle', 'DriftDetected')).length).toBe(1);
    expect((await eventsOf('lifecycle', 'DriftDetected'))[0]?.type).toBe('Warning');

    await patchSpec('lifecycle', { driftPolicy: 'Enforce' });
    await waitReady('lifecycle', (o) => o.status?.state === 'Active' && hasCondition(o, 'Synced'));
    // Behind the back again, with Enforce: resumed without any spec change.
    const since = env.emulator.requestLog.lastSeq();
    await api('POST', '/cluster/self/repository/active/lifecycle/pause', {});
    const deadline = Date.now() + 10_000;
    while (
      Date.now() < deadline &&
      requests('POST', '/api/v1/cluster/self/repository/active/lifecycle/resume', since).length === 0
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(requests('POST', '/api/v1/cluster/self/repository/active/lifecycle/resume', since)).toHaveLength(
      1,
    );
    await waitReady('lifecycle', (o) => o.status?.state === 'Active');
    // The spec was applied before, so the resume puts drift back: DriftCorrected, not Resumed.
    await expect.poll(async () => (await eventsOf('lifecycle', 'DriftCorrected')).length).toBe(1);
  });

  it('archives on spec.state Archived; the CRD refuses to leave Archived; an archive can be imported', async () => {
    await create('to-archive', fsRepo());
    const active = await waitReady('to-archive', (o) => o.status?.repo !== undefined);
    await patchSpec('to-archive', { state: 'Archived' });
    const archived = await waitReady('to-archive', (o) => o.status?.state === 'Archived');
    expect(archived.status?.nextRuns).toBeUndefined();
    expect((await api('GET', '/cluster/self/repository/archived/to-archive')).status).toBe(200);
    await expect(patchSpec('to-archive', { state: 'Active' })).rejects.toThrow(/Archived is final/);

    await create('imported', {
      serviceRef: { name: 'cb' },
      storage: { filesystem: { path: env.archiveDir } },
      import: { repo: active.status?.repo },
    });
    const imported = await waitReady('imported', (o) => o.status?.state === 'Imported');
    expect(imported.status?.repo).toBe(active.status?.repo);
    expect((await api('GET', '/cluster/self/repository/imported/imported')).status).toBe(200);
  });

  it('deletion: Retain keeps, Archive archives, Delete removes (data only with removeData)', async () => {
    for (const [name, extra] of [
      ['del-retain', {}],
      ['del-archive', { deletionPolicy: 'Archive' }],
      ['del-keep-data', { deletionPolicy: 'Delete' }],
      ['del-remove-data', { deletionPolicy: 'Delete', removeData: true }],
    ] as const) {
      await create(name, fsRepo(extra));
    }
    const repos: Record<string, string> = {};
    for (const name of ['del-retain', 'del-archive', 'del-keep-data', 'del-remove-data']) {
      const ready = await waitReady(name, (o) => o.status?.repo !== undefined);
      repos[name] = ready.status?.repo ?? '';
      expect(existsSync(join(env.archiveDir, repos[name]))).toBe(true);
      await remove(name);
    }
    for (const name of Object.keys(repos)) await waitGone(name);

    expect((await api('GET', '/cluster/self/repository/active/del-retain')).status).toBe(200);
    expect((await api('GET', '/cluster/self/repository/archived/del-archive')).status).toBe(200);
    for (const name of ['del-keep-data', 'del-remove-data']) {
      expect((await api('GET', `/cluster/self/repository/active/${name}`)).status).toBe(404);
      expect((await api('GET', `/cluster/self/repository/archived/${name}`)).status).toBe(404);
    }
    expect(existsSync(join(env.archiveDir, repos['del-keep-data'] ?? 'x'))).toBe(true);
    expect(existsSync(join(env.archiveDir, repos['del-remove-data'] ?? 'x'))).toBe(false);
  });

  it('rejects bad input at admission with the CRD messages', async () => {
    await expect(create('both-plans', fsRepo({ planRef: { name: 'p' } }))).rejects.toThrow(
      /exactly one of planRef or builtInPlan/,
    );
    await expect(
      create('relative', fsRepo({ storage: { filesystem: { path: 'relative/dir' } } })),
    ).rejects.toThrow(/path/);
    await expect(create('remove-data', fsRepo({ removeData: true }))).rejects.toThrow(
      /removeData needs deletionPolicy Delete/,
    );
  });

  it('is Stalled with the server message for an unusable archive location and an unknown bucket', async () => {
    const file = join(env.archiveDir, 'not-a-directory');
    await writeFile(file, 'x');
    await create('bad-location', fsRepo({ storage: { filesystem: { path: file } } }));
    const stalled = await waitFor('bad-location', (o) => hasCondition(o, 'Stalled'));
    expect(condition(stalled, 'Stalled')?.reason).toBe('ServerRejected');
    expect(condition(stalled, 'Stalled')?.message).toContain('could not create repository');

    const since = env.emulator.requestLog.lastSeq();
    await create('bad-bucket', fsRepo({ bucket: 'no-such-bucket' }));
    const bucket = await waitFor('bad-bucket', (o) => hasCondition(o, 'Stalled'));
    expect(condition(bucket, 'Stalled')?.message).toContain('bucket does not exist');
    // No hot retry: one create request, then silence.
    await new Promise((r) => setTimeout(r, 2000));
    expect(requests('POST', '/api/v1/cluster/self/repository/active/bad-bucket', since)).toHaveLength(1);
  });

  it('adopts an existing repository and refuses one with a different archive', async () => {
    const other = join(env.archiveDir, 'other');
    await mkdir(other, { recursive: true });
    expect(
      (
        await api('POST', '/cluster/self/repository/active/brownfield', {
          plan: '_daily_backups',
          archive: env.archiveDir,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await api('POST', '/cluster/self/repository/active/elsewhere', {
          plan: '_hourly_backups',
          archive: other,
        })
      ).status,
    ).toBe(200);
    const since = env.emulator.requestLog.lastSeq();
    await create('brownfield', fsRepo({ builtInPlan: '_daily_backups' }));
    await waitReady('brownfield', (o) => o.status?.planName === '_daily_backups');
    expect(requests('POST', '/api/v1/cluster/self/repository/active/brownfield', since)).toHaveLength(0);
    await expect.poll(async () => (await eventsOf('brownfield', 'Adopted')).length).toBe(1);
    expect(await eventsOf('brownfield', 'Created')).toHaveLength(0);

    await create('elsewhere', fsRepo());
    const conflict = await waitFor('elsewhere', (o) => hasCondition(o, 'Stalled'));
    expect(condition(conflict, 'Stalled')?.reason).toBe('AdoptionConflict');
    expect(condition(conflict, 'Stalled')?.message).toContain('archive');
  });

  it('changes the plan of an existing repository (pause, change, resume)', async () => {
    await patchSpec('brownfield', { builtInPlan: '_hourly_backups' });
    const changed = await waitReady('brownfield', (o) => o.status?.planName === '_hourly_backups');
    expect(changed.status?.state).toBe('Active');
    expect((await api('GET', '/cluster/self/repository/active/brownfield')).body?.plan_name).toBe(
      '_hourly_backups',
    );
  });

  it('costs only GET /cluster/self per poll once repositories are Ready, and writes nothing', async () => {
    const names = ['lifecycle', 'brownfield', 'imported', 'to-archive'];
    const before: string[] = [];
    for (const name of names) before.push((await waitReady(name)).metadata.resourceVersion ?? '');
    await new Promise((r) => setTimeout(r, 1500));
    const since = env.emulator.requestLog.lastSeq();
    const rvs: string[] = [];
    for (const name of names)
      rvs.push(
        (await getResource<RepoObject>(kc, backupRepositoryKind, namespace, name)).metadata.resourceVersion ??
          '',
      );
    await new Promise((r) => setTimeout(r, 3500));
    const entries = env.emulator.requestLog.entries({ since });
    expect(entries.length).toBeGreaterThanOrEqual(2);
    expect(
      entries.filter(
        (e) =>
          !(
            e.method === 'GET' &&
            e.path.startsWith('/api/v1/cluster/self') &&
            !e.path.includes('/repository')
          ),
      ),
    ).toEqual([]);
    for (const [i, name] of names.entries()) {
      const now = await getResource<RepoObject>(kc, backupRepositoryKind, namespace, name);
      expect(now.metadata.resourceVersion).toBe(rvs[i]);
    }
  });

  it('waits for a planRef BackupPlan to be Ready, then creates the repository with it', async () => {
    await create('with-plan', {
      serviceRef: { name: 'cb' },
      planRef: { name: 'nightly' },
      storage: { filesystem: { path: env.archiveDir } },
    });
    const waiting = await waitFor('with-plan', (o) => hasCondition(o, 'Reconciling'));
    expect(condition(waiting, 'Reconciling')?.reason).toBe('PlanNotReady');
    await createResource(kc, backupPlanKind, namespace, 'nightly', {
      serviceRef: { name: 'cb' },
      tasks: [
        {
          name: 'nightly_full',
          type: 'BACKUP',
          fullBackup: true,
          schedule: { frequency: 1, period: 'DAYS', time: '01:00' },
        },
      ],
    });
    const ready = await waitReady('with-plan', (o) => o.status?.planName === 'nightly');
    expect(ready.status?.nextRuns?.map((n) => n.taskName)).toEqual(['nightly_full']);
  });

  it('an operator restart writes nothing to settled repositories (no Ready flap)', async () => {
    for (const name of ['lifecycle', 'brownfield', 'imported', 'to-archive', 'trig-paused', 'with-plan'])
      await waitReady(name);
    await new Promise((r) => setTimeout(r, 1500));
    // Every repository of the namespace, Stalled ones included: none may be rewritten.
    const listed = (await custom.listNamespacedCustomObject({
      group: backupRepositoryKind.group,
      version: backupRepositoryKind.version,
      namespace,
      plural: backupRepositoryKind.plural,
    })) as { items: (RepoObject & { metadata: { name: string } })[] };
    const before = new Map(listed.items.map((o) => [o.metadata.name, o]));
    expect(before.size).toBeGreaterThan(5);
    await operator.stop();
    const since = env.emulator.requestLog.lastSeq();
    operator = await startTestOperator({
      kc,
      namespace,
      reconcilers: {
        services: createBackupServiceReconciler,
        plans: createBackupPlanReconciler,
        repositories: createBackupRepositoryReconciler,
      },
    });
    await new Promise((r) => setTimeout(r, 4000));
    // Status already shows history and backups for what the service holds: nothing to read again.
    const reread = env.emulator.requestLog
      .entries({ since, method: 'GET', pathPrefix: '/api/v1/cluster/self/repository/' })
      .map((e) => e.path.split('?')[0])
      .filter((p) => p?.endsWith('/taskHistory') || p?.endsWith('/info'));
    expect(reread).toEqual([]);
    for (const [name, old] of before) {
      const now = await getResource<RepoObject>(kc, backupRepositoryKind, namespace, name);
      expect({ name, rv: now.metadata.resourceVersion }).toEqual({ name, rv: old.metadata.resourceVersion });
      expect({ name, ready: hasCondition(now, 'Ready') }).toEqual({
        name,
        ready: hasCondition(old, 'Ready'),
      });
    }
  });

  it('works with kubectl wait --for=condition=Ready', async () => {
    await create('kubectl-wait', fsRepo());
    const kubectl = join(inject('kubeBinDir'), 'kubectl');
    const { stdout } = await run(kubectl, [
      '--kubeconfig',
      inject('kubeconfig'),
      '-n',
      namespace,
      'wait',
      '--for=condition=Ready',
      'backuprepositories.cbbs.dev/kubectl-wait',
      '--timeout=30s',
    ]);
    expect(stdout).toContain('condition met');
  });
});
