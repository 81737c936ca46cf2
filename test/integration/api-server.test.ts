import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1CustomResourceDefinition,
  Watch,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { installCrds } from '../harness/crds.ts';
import { createTestNamespace, impersonating, isStatus, kubeConfigFrom } from '../harness/kube.ts';

// Proof that the harness gives tests a real API server: the behaviours every controller relies on.

const group = 'harness.cbbs.dev';
const version = 'v1';
const plural = 'widgets';

const widgetCrd: V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { plural, singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: version,
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { size: { type: 'integer' } } },
              status: {
                type: 'object',
                properties: { phase: { type: 'string' }, observedGeneration: { type: 'integer' } },
              },
            },
          },
        },
      },
    ],
  },
};

interface Widget {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; generation?: number; resourceVersion?: string };
  spec?: { size?: number };
  status?: { phase?: string; observedGeneration?: number };
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('the test API server', () => {
  let kc: KubeConfig;
  let api: CustomObjectsApi;
  let namespace: string;

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    await installCrds(kc, [widgetCrd]);
    api = kc.makeApiClient(CustomObjectsApi);
    namespace = await createTestNamespace(kc, 'api-server');
  });

  const widget = (name: string, size: number): Widget => ({
    apiVersion: `${group}/${version}`,
    kind: 'Widget',
    metadata: { name, namespace },
    spec: { size },
  });

  it('moves metadata.generation on spec changes only, and merge-patches status through /status', async () => {
    const created = (await api.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
      body: widget('gen', 1),
    })) as Widget;
    expect(created.metadata.generation).toBe(1);

    const withStatus = (await api.patchNamespacedCustomObjectStatus(
      {
        group,
        version,
        namespace,
        plural,
        name: 'gen',
        body: { status: { phase: 'Ready', observedGeneration: 1 } },
      },
      mergePatch,
    )) as Widget;
    expect(withStatus.status).toEqual({ phase: 'Ready', observedGeneration: 1 });
    expect(withStatus.metadata.generation).toBe(1);
    expect(withStatus.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);

    // The status subresource ignores status in a write to the main resource.
    const specChanged = (await api.patchNamespacedCustomObject(
      {
        group,
        version,
        namespace,
        plural,
        name: 'gen',
        body: { spec: { size: 2 }, status: { phase: 'Hijacked' } },
      },
      mergePatch,
    )) as Widget;
    expect(specChanged.metadata.generation).toBe(2);
    expect(specChanged.status?.phase).toBe('Ready');

    const labelsChanged = (await api.patchNamespacedCustomObject(
      { group, version, namespace, plural, name: 'gen', body: { metadata: { labels: { a: 'b' } } } },
      mergePatch,
    )) as Widget;
    expect(labelsChanged.metadata.generation).toBe(2);
  });

  it('delivers add, modify and delete to a list + watch from the list resourceVersion', async () => {
    const list = (await api.listNamespacedCustomObject({ group, version, namespace, plural })) as {
      metadata: { resourceVersion: string };
    };
    const events: { type: string; name: string; size: number | undefined }[] = [];
    const done = new Promise<void>((resolveDone, reject) => {
      void new Watch(kc)
        .watch(
          `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
          { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true },
          (type, obj: Widget) => {
            if (type === 'BOOKMARK') return;
            events.push({ type, name: obj.metadata.name, size: obj.spec?.size });
            if (type === 'DELETED') resolveDone();
          },
          (err) => {
            if (err && err.name !== 'AbortError') reject(err);
          },
        )
        .then((controller) => done.finally(() => controller.abort()));
    });

    await api.createNamespacedCustomObject({ group, version, namespace, plural, body: widget('watched', 1) });
    await api.patchNamespacedCustomObject(
      { group, version, namespace, plural, name: 'watched', body: { spec: { size: 5 } } },
      mergePatch,
    );
    await api.deleteNamespacedCustomObject({ group, version, namespace, plural, name: 'watched' });
    await done;

    expect(events).toEqual([
      { type: 'ADDED', name: 'watched', size: 1 },
      { type: 'MODIFIED', name: 'watched', size: 5 },
      { type: 'DELETED', name: 'watched', size: 5 },
    ]);
  });

  it('answers 403 to a ServiceAccount without permissions (through impersonation)', async () => {
    const sa = 'no-permissions';
    await kc
      .makeApiClient(CoreV1Api)
      .createNamespacedServiceAccount({ namespace, body: { metadata: { name: sa } } });
    const asSa = impersonating(inject('kubeconfig'), `system:serviceaccount:${namespace}:${sa}`);

    const attempts = [
      () => asSa.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace }),
      () =>
        asSa
          .makeApiClient(CustomObjectsApi)
          .listNamespacedCustomObject({ group, version, namespace, plural }),
      () =>
        asSa
          .makeApiClient(CustomObjectsApi)
          .createNamespacedCustomObject({ group, version, namespace, plural, body: widget('forbidden', 1) }),
    ];
    for (const attempt of attempts) {
      const err = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isStatus(err, 403), `expected 403, got ${String(err)}`).toBe(true);
    }
    // The admin still sees the namespace's objects: the 403 is about the identity, not the server.
    await expect(kc.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace })).resolves.toBeDefined();
  });
});
