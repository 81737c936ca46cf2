import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { EventsV1Api, type KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { BackupServiceResource } from '../../src/controllers/resources.ts';
import {
  type CustomResourceClient,
  createCustomResourceClient,
  createEventRecorder,
  createKubeRest,
  EventType,
  ensureFinalizer,
  FinalizerConflictError,
  removeFinalizer,
  writeStatus,
} from '../../src/controllers/runtime/index.ts';
import { backupServiceKind } from '../../src/crds/index.ts';
import { createTestNamespace, kubeConfigFrom } from '../harness/kube.ts';
import { createResource } from '../harness/operator.ts';

// The runtime's writes against the real API server: behaviours the unit tests could only assume.

describe('controller runtime against the API server', () => {
  let kc: KubeConfig;
  let namespace: string;
  let services: CustomResourceClient<BackupServiceResource>;

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    namespace = await createTestNamespace(kc, 'runtime');
    services = createCustomResourceClient<BackupServiceResource>(createKubeRest(kc), backupServiceKind);
  });

  const create = async (name: string) => {
    await createResource(kc, backupServiceKind, namespace, name, {
      endpoints: ['http://127.0.0.1:1'],
      credentialsSecretRef: { name: 'none' },
    });
    return (await services.get(namespace, name))!;
  };

  it('adds a finalizer once (JSON patch with a test op) and removes only its own', async () => {
    const obj = await create('finalizers');
    expect(await ensureFinalizer(services, obj, 'cbbs.dev/finalizer')).toBe(true);
    const withOurs = (await services.get(namespace, 'finalizers'))!;
    expect(withOurs.metadata.finalizers).toEqual(['cbbs.dev/finalizer']);
    expect(await ensureFinalizer(services, withOurs, 'cbbs.dev/finalizer')).toBe(false);

    await services.mergePatch(namespace, 'finalizers', {
      metadata: { finalizers: ['cbbs.dev/finalizer', 'other.io/keep'] },
    });
    const both = (await services.get(namespace, 'finalizers'))!;
    expect(await removeFinalizer(services, both, 'cbbs.dev/finalizer')).toBe(true);
    expect((await services.get(namespace, 'finalizers'))!.metadata.finalizers).toEqual(['other.io/keep']);
  });

  it('refuses to add a finalizer over a list that changed since it was read', async () => {
    const stale = await create('finalizer-race');
    await services.mergePatch(namespace, 'finalizer-race', {
      metadata: { finalizers: ['someone.else/first'] },
    });
    await expect(ensureFinalizer(services, stale, 'cbbs.dev/finalizer')).rejects.toBeInstanceOf(
      FinalizerConflictError,
    );
    expect((await services.get(namespace, 'finalizer-race'))!.metadata.finalizers).toEqual([
      'someone.else/first',
    ]);
  });

  it('writes status only when it changed, with observedGeneration', async () => {
    const obj = await create('status');
    const status = { reachable: false, conditions: [] };
    expect(await writeStatus(services, obj, status)).toBe(true);
    const written = (await services.get(namespace, 'status'))!;
    expect(written.status).toMatchObject({ reachable: false, observedGeneration: 1 });
    expect(await writeStatus(services, written, status)).toBe(false);
    expect((await services.get(namespace, 'status'))!.metadata.resourceVersion).toBe(
      written.metadata.resourceVersion,
    );
  });

  it('records events.k8s.io/v1 Events regarding the object, once per identical note', async () => {
    const obj = await create('events');
    const recorder = createEventRecorder({
      client: kc.makeApiClient(EventsV1Api),
      instance: 'test-instance',
      log: pino({ level: process.env.CBBS_TEST_LOG_LEVEL ?? 'silent' }),
    });
    const event = {
      type: EventType.Warning,
      reason: 'Unauthorized',
      action: 'Connect',
      note: 'credentials rejected',
    };
    await recorder.record(obj, event);
    await recorder.record(obj, event);
    const list = await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
    const ours = list.items.filter((e) => e.regarding?.name === 'events');
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({
      reason: 'Unauthorized',
      type: 'Warning',
      note: 'credentials rejected',
      reportingController: 'cbbs.dev/operator',
      reportingInstance: 'test-instance',
      regarding: { kind: 'BackupService', uid: obj.metadata.uid },
    });

    // The README's command shows them, by full name and by short name; the field selector it
    // used to give is refused by the API server.
    const kubectl = (...args: string[]) =>
      spawnSync(
        join(inject('kubeBinDir'), 'kubectl'),
        ['--kubeconfig', inject('kubeconfig'), '-n', namespace, ...args],
        {
          encoding: 'utf8',
        },
      );
    for (const target of ['backupservice.cbbs.dev/events', 'cbsvc/events']) {
      const shown = kubectl('events', '--for', target);
      expect(shown.status, shown.stderr).toBe(0);
      expect(shown.stdout).toContain('credentials rejected');
    }
    const old = kubectl('get', 'events', '--field-selector', 'regarding.name=events');
    expect(old.status).not.toBe(0);
    expect(old.stderr).toContain('field label not supported');
    const involved = kubectl('get', 'events', '--field-selector', 'involvedObject.name=events');
    expect(involved.status, involved.stderr).toBe(0);
    expect(involved.stdout).toContain('credentials rejected');
  });
});
