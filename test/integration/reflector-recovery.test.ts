import { CustomObjectsApi } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BackupServiceResource } from '../../src/controllers/resources.ts';
import {
  createCustomResourceClient,
  createKubeRest,
  createReflector,
  createWatch,
  type Reflector,
} from '../../src/controllers/runtime/index.ts';
import { backupServiceKind } from '../../src/crds/index.ts';
import { type ControlPlane, startControlPlane } from '../harness/control-plane.ts';
import { installCrds, readCrds } from '../harness/crds.ts';
import { createTestNamespace, kubeConfigFrom } from '../harness/kube.ts';
import { createResource } from '../harness/operator.ts';
import { until } from '../harness/until.ts';

// The reflector must survive the API server going away (connections reset, no graceful close)
// and come back: a private control plane, so restarting it disturbs no other test file.

describe('reflector against a restarting API server', () => {
  let plane: ControlPlane;
  let reflector: Reflector<BackupServiceResource>;
  let namespace: string;

  beforeAll(async () => {
    plane = await startControlPlane({ binDir: inject('kubeBinDir') });
    const kc = kubeConfigFrom(plane.kubeconfigPath);
    await installCrds(kc, await readCrds(new URL('../../deploy/crds', import.meta.url).pathname));
    namespace = await createTestNamespace(kc, 'reflector');
    const client = createCustomResourceClient<BackupServiceResource>(
      createKubeRest(kc, { requestTimeoutMs: 5_000 }),
      backupServiceKind,
    );
    reflector = createReflector<BackupServiceResource>({
      kind: 'BackupService',
      list: (ns) => client.list(ns),
      watchPath: (ns) => client.watchPath(ns),
      watch: createWatch(createKubeRest(kc)),
      namespaces: [namespace],
      log: pino({ level: process.env.CBBS_TEST_LOG_LEVEL ?? 'silent' }),
      backoff: { baseMs: 100, maxMs: 1_000 },
    });
    reflector.start();
  });

  afterAll(async () => {
    await reflector?.stop();
    await plane?.stop();
  });

  const spec = { endpoints: ['http://127.0.0.1:1'], credentialsSecretRef: { name: 'none' } };

  it('keeps its cache through a killed and restarted API server', async () => {
    const kc = kubeConfigFrom(plane.kubeconfigPath);
    await createResource(kc, backupServiceKind, namespace, 'before', spec);
    await until(() => reflector.store.get(`${namespace}/before`) !== undefined);
    expect(reflector.hasSynced()).toBe(true);

    await plane.restartApiServer(1_000);

    await createResource(kc, backupServiceKind, namespace, 'after', spec);
    await kc.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({
      group: backupServiceKind.group,
      version: backupServiceKind.version,
      namespace,
      plural: backupServiceKind.plural,
      name: 'before',
    });
    await until(
      () =>
        reflector.store.get(`${namespace}/after`) !== undefined &&
        reflector.store.get(`${namespace}/before`) === undefined,
    );
    expect(reflector.store.keys().sort()).toEqual([`${namespace}/after`]);
  });
});
