import { mkdir } from 'node:fs/promises';
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
  hasCondition,
  startTestOperator,
  waitForResource,
} from '../harness/operator.ts';

interface Obj {
  metadata: { generation?: number };
  status?: {
    planName?: string;
    rollout?: { serverPlanName: string; retiring?: string[]; switched?: string[]; pending?: string[] };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

const hourly = { name: 'hourly', type: 'BACKUP', schedule: { frequency: 1, period: 'HOURS' } };
const everyThree = { ...hourly, schedule: { frequency: 3, period: 'HOURS' } };
const CRASH_AT = 'plan:rollout-switched';

describe('an edit of a plan in use (the 7.6 profile refuses it) is rolled out as a new version', () => {
  let kc: KubeConfig;
  let namespace: string;
  let env: TestEmulator;
  let operator: Operator | undefined;
  const auth = `Basic ${Buffer.from('admin:password').toString('base64')}`;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${env.emulator.url}/api/v1${path}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };
  const serverPlanOf = async (id: string) =>
    (await api('GET', `/cluster/self/repository/active/${id}`)).body?.plan_name as string | undefined;
  /** Event reasons of an object, once `expected` are all there (Events are written asynchronously). */
  const eventReasons = async (name: string, expected: string[]) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const events = await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
      const reasons = events.items.filter((e) => e.regarding?.name === name).map((e) => e.reason ?? '');
      if (expected.every((r) => reasons.includes(r)) || Date.now() > deadline) return reasons;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const reconcilers = {
    services: createBackupServiceReconciler,
    plans: createBackupPlanReconciler,
    repositories: createBackupRepositoryReconciler,
  };

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    namespace = await createTestNamespace(kc, 'plan-rollout');
    env = await startTestEmulator({ profile: '7.6' });
    await mkdir(env.archiveDir, { recursive: true });
    await createCredentialsSecret(kc, namespace, 'cb-admin');
  });

  afterAll(async () => {
    await operator?.stop();
    await env?.close();
  });

  it('switches every repository to <planName>-v<generation>, deletes the old plan, across an operator restart', async () => {
    // The first operator stops at its first switch, as if it crashed mid-rollout.
    let crashed: () => void = () => {};
    const crash = new Promise<void>((resolve) => {
      crashed = resolve;
    });
    operator = await startTestOperator({
      kc,
      namespace,
      reconcilers,
      crashPoint: (name) => {
        if (name !== CRASH_AT) return;
        crashed();
        throw new Error('crash point');
      },
    });
    await createResource(kc, backupServiceKind, namespace, 'cb', {
      endpoints: [env.emulator.url],
      credentialsSecretRef: { name: 'cb-admin' },
      pollInterval: '1s',
    });
    await createResource(kc, backupPlanKind, namespace, 'nightly', {
      serviceRef: { name: 'cb' },
      tasks: [hourly],
    });
    for (const name of ['r1', 'r2']) {
      await createResource(kc, backupRepositoryKind, namespace, name, {
        serviceRef: { name: 'cb' },
        planRef: { name: 'nightly' },
        storage: { filesystem: { path: env.archiveDir } },
      });
    }
    for (const name of ['r1', 'r2'])
      await waitForResource(kc, backupRepositoryKind, namespace, name, (o) => hasCondition(o, 'Ready'));
    // A repository nobody declares uses the plan too: only the plan's rollout can switch it.
    const unmanaged = await api('POST', '/cluster/self/repository/active/by-hand', {
      plan: 'nightly',
      archive: env.archiveDir,
    });
    expect(unmanaged.status).toBe(200);
    // The service refuses the edit in place on this profile.
    expect((await api('PUT', '/plan/nightly', { tasks: [] })).status).toBe(400);

    await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
      {
        group: backupPlanKind.group,
        version: backupPlanKind.version,
        namespace,
        plural: backupPlanKind.plural,
        name: 'nightly',
        body: { spec: { tasks: [everyThree] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await crash;
    await operator.stop();
    operator = undefined;
    // Mid-rollout: the new version exists, the old one still does (something still uses it).
    const version = 'nightly-v2';
    expect((await api('GET', `/plan/${version}`)).status).toBe(200);
    expect((await api('GET', '/plan/nightly')).status).toBe(200);
    const mid = await waitForResource<Obj>(kc, backupPlanKind, namespace, 'nightly', () => true);
    // Published before any switch: repositories read their plan from here.
    expect(mid.status?.planName).toBe(version);
    expect(mid.status?.rollout).toMatchObject({ serverPlanName: version, retiring: ['nightly'] });

    // A new process: nothing but the service and the Kubernetes objects to go on.
    operator = await startTestOperator({ kc, namespace, reconcilers });
    const done = await waitForResource<Obj>(
      kc,
      backupPlanKind,
      namespace,
      'nightly',
      (o) => hasCondition(o, 'Synced') && o.status?.planName === version && o.status.rollout === undefined,
      30_000,
    );
    expect(done.status?.conditions?.find((c) => c.type === 'Synced')?.reason).toBe('UpToDate');
    expect((await api('GET', '/plan/nightly')).status).toBe(404);
    const plan = (await api('GET', `/plan/${version}`)).body as {
      tasks: { schedule: { frequency: number } }[];
    };
    expect(plan.tasks[0]?.schedule.frequency).toBe(3);
    for (const id of ['r1', 'r2', 'by-hand']) expect(await serverPlanOf(id)).toBe(version);
    for (const name of ['r1', 'r2']) {
      const repo = await waitForResource<Obj>(kc, backupRepositoryKind, namespace, name, (o) =>
        hasCondition(o, 'Synced'),
      );
      expect(repo.status?.planName).toBe(version);
    }
    const reasons = await eventReasons('nightly', ['RolloutStarted', 'VersionRetired', 'RolloutCompleted']);
    expect(reasons).toEqual(expect.arrayContaining(['RolloutStarted', 'VersionRetired', 'RolloutCompleted']));
    // A poll that did not show a user yet costs a refused PUT at most, never a Warning or Stalled.
    expect(reasons).not.toContain('PlanInUse');
    // Never an edit in place of a plan in use, and never a repository without a plan.
    const puts = env.emulator.requestLog.entries({ method: 'PUT', pathPrefix: '/api/v1/plan/' });
    expect(puts.filter((e) => e.status === 200)).toHaveLength(0);
  });
});
