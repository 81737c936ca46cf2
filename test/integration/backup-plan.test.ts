import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
import { createBackupServiceReconciler } from '../../src/controllers/backup-service/reconciler.ts';
import type { Operator } from '../../src/controllers/operator.ts';
import { backupPlanKind, backupServiceKind } from '../../src/crds/index.ts';
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

interface PlanObject {
  metadata: { generation?: number; resourceVersion?: string; finalizers?: string[] };
  status?: {
    observedGeneration?: number;
    planName?: string;
    lastSyncedTime?: string;
    drift?: { summary: string; fields?: string[] };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

interface ServerPlan {
  name: string;
  description?: string;
  services: string[] | null;
  tasks: { name: string; task_type: string; schedule: { frequency: number; period: string } }[];
}

// Long enough that the in-use test frees the plan well before the operator gives up on a loaded
// machine (deletionTimestamp's whole seconds take up to one of them).
const FINALIZER_TIMEOUT_MS = 8_000;
const SERVICE = 'cb';
const hourly = { name: 'hourly', type: 'BACKUP', schedule: { frequency: 1, period: 'HOURS' } };
const merge = {
  name: 'weekly-merge',
  type: 'MERGE',
  schedule: { frequency: 1, period: 'SUNDAY', time: '23:40' },
  merge: { offsetStart: 0, offsetEnd: 7 },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('BackupPlan', () => {
  let kc: KubeConfig;
  let namespace: string;
  let env: TestEmulator;
  let operator: Operator;
  let custom: CustomObjectsApi;

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    custom = kc.makeApiClient(CustomObjectsApi);
    namespace = await createTestNamespace(kc, 'backup-plan');
    env = await startTestEmulator();
    operator = await startTestOperator({
      kc,
      namespace,
      reconcilers: { services: createBackupServiceReconciler, plans: createBackupPlanReconciler },
      timings: { finalizerTimeoutMs: FINALIZER_TIMEOUT_MS },
    });
    await createCredentialsSecret(kc, namespace, 'cb-admin');
    await createResource(kc, backupServiceKind, namespace, SERVICE, {
      endpoints: [env.emulator.url],
      credentialsSecretRef: { name: 'cb-admin' },
      pollInterval: '1s',
    });
    await waitForResource(kc, backupServiceKind, namespace, SERVICE, (o) => hasCondition(o, 'Ready'));
  });

  afterAll(async () => {
    await operator?.stop();
    await env?.close();
  });

  /** A call to the emulator's Backup API as admin, like a user in the Web Console. */
  async function serverCall(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${env.emulator.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from('admin:password').toString('base64')}`,
        'content-type': 'application/json',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }
  async function serverPlan(name: string): Promise<ServerPlan | undefined> {
    const res = await serverCall('GET', `/plan/${name}`);
    if (res.status === 404) return undefined;
    expect(res.status).toBe(200);
    return (await res.json()) as ServerPlan;
  }
  /** Requests the emulator served on /api/v1/plan/{name}, by method. */
  const planRequests = (name: string, method?: string, since = 0) =>
    env.emulator.requestLog.entries({
      since,
      pathPrefix: `/api/v1/plan/${name}`,
      ...(method ? { method } : {}),
    });

  const createPlan = (name: string, spec: Record<string, unknown>) =>
    createResource(kc, backupPlanKind, namespace, name, { serviceRef: { name: SERVICE }, ...spec });
  const waitPlan = (name: string, predicate: (o: PlanObject) => boolean, timeoutMs?: number) =>
    waitForResource<PlanObject>(kc, backupPlanKind, namespace, name, predicate, timeoutMs);
  const condition = (o: PlanObject, type: string) => o.status?.conditions?.find((c) => c.type === type);
  const patchSpec = (name: string, spec: Record<string, unknown>) =>
    custom.patchNamespacedCustomObject(
      {
        group: backupPlanKind.group,
        version: backupPlanKind.version,
        namespace,
        plural: backupPlanKind.plural,
        name,
        body: { spec },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  const deletePlan = (name: string) =>
    custom.deleteNamespacedCustomObject({
      group: backupPlanKind.group,
      version: backupPlanKind.version,
      namespace,
      plural: backupPlanKind.plural,
      name,
    });
  async function waitGone(name: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        await getResource(kc, backupPlanKind, namespace, name);
      } catch {
        return;
      }
      await sleep(100);
    }
    throw new Error(`BackupPlan ${name} still exists after ${timeoutMs} ms`);
  }
  async function eventReasons(name: string): Promise<string[]> {
    const list = await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
    return list.items.filter((e) => e.regarding?.name === name).map((e) => e.reason ?? '');
  }

  describe('lifecycle', () => {
    it('creates the plan and becomes Ready', async () => {
      await createPlan('nightly', {
        description: 'nightly backups',
        services: ['data', 'gsi'],
        tasks: [hourly, merge],
      });
      const ready = await waitPlan('nightly', (o) => hasCondition(o, 'Ready'));
      expect(hasCondition(ready, 'Synced')).toBe(true);
      expect(ready.status?.planName).toBe('nightly');
      expect(ready.status?.lastSyncedTime).toBeDefined();
      const plan = await serverPlan('nightly');
      expect(plan).toMatchObject({
        name: 'nightly',
        description: 'nightly backups',
        services: ['data', 'gsi'],
        tasks: [
          { name: 'hourly', task_type: 'BACKUP', full_backup: false },
          { name: 'weekly-merge', task_type: 'MERGE', merge_options: { offset_start: 0, offset_end: 7 } },
        ],
      });
      expect(planRequests('nightly', 'POST')).toHaveLength(1);
      // Events are written after the status they stand for (one writer, behind status writes).
      await waitFor(async () => (await eventReasons('nightly')).includes('PlanCreated'));
    });

    it('replaces the plan with PUT when the spec changes', async () => {
      const since = env.emulator.requestLog.lastSeq();
      await patchSpec('nightly', {
        tasks: [{ ...hourly, schedule: { frequency: 2, period: 'HOURS' } }, merge],
      });
      await waitPlan('nightly', (o) => hasCondition(o, 'Ready') && o.metadata.generation === 2);
      expect((await serverPlan('nightly'))?.tasks[0]?.schedule.frequency).toBe(2);
      expect(planRequests('nightly', 'PUT', since)).toHaveLength(1);
      expect(planRequests('nightly', 'POST', since)).toHaveLength(0);
    });

    it('keeps the server plan when a Retain plan is deleted', async () => {
      const obj = await getResource<PlanObject>(kc, backupPlanKind, namespace, 'nightly');
      expect(obj.metadata.finalizers ?? []).toEqual([]);
      await deletePlan('nightly');
      await waitGone('nightly');
      expect(await serverPlan('nightly')).toBeDefined();
      expect(planRequests('nightly', 'DELETE')).toHaveLength(0);
    });

    it('deletes the server plan when a Delete plan is deleted', async () => {
      await createPlan('doomed', { deletionPolicy: 'Delete', tasks: [hourly] });
      const ready = await waitPlan('doomed', (o) => hasCondition(o, 'Ready'));
      expect(ready.metadata.finalizers).toContain('cbbs.dev/finalizer');
      expect(await serverPlan('doomed')).toBeDefined();
      await deletePlan('doomed');
      await waitGone('doomed');
      expect(await serverPlan('doomed')).toBeUndefined();
    });

    it('answers kubectl wait --for=condition=Ready', async () => {
      await createPlan('waited', { tasks: [hourly] });
      const cacheDir = await mkdtemp(join(tmpdir(), 'kubectl-cache-'));
      const { stdout } = await promisify(execFile)(join(inject('kubeBinDir'), 'kubectl'), [
        `--kubeconfig=${inject('kubeconfig')}`,
        `--cache-dir=${cacheDir}`,
        '-n',
        namespace,
        'wait',
        '--for=condition=Ready',
        'backupplan/waited',
        '--timeout=30s',
      ]).finally(() => rm(cacheDir, { recursive: true, force: true }));
      expect(stdout).toContain('condition met');
    });
  });

  describe('drift', () => {
    const edited = {
      description: 'edited in the console',
      services: null,
      tasks: [
        {
          name: 'hourly',
          task_type: 'BACKUP',
          full_backup: false,
          schedule: { job_type: 'BACKUP', frequency: 7, period: 'HOURS' },
        },
      ],
    };

    it('reports drift with a diff under driftPolicy Report and does not correct it', async () => {
      await createPlan('reported', { driftPolicy: 'Report', tasks: [hourly] });
      await waitPlan('reported', (o) => hasCondition(o, 'Ready') && hasCondition(o, 'Synced'));
      const since = env.emulator.requestLog.lastSeq();
      expect((await serverCall('PUT', '/plan/reported', edited)).status).toBe(200);
      const drifted = await waitPlan('reported', (o) => hasCondition(o, 'Synced', 'False'));
      expect(condition(drifted, 'Synced')?.reason).toBe('DriftDetected');
      expect(drifted.status?.drift?.fields).toEqual(['description', 'tasks[hourly].schedule.frequency']);
      expect(drifted.status?.drift?.summary).toContain('7 on server, 1 in spec');
      expect(hasCondition(drifted, 'Ready')).toBe(true);
      await sleep(2_500);
      // Only our own PUT: the operator never wrote.
      expect(planRequests('reported', 'PUT', since)).toHaveLength(1);
      expect((await serverPlan('reported'))?.tasks[0]?.schedule.frequency).toBe(7);
      expect(await eventReasons('reported')).toContain('DriftDetected');
    });

    it('corrects drift under driftPolicy Enforce (the default)', async () => {
      await createPlan('enforced', { tasks: [hourly] });
      const first = await waitPlan('enforced', (o) => hasCondition(o, 'Ready') && hasCondition(o, 'Synced'));
      const since = env.emulator.requestLog.lastSeq();
      expect((await serverCall('PUT', '/plan/enforced', edited)).status).toBe(200);
      const deadline = Date.now() + 15_000;
      while ((await serverPlan('enforced'))?.tasks[0]?.schedule.frequency !== 1) {
        if (Date.now() > deadline) throw new Error('drift was not corrected');
        await sleep(100);
      }
      expect((await serverPlan('enforced'))?.description).toBeUndefined();
      expect(planRequests('enforced', 'PUT', since)).toHaveLength(2);
      const fixed = await waitPlan(
        'enforced',
        (o) =>
          hasCondition(o, 'Synced') && o.status?.lastSyncedTime !== undefined && o.status.drift === undefined,
      );
      expect(hasCondition(fixed, 'Ready')).toBe(true);
      expect(first.status?.lastSyncedTime).toBeDefined();
      await waitFor(async () => (await eventReasons('enforced')).includes('DriftCorrected'));
    });
  });

  describe('adoption', () => {
    it('adopts an identical existing plan without writing', async () => {
      const body = {
        tasks: [
          {
            name: 'hourly',
            task_type: 'BACKUP',
            full_backup: false,
            schedule: { job_type: 'BACKUP', frequency: 1, period: 'HOURS' },
          },
        ],
      };
      expect((await serverCall('POST', '/plan/same', body)).status).toBe(200);
      const since = env.emulator.requestLog.lastSeq();
      await createPlan('same', { tasks: [hourly] });
      const ready = await waitPlan('same', (o) => hasCondition(o, 'Ready'));
      expect(hasCondition(ready, 'Synced')).toBe(true);
      expect(ready.status?.lastSyncedTime).toBeUndefined();
      expect(planRequests('same', undefined, since).filter((e) => e.method !== 'GET')).toEqual([]);
      await waitFor(async () => (await eventReasons('same')).includes('PlanAdopted'));
    });

    it('adopts a differing existing plan and replaces it (Enforce), never duplicating it', async () => {
      const body = {
        description: 'made by hand',
        tasks: [
          {
            name: 'daily',
            task_type: 'BACKUP',
            schedule: { job_type: 'BACKUP', frequency: 1, period: 'DAYS', time: '01:00' },
          },
        ],
      };
      expect((await serverCall('POST', '/plan/brownfield', body)).status).toBe(200);
      const since = env.emulator.requestLog.lastSeq();
      await createResource(kc, backupPlanKind, namespace, 'brownfield-cr', {
        serviceRef: { name: SERVICE },
        planName: 'brownfield',
        tasks: [hourly],
      });
      const ready = await waitPlan('brownfield-cr', (o) => hasCondition(o, 'Ready'));
      expect(ready.status?.planName).toBe('brownfield');
      expect(planRequests('brownfield', 'POST', since)).toHaveLength(0);
      expect(planRequests('brownfield', 'PUT', since)).toHaveLength(1);
      const plan = await serverPlan('brownfield');
      expect(plan?.description).toBeUndefined();
      expect(plan?.tasks.map((t) => t.name)).toEqual(['hourly']);
    });
  });

  describe('managementPolicy Observe', () => {
    it('mirrors an existing plan and never writes', async () => {
      const body = {
        description: 'owned elsewhere',
        tasks: [
          {
            name: 'daily',
            task_type: 'BACKUP',
            schedule: { job_type: 'BACKUP', frequency: 1, period: 'DAYS' },
          },
        ],
      };
      expect((await serverCall('POST', '/plan/watched', body)).status).toBe(200);
      const since = env.emulator.requestLog.lastSeq();
      await createPlan('watched', { managementPolicy: 'Observe', deletionPolicy: 'Delete' });
      const ready = await waitPlan('watched', (o) => hasCondition(o, 'Ready'));
      expect(condition(ready, 'Ready')?.reason).toBe('Observed');
      expect(condition(ready, 'Ready')?.message).toContain('daily (BACKUP every 1 DAYS)');
      expect(ready.metadata.finalizers ?? []).toEqual([]);

      // A spec that disagrees is reported, not written.
      await patchSpec('watched', { tasks: [hourly] });
      const drifted = await waitPlan('watched', (o) => hasCondition(o, 'Synced', 'False'));
      expect(drifted.status?.drift?.fields).toContain('tasks[daily]');

      await deletePlan('watched');
      await waitGone('watched');
      expect(await serverPlan('watched')).toMatchObject({ description: 'owned elsewhere' });
      expect(planRequests('watched', undefined, since).filter((e) => e.method !== 'GET')).toEqual([]);
    });

    it('reports a missing plan as Ready=False with PlanNotFound, not Stalled', async () => {
      await createPlan('ghost', { managementPolicy: 'Observe' });
      const missing = await waitPlan('ghost', (o) => hasCondition(o, 'Ready', 'False'));
      expect(condition(missing, 'Ready')?.reason).toBe('PlanNotFound');
      expect(condition(missing, 'Ready')?.message).toContain('ghost');
      expect(hasCondition(missing, 'Stalled')).toBe(false);
      expect(planRequests('ghost').filter((e) => e.method !== 'GET')).toEqual([]);

      // Created later on the server: the next poll sees it.
      const body = {
        tasks: [
          { name: 't', task_type: 'BACKUP', schedule: { job_type: 'BACKUP', frequency: 1, period: 'DAYS' } },
        ],
      };
      expect((await serverCall('POST', '/plan/ghost', body)).status).toBe(200);
      await waitPlan('ghost', (o) => hasCondition(o, 'Ready'));
    });
  });

  describe('bad input', () => {
    it.each([
      {
        reason: 'a metadata.name with a dot and no planName',
        name: 'daily.random',
        spec: { tasks: [hourly] },
        message: 'metadata.name is not a valid plan name',
      },
      {
        reason: '15 tasks',
        name: 'too-many',
        spec: { tasks: Array.from({ length: 15 }, (_, i) => ({ ...hourly, name: `t${i}` })) },
        message: 'must have at most 14 items',
      },
      {
        reason: 'fullBackup on a MERGE task',
        name: 'merge-full',
        spec: { tasks: [{ ...merge, fullBackup: true }] },
        message: 'fullBackup is only allowed on BACKUP tasks',
      },
      {
        reason: 'a plan name starting with _ (reserved for built-in plans)',
        name: 'reserved',
        spec: { planName: '_hourly_backups', tasks: [hourly] },
        message: 'spec.planName',
      },
    ])('rejects $reason at admission', async ({ name, spec, message }) => {
      const err = await createPlan(name, spec).then(
        () => undefined,
        (e: unknown) => e as { code?: number; body?: string },
      );
      expect(err?.code).toBe(422);
      expect(String(err?.body)).toContain(message);
    });

    it('is Stalled UnsupportedByServer for a feature the server version lacks, without sending it', async () => {
      // The CRD allows PRUNE (8.0); the emulator runs the 7.6 profile, whose version the
      // BackupService reads from /pools: the operator refuses before the server would.
      await waitFor(async () => {
        const service = await getResource<{ status?: { profile?: string } }>(
          kc,
          backupServiceKind,
          namespace,
          SERVICE,
        );
        return service.status?.profile === '7.6';
      });
      await createPlan('pruned', {
        tasks: [hourly, { name: 'prune', type: 'PRUNE', schedule: { frequency: 1, period: 'DAYS' } }],
      });
      const stalled = await waitPlan('pruned', (o) => hasCondition(o, 'Stalled'));
      const message = condition(stalled, 'Stalled')?.message ?? '';
      expect(condition(stalled, 'Stalled')?.reason).toBe('UnsupportedByServer');
      expect(message).toContain('Plan pruned has PRUNE tasks');
      expect(message).toContain('need Couchbase Server 8.0');
      expect(message).toContain('7.6.2');
      expect(hasCondition(stalled, 'Ready', 'False')).toBe(true);
      expect(hasCondition(stalled, 'Synced', 'False')).toBe(true);
      await sleep(3_000);
      expect(planRequests('pruned', 'POST')).toHaveLength(0);
      await waitFor(async () => (await eventReasons('pruned')).includes('UnsupportedByServer'));

      // Fixing the spec clears it.
      await patchSpec('pruned', { tasks: [hourly] });
      const fixed = await waitPlan('pruned', (o) => hasCondition(o, 'Ready'));
      expect(hasCondition(fixed, 'Stalled')).toBe(false);
    });

    it('reports a missing BackupService and recovers once it exists', async () => {
      await createResource(kc, backupPlanKind, namespace, 'orphan', {
        serviceRef: { name: 'later' },
        tasks: [hourly],
      });
      const waiting = await waitPlan('orphan', (o) => hasCondition(o, 'Ready', 'False'));
      expect(condition(waiting, 'Ready')?.reason).toBe('ServiceNotFound');
      expect(hasCondition(waiting, 'Stalled')).toBe(false);
      await createResource(kc, backupServiceKind, namespace, 'later', {
        endpoints: [env.emulator.url],
        credentialsSecretRef: { name: 'cb-admin' },
        pollInterval: '1s',
      });
      await waitPlan('orphan', (o) => hasCondition(o, 'Ready'));
      expect(await serverPlan('orphan')).toBeDefined();
    });

    it('reports a transient failure as Reconciling and recovers', async () => {
      env.emulator.faults.patch({
        // Prefix: the service's listing and a plan's own read both fail.
        rules: [{ method: 'GET', path: '/api/v1/plan', errorRate: 1, errorStatus: 503 }],
      });
      try {
        await createPlan('flaky', { tasks: [hourly] });
        const down = await waitPlan('flaky', (o) => hasCondition(o, 'Reconciling'));
        expect(condition(down, 'Ready')?.reason).toBe('ServiceUnreachable');
        expect(hasCondition(down, 'Stalled')).toBe(false);
      } finally {
        env.emulator.faults.patch({ rules: [] });
      }
      await waitPlan('flaky', (o) => hasCondition(o, 'Ready'));
    });
  });

  describe('deletion', () => {
    it('keeps the finalizer while a repository uses the plan, then deletes it', async () => {
      await createPlan('in-use', { deletionPolicy: 'Delete', tasks: [hourly] });
      await waitPlan('in-use', (o) => hasCondition(o, 'Ready'));
      const res = await serverCall('POST', '/cluster/self/repository/active/uses-plan', {
        plan: 'in-use',
        archive: env.archiveDir,
      });
      expect(res.status).toBe(200);
      await deletePlan('in-use');
      const blocked = await waitPlan('in-use', (o) => condition(o, 'Ready')?.reason === 'PlanInUse');
      expect(condition(blocked, 'Ready')?.message).toContain('uses-plan');
      expect(condition(blocked, 'Ready')?.message).toContain('in use by repository');
      expect(blocked.metadata.finalizers).toContain('cbbs.dev/finalizer');
      // Backoff, not a hot loop: a handful of attempts in the first second of being blocked.
      await sleep(1_000);
      const deletes = planRequests('in-use', 'DELETE').map((e) => Date.parse(e.time));
      expect(deletes.filter((t) => t - (deletes[0] ?? 0) < 1_000).length).toBeLessThanOrEqual(3);
      await waitFor(async () => (await eventReasons('in-use')).includes('PlanInUse'));

      const archived = await serverCall('POST', '/cluster/self/repository/active/uses-plan/archive', {
        id: 'uses-plan-archived',
      });
      expect(archived.status).toBe(200);
      await waitGone('in-use', 40_000);
      expect(await serverPlan('in-use')).toBeUndefined();
    });

    it('gives up after the finalizer timeout while a repository keeps using the plan, leaving the plan on the server', async () => {
      await createPlan('kept-busy', { deletionPolicy: 'Delete', tasks: [hourly] });
      await waitPlan('kept-busy', (o) => hasCondition(o, 'Ready'));
      const res = await serverCall('POST', '/cluster/self/repository/active/keeps-using', {
        plan: 'kept-busy',
        archive: env.archiveDir,
      });
      expect(res.status).toBe(200);
      await deletePlan('kept-busy');
      await waitPlan('kept-busy', (o) => condition(o, 'Ready')?.reason === 'PlanInUse');
      // Namespace deletion must not hang on a plan the server refuses to delete.
      await waitGone('kept-busy', 20_000);
      expect(await serverPlan('kept-busy')).toBeDefined();
      await waitFor(async () => (await eventReasons('kept-busy')).includes('CleanupAbandoned'));
    });

    it('rolls an edit of a plan in use out as a new version (the server refuses the edit in place), then deletes the old one', async () => {
      await createPlan('busy', { tasks: [hourly] });
      await waitPlan('busy', (o) => hasCondition(o, 'Ready'));
      const res = await serverCall('POST', '/cluster/self/repository/active/uses-busy', {
        plan: 'busy',
        archive: env.archiveDir,
      });
      expect(res.status).toBe(200);
      await patchSpec('busy', { tasks: [{ ...hourly, schedule: { frequency: 3, period: 'HOURS' } }] });
      const done = await waitPlan(
        'busy',
        (o) => hasCondition(o, 'Synced') && o.status?.planName === 'busy-v2',
        15_000,
      );
      expect(condition(done, 'Ready')?.status).toBe('True');
      expect((await serverPlan('busy-v2'))?.tasks[0]?.schedule.frequency).toBe(3);
      const repo = await serverCall('GET', '/cluster/self/repository/active/uses-busy');
      expect(((await repo.json()) as { plan_name: string }).plan_name).toBe('busy-v2');
      expect(await serverPlan('busy')).toBeUndefined();
      // The plan in use is never edited in place: at most one PUT from a poll older than the
      // repository, which the server refuses.
      expect(planRequests('busy', 'PUT').filter((e) => e.status === 200)).toHaveLength(0);
      expect(await eventReasons('busy')).not.toContain('PlanInUse');
    });

    it('gives up after the finalizer timeout when the BackupService is gone', async () => {
      await createResource(kc, backupServiceKind, namespace, 'short-lived', {
        endpoints: [env.emulator.url],
        credentialsSecretRef: { name: 'cb-admin' },
        pollInterval: '1s',
      });
      await createResource(kc, backupPlanKind, namespace, 'stranded', {
        serviceRef: { name: 'short-lived' },
        deletionPolicy: 'Delete',
        tasks: [hourly],
      });
      await waitPlan('stranded', (o) => hasCondition(o, 'Ready'));
      await custom.deleteNamespacedCustomObject({
        group: backupServiceKind.group,
        version: backupServiceKind.version,
        namespace,
        plural: backupServiceKind.plural,
        name: 'short-lived',
      });
      await sleep(500);
      const started = Date.now();
      await deletePlan('stranded');
      const blocked = await waitPlan('stranded', (o) => condition(o, 'Ready')?.reason === 'ServiceNotFound');
      expect(blocked.metadata.finalizers).toContain('cbbs.dev/finalizer');
      await waitGone('stranded', 20_000);
      // deletionTimestamp has whole-second precision, so the deadline can pass up to 1 s early.
      expect(Date.now() - started).toBeGreaterThanOrEqual(FINALIZER_TIMEOUT_MS - 1_000);
      expect(await serverPlan('stranded')).toBeDefined();
      await waitFor(async () => (await eventReasons('stranded')).includes('CleanupAbandoned'));
    });
  });

  describe('steady state', () => {
    it('is idle once Ready: no Kubernetes writes, no plan writes, one GET /plan per service per poll', async () => {
      await createPlan('idle', { deletionPolicy: 'Delete', tasks: [hourly, merge] });
      await waitPlan('idle', (o) => hasCondition(o, 'Ready'));
      await sleep(1_500);
      const list = async () =>
        (
          (await custom.listNamespacedCustomObject({
            group: backupPlanKind.group,
            version: backupPlanKind.version,
            namespace,
            plural: backupPlanKind.plural,
          })) as { items: (PlanObject & { metadata: { name: string } })[] }
        ).items;
      const versions = (items: Awaited<ReturnType<typeof list>>) =>
        Object.fromEntries(items.map((o) => [o.metadata.name, o.metadata.resourceVersion]));
      const before = versions(await list());
      const since = env.emulator.requestLog.lastSeq();
      const windowMs = 4_000;
      await sleep(windowMs);
      expect(versions(await list())).toEqual(before);
      const requests = env.emulator.requestLog.entries({ since });
      const unexpected = requests.filter(
        (e) => !(e.method === 'GET' && (e.path === '/api/v1/cluster/self' || e.path === '/api/v1/plan')),
      );
      // No plan reads its own plan: they all come from the service's listing.
      expect(unexpected).toEqual([]);
      const listings = requests.filter((e) => e.path === '/api/v1/plan').length;
      // pollInterval 1s: about one listing per second for all the plans of a service, never more.
      // Two BackupServices of this file have plans ('cb' and 'later'); the emulator serves both.
      expect(listings).toBeGreaterThanOrEqual(2);
      expect(listings).toBeLessThanOrEqual(2 * (windowMs / 1_000 + 1));
    });
  });

  async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await sleep(200);
    }
  }
});
