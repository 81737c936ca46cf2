import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBackupPlanReconciler } from '../../src/controllers/backup-plan/reconciler.ts';
import { createBackupServiceReconciler } from '../../src/controllers/backup-service/reconciler.ts';
import type { Operator } from '../../src/controllers/operator.ts';
import { backupPlanKind, backupServiceKind } from '../../src/crds/index.ts';
import type { EmulatorOptions } from '../../src/emulator/index.ts';
import { startTestEmulator, type TestEmulator } from '../harness/emulator.ts';
import { createTestNamespace, kubeConfigFrom } from '../harness/kube.ts';
import {
  createCredentialsSecret,
  createResource,
  hasCondition,
  startTestOperator,
  waitForResource,
} from '../harness/operator.ts';

const run = promisify(execFile);

interface ServiceObject {
  metadata: { generation?: number };
  status?: {
    observedGeneration?: number;
    version?: string;
    profile?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

const prune = {
  tasks: [
    { name: 'hourly', type: 'BACKUP', schedule: { frequency: 1, period: 'HOURS' } },
    { name: 'prune', type: 'PRUNE', schedule: { frequency: 1, period: 'DAYS' } },
  ],
};

describe('server version', () => {
  let kc: KubeConfig;
  let namespace: string;
  const emulators = new Map<NonNullable<EmulatorOptions['profile']>, TestEmulator>();
  let operator: Operator;

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    namespace = await createTestNamespace(kc, 'server-version');
    for (const profile of ['7.2', '8.0'] as const)
      emulators.set(profile, await startTestEmulator({ profile }));
    operator = await startTestOperator({
      kc,
      namespace,
      reconcilers: { services: createBackupServiceReconciler, plans: createBackupPlanReconciler },
    });
    await createCredentialsSecret(kc, namespace, 'cb-admin');
    for (const [profile, env] of emulators) {
      await createResource(kc, backupServiceKind, namespace, `cb-${profile.replace('.', '')}`, {
        endpoints: [env.emulator.url],
        credentialsSecretRef: { name: 'cb-admin' },
        pollInterval: '1s',
      });
    }
  });

  afterAll(async () => {
    await operator?.stop();
    for (const env of emulators.values()) await env.close();
  });

  const waitVersion = (name: string, version: string) =>
    waitForResource<ServiceObject>(
      kc,
      backupServiceKind,
      namespace,
      name,
      (o) => hasCondition(o, 'Ready') && o.status?.version === version,
    );

  it('reads the version from /pools once, not per poll, and shows it in kubectl get', async () => {
    const v72 = await waitVersion('cb-72', '7.2.4-7070-enterprise');
    expect(v72.status?.profile).toBe('7.2');
    const v80 = await waitVersion('cb-80', '8.0.0-3777-enterprise');
    expect(v80.status?.profile).toBe('8.0');

    const env = emulators.get('7.2') as TestEmulator;
    const polls = () =>
      env.emulator.requestLog.entries({ method: 'GET', pathPrefix: '/api/v1/cluster/self' });
    const before = polls().length;
    await new Promise((r) => setTimeout(r, 3_500));
    expect(polls().length).toBeGreaterThan(before + 1);
    expect(env.emulator.requestLog.entries({ method: 'GET', pathPrefix: '/pools' })).toHaveLength(1);

    const kubectl = join(inject('kubeBinDir'), 'kubectl');
    const { stdout } = await run(kubectl, [
      '--kubeconfig',
      inject('kubeconfig'),
      '-n',
      namespace,
      'get',
      'backupservices.cbbs.dev',
    ]);
    expect(stdout).toMatch(/VERSION/);
    expect(stdout).toMatch(/cb-72\s.*7\.2\.4-7070-enterprise/);
    expect(stdout).toMatch(/cb-80\s.*8\.0\.0-3777-enterprise/);
  });

  it('reads it again, once, when the endpoints change', async () => {
    const env = emulators.get('7.2') as TestEmulator;
    const pools = () => env.emulator.requestLog.entries({ method: 'GET', pathPrefix: '/pools' }).length;
    const before = pools();
    await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
      {
        group: backupServiceKind.group,
        version: backupServiceKind.version,
        namespace,
        plural: backupServiceKind.plural,
        name: 'cb-72',
        body: { spec: { endpoints: [`${env.emulator.url}/_p/backup`] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitForResource<ServiceObject>(
      kc,
      backupServiceKind,
      namespace,
      'cb-72',
      (o) =>
        (o.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') &&
        o.status?.observedGeneration === o.metadata.generation,
    );
    await new Promise((r) => setTimeout(r, 2_500));
    expect(pools()).toBe(before + 1);
  });

  it('refuses PRUNE on a 7.2 server with UnsupportedByServer and sends it to an 8.0 one', async () => {
    await createResource(kc, backupPlanKind, namespace, 'pruned-72', {
      serviceRef: { name: 'cb-72' },
      ...prune,
    });
    await createResource(kc, backupPlanKind, namespace, 'pruned-80', {
      serviceRef: { name: 'cb-80' },
      ...prune,
    });
    const stalled = await waitForResource<ServiceObject>(kc, backupPlanKind, namespace, 'pruned-72', (o) =>
      hasCondition(o, 'Stalled'),
    );
    const c = stalled.status?.conditions?.find((x) => x.type === 'Stalled');
    expect(c?.reason).toBe('UnsupportedByServer');
    expect(c?.message).toContain('7.2.4-7070-enterprise');
    await waitForResource(kc, backupPlanKind, namespace, 'pruned-80', (o) => hasCondition(o, 'Ready'));
    const sent72 = (emulators.get('7.2') as TestEmulator).emulator.requestLog.entries({
      method: 'POST',
      pathPrefix: '/api/v1/plan/pruned-72',
    });
    expect(sent72).toHaveLength(0);
  });

  it('refuses a node thread map on a 7.2 server with UnsupportedByServer, without sending it', async () => {
    const env = emulators.get('7.2') as TestEmulator;
    const patch = (config: object | null) =>
      kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
        {
          group: backupServiceKind.group,
          version: backupServiceKind.version,
          namespace,
          plural: backupServiceKind.plural,
          name: 'cb-72',
          body: { spec: { config } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    await patch({ nodesThreads: { [env.emulator.store.node.uuid]: 2 } });
    const stalled = await waitForResource<ServiceObject>(kc, backupServiceKind, namespace, 'cb-72', (o) =>
      hasCondition(o, 'Stalled'),
    );
    const c = stalled.status?.conditions?.find((x) => x.type === 'Stalled');
    expect(c?.reason).toBe('UnsupportedByServer');
    expect(c?.message).toContain('7.6.2');
    expect(
      env.emulator.requestLog.entries({ method: 'POST', pathPrefix: '/api/v1/nodesThreadsMap' }),
    ).toHaveLength(0);
    await patch(null);
    await waitForResource<ServiceObject>(kc, backupServiceKind, namespace, 'cb-72', (o) =>
      hasCondition(o, 'Ready'),
    );
  });

  it('leaves the decision to the server while the version cannot be read (PlanRejected, sent once)', async () => {
    const blind = await startTestEmulator({
      profile: '7.6',
      faults: { rules: [{ path: '/pools', errorRate: 1, errorStatus: 500 }] },
    });
    try {
      await createResource(kc, backupServiceKind, namespace, 'cb-blind', {
        endpoints: [blind.emulator.url],
        credentialsSecretRef: { name: 'cb-admin' },
        pollInterval: '1s',
      });
      await waitForResource(kc, backupServiceKind, namespace, 'cb-blind', (o) => hasCondition(o, 'Ready'));
      await createResource(kc, backupPlanKind, namespace, 'pruned-blind', {
        serviceRef: { name: 'cb-blind' },
        ...prune,
      });
      const stalled = await waitForResource<ServiceObject>(
        kc,
        backupPlanKind,
        namespace,
        'pruned-blind',
        (o) => hasCondition(o, 'Stalled'),
      );
      const c = stalled.status?.conditions?.find((x) => x.type === 'Stalled');
      expect(c?.reason).toBe('PlanRejected');
      expect(c?.message).toContain('refused to create plan pruned-blind');
      expect(c?.message).toContain('PRUNE');
      await new Promise((r) => setTimeout(r, 3_000));
      const sent = blind.emulator.requestLog.entries({
        method: 'POST',
        pathPrefix: '/api/v1/plan/pruned-blind',
      });
      expect(sent).toHaveLength(1);
      const service = await waitForResource<ServiceObject>(
        kc,
        backupServiceKind,
        namespace,
        'cb-blind',
        () => true,
      );
      expect(service.status?.version).toBeUndefined();
    } finally {
      await blind.close();
    }
  });
});
