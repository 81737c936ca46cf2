import { mkdir } from 'node:fs/promises';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBackupPlanReconciler } from '../../src/controllers/backup-plan/reconciler.ts';
import { createBackupRepositoryReconciler } from '../../src/controllers/backup-repository/reconciler.ts';
import { createBackupServiceReconciler } from '../../src/controllers/backup-service/reconciler.ts';
import type { Operator } from '../../src/controllers/operator.ts';
import {
  backupPlanKind,
  backupRepositoryKind,
  backupServiceKind,
  type KindMeta,
} from '../../src/crds/index.ts';
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

interface Obj {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

const hourly = { name: 'hourly', type: 'BACKUP', schedule: { frequency: 1, period: 'HOURS' } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stalled = (o: Obj) => o.status?.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True');

describe('one owner per server object across namespaces', () => {
  let kc: KubeConfig;
  let nsA: string;
  let nsB: string;
  let env: TestEmulator;
  let operator: Operator;
  const auth = `Basic ${Buffer.from('admin:password').toString('base64')}`;
  const api = async (method: string, path: string) => {
    const res = await fetch(`${env.emulator.url}/api/v1${path}`, {
      method,
      headers: { authorization: auth },
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };
  const remove = (meta: KindMeta, namespace: string, name: string) =>
    kc.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({
      group: meta.group,
      version: meta.version,
      namespace,
      plural: meta.plural,
      name,
    });
  const waitGone = async (meta: KindMeta, namespace: string, name: string) => {
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(100)) {
      if (
        await getResource(kc, meta, namespace, name).then(
          () => false,
          () => true,
        )
      )
        return;
    }
    throw new Error(`${namespace}/${name} still exists`);
  };
  const plan = (ns: string, name: string, spec: object = {}) =>
    createResource(kc, backupPlanKind, ns, name, { serviceRef: { name: 'cb' }, tasks: [hourly], ...spec });
  const repo = (ns: string, name: string, planRef: string) =>
    createResource(kc, backupRepositoryKind, ns, name, {
      serviceRef: { name: 'cb' },
      planRef: { name: planRef },
      storage: { filesystem: { path: env.archiveDir } },
    });
  const writes = (pathPrefix: string, since: number) =>
    env.emulator.requestLog.entries({ pathPrefix, since }).filter((e) => e.method !== 'GET');

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    nsA = await createTestNamespace(kc, 'owner-a');
    nsB = await createTestNamespace(kc, 'owner-b');
    env = await startTestEmulator();
    await mkdir(env.archiveDir, { recursive: true });
    operator = await startTestOperator({
      kc,
      namespace: nsA,
      moreNamespaces: [nsB],
      reconcilers: {
        services: createBackupServiceReconciler,
        plans: createBackupPlanReconciler,
        repositories: createBackupRepositoryReconciler,
      },
    });
    // Two teams, each with its own BackupService object for the one Backup Service.
    for (const ns of [nsA, nsB]) {
      await createCredentialsSecret(kc, ns, 'cb-admin');
      await createResource(kc, backupServiceKind, ns, 'cb', {
        endpoints: [env.emulator.url],
        credentialsSecretRef: { name: 'cb-admin' },
        pollInterval: '1s',
      });
      await waitForResource(kc, backupServiceKind, ns, 'cb', (o) => hasCondition(o, 'Ready'));
    }
  });

  afterAll(async () => {
    await operator?.stop();
    await env?.close();
  });

  it('refuses the second repository claimant (Stalled, naming the owner), never flips the plan, and hands over once the owner is gone', async () => {
    await plan(nsA, 'plan-a');
    await plan(nsB, 'plan-b');
    for (const [ns, name] of [
      [nsA, 'plan-a'],
      [nsB, 'plan-b'],
    ] as const)
      await waitForResource(kc, backupPlanKind, ns, name, (o) => hasCondition(o, 'Ready'));
    await repo(nsA, 'shared', 'plan-a');
    await waitForResource(kc, backupRepositoryKind, nsA, 'shared', (o) => hasCondition(o, 'Ready'));
    // A sequence number of the request log, not a time.
    const since = env.emulator.requestLog.lastSeq();

    await repo(nsB, 'shared', 'plan-b');
    const refused = await waitForResource<Obj>(kc, backupRepositoryKind, nsB, 'shared', (o) => !!stalled(o));
    expect(stalled(refused)?.reason).toBe('OwnedByOther');
    expect(stalled(refused)?.message).toContain(`${nsA}/shared`);
    // A few polls: the server repository keeps the owner's plan, and nothing wrote to it.
    await sleep(3_000);
    expect((await api('GET', '/cluster/self/repository/active/shared')).body?.plan_name).toBe('plan-a');
    expect(writes('/api/v1/cluster/self/repository/active/shared', since)).toEqual([]);
    const owner = await getResource<Obj>(kc, backupRepositoryKind, nsA, 'shared');
    expect(hasCondition(owner, 'Synced')).toBe(true);

    // The owner goes and leaves the server repository (Retain): the waiting claimant takes over.
    await remove(backupRepositoryKind, nsA, 'shared');
    await waitGone(backupRepositoryKind, nsA, 'shared');
    await waitForResource(kc, backupRepositoryKind, nsB, 'shared', (o) => hasCondition(o, 'Synced'), 20_000);
    expect((await api('GET', '/cluster/self/repository/active/shared')).body?.plan_name).toBe('plan-b');
  });

  it('refuses the second plan claimant and never writes the plan, until the owner is gone', async () => {
    await plan(nsA, 'team-a', { planName: 'common' });
    await waitForResource(kc, backupPlanKind, nsA, 'team-a', (o) => hasCondition(o, 'Ready'));
    // A sequence number of the request log, not a time.
    const since = env.emulator.requestLog.lastSeq();
    await plan(nsB, 'team-b', {
      planName: 'common',
      tasks: [{ ...hourly, schedule: { frequency: 2, period: 'HOURS' } }],
    });
    const refused = await waitForResource<Obj>(kc, backupPlanKind, nsB, 'team-b', (o) => !!stalled(o));
    expect(stalled(refused)?.reason).toBe('OwnedByOther');
    expect(stalled(refused)?.message).toContain(`${nsA}/team-a`);
    await sleep(2_500);
    expect(writes('/api/v1/plan/common', since)).toEqual([]);

    await remove(backupPlanKind, nsA, 'team-a');
    await waitForResource(kc, backupPlanKind, nsB, 'team-b', (o) => hasCondition(o, 'Synced'), 20_000);
    const common = (await api('GET', '/plan/common')).body as {
      tasks: { schedule: { frequency: number } }[];
    };
    expect(common.tasks[0]?.schedule.frequency).toBe(2);
  });
});
