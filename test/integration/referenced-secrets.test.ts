import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Operator } from '../../src/controllers/operator.ts';
import { backupServiceKind } from '../../src/crds/index.ts';
import { startTestEmulator, type TestEmulator } from '../harness/emulator.ts';
import { createTestNamespace, kubeConfigFrom } from '../harness/kube.ts';
import {
  createCredentialsSecret,
  createResource,
  hasCondition,
  startTestOperator,
  waitForResource,
} from '../harness/operator.ts';
import { until } from '../harness/until.ts';

describe('the Secret cache', () => {
  let kc: KubeConfig;
  let namespace: string;
  let env: TestEmulator;
  let operator: Operator;

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    namespace = await createTestNamespace(kc, 'referenced-secrets');
    env = await startTestEmulator();
    operator = await startTestOperator({ kc, namespace });
  });

  afterAll(async () => {
    await operator?.stop();
    await env?.close();
  });

  const cached = (name: string) => operator.deps.secrets.get(`${namespace}/${name}`);

  it('holds the Secrets a BackupService references, with their data, and not an unrelated large one', async () => {
    // Created first: one watch stream delivers it before the referenced Secret, so a cache of
    // every Secret would hold it by the time the referenced one is there.
    await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'unrelated' }, stringData: { blob: 'x'.repeat(100 * 1024) } },
    });
    await createCredentialsSecret(kc, namespace, 'cb-admin');
    await createResource(kc, backupServiceKind, namespace, 'cb', {
      endpoints: [env.emulator.url],
      credentialsSecretRef: { name: 'cb-admin' },
    });
    await waitForResource(kc, backupServiceKind, namespace, 'cb', (o) => hasCondition(o, 'Ready'));
    expect(cached('cb-admin')?.data?.username).toBe(Buffer.from('admin').toString('base64'));
    expect(cached('unrelated')).toBeUndefined();
    expect(operator.deps.secrets.keys()).toEqual([`${namespace}/cb-admin`]);
  });

  it('drops a Secret nothing references any more and reads the newly referenced one', async () => {
    await createCredentialsSecret(kc, namespace, 'cb-admin-2');
    await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
      {
        group: backupServiceKind.group,
        version: backupServiceKind.version,
        namespace,
        plural: backupServiceKind.plural,
        name: 'cb',
        body: { spec: { credentialsSecretRef: { name: 'cb-admin-2' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await until(() => cached('cb-admin-2') !== undefined && cached('cb-admin') === undefined, 10_000);
    expect(operator.deps.secrets.keys()).toEqual([`${namespace}/cb-admin-2`]);
  });
});

describe('the Secret cache of a namespace without Secrets', () => {
  it('syncs (an empty metadata list comes with items: null), so controllers start', async () => {
    const kc = kubeConfigFrom(inject('kubeconfig'));
    const namespace = await createTestNamespace(kc, 'no-secrets');
    const operator = await startTestOperator({ kc, namespace });
    try {
      await until(() => operator.synced(), 10_000);
    } finally {
      await operator.stop();
    }
  });
});
