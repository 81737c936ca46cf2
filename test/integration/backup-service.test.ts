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
  getResource,
  hasCondition,
  startTestOperator,
  waitForResource,
} from '../harness/operator.ts';

interface ServiceObject {
  metadata: { generation?: number };
  status?: {
    observedGeneration?: number;
    reachable?: boolean;
    activeEndpoint?: string;
    pollInterval?: string;
    repositories?: { active: number; paused: number; archived: number; imported: number };
    config?: { historyRotationSize?: number };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

describe('BackupService', () => {
  let kc: KubeConfig;
  let namespace: string;
  let env: TestEmulator;
  let operator: Operator;

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    namespace = await createTestNamespace(kc, 'backup-service');
    env = await startTestEmulator();
    operator = await startTestOperator({ kc, namespace });
  });

  afterAll(async () => {
    await operator?.stop();
    await env?.close();
  });

  const reason = (obj: ServiceObject, type: string) =>
    obj.status?.conditions?.find((c) => c.type === type)?.reason;

  it('becomes Ready against a reachable service and applies the cluster-wide configuration', async () => {
    await createCredentialsSecret(kc, namespace, 'cb-admin');
    await createResource(kc, backupServiceKind, namespace, 'cb', {
      endpoints: [env.emulator.url],
      credentialsSecretRef: { name: 'cb-admin' },
      config: { historyRotationSize: 42 },
    });
    const ready = await waitForResource<ServiceObject>(kc, backupServiceKind, namespace, 'cb', (o) =>
      hasCondition(o, 'Ready'),
    );
    expect(ready.status).toMatchObject({
      reachable: true,
      repositories: { active: 0, paused: 0, archived: 0, imported: 0 },
      config: { historyRotationSize: 42 },
    });
    expect(hasCondition(ready, 'CredentialsValid')).toBe(true);
    expect(hasCondition(ready, 'ServiceReachable')).toBe(true);
    const res = await fetch(`${env.emulator.url}/api/v1/config`, {
      headers: { authorization: `Basic ${Buffer.from('admin:password').toString('base64')}` },
    });
    expect(((await res.json()) as { history_rotation_size: number }).history_rotation_size).toBe(42);
  });

  it('is Stalled with the missing Secret named, and recovers when the Secret appears', async () => {
    await createResource(kc, backupServiceKind, namespace, 'no-secret', {
      endpoints: [env.emulator.url],
      credentialsSecretRef: { name: 'later' },
    });
    const stalled = await waitForResource<ServiceObject>(kc, backupServiceKind, namespace, 'no-secret', (o) =>
      hasCondition(o, 'Stalled'),
    );
    expect(reason(stalled, 'CredentialsValid')).toBe('SecretNotFound');
    expect(stalled.status?.conditions?.find((c) => c.type === 'Stalled')?.message).toContain('later');
    await createCredentialsSecret(kc, namespace, 'later');
    await waitForResource<ServiceObject>(kc, backupServiceKind, namespace, 'no-secret', (o) =>
      hasCondition(o, 'Ready'),
    );
  });

  it('reports rejected credentials and takes a rotated Secret without a restart', async () => {
    await createCredentialsSecret(kc, namespace, 'wrong', 'admin', 'not-the-password');
    await createResource(kc, backupServiceKind, namespace, 'rotated', {
      endpoints: [env.emulator.url],
      credentialsSecretRef: { name: 'wrong' },
    });
    const rejected = await waitForResource<ServiceObject>(kc, backupServiceKind, namespace, 'rotated', (o) =>
      hasCondition(o, 'CredentialsValid', 'False'),
    );
    expect(reason(rejected, 'CredentialsValid')).toBe('Unauthorized');
    expect(hasCondition(rejected, 'Stalled')).toBe(true);

    await kc
      .makeApiClient(CoreV1Api)
      .patchNamespacedSecret(
        { namespace, name: 'wrong', body: { stringData: { password: 'password' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    const ready = await waitForResource<ServiceObject>(kc, backupServiceKind, namespace, 'rotated', (o) =>
      hasCondition(o, 'Ready'),
    );
    expect(hasCondition(ready, 'CredentialsValid')).toBe(true);
  });

  it('reports an unreachable service without Stalled, and becomes Ready once it answers', async () => {
    env.emulator.faults.patch({ servicePaused: true });
    try {
      await createResource(kc, backupServiceKind, namespace, 'paused', {
        endpoints: [env.emulator.url],
        credentialsSecretRef: { name: 'cb-admin' },
        pollInterval: '1s',
      });
      const down = await waitForResource<ServiceObject>(kc, backupServiceKind, namespace, 'paused', (o) =>
        hasCondition(o, 'ServiceReachable', 'False'),
      );
      expect(hasCondition(down, 'Stalled')).toBe(false);
      expect(hasCondition(down, 'Ready', 'False')).toBe(true);
    } finally {
      env.emulator.faults.patch({ servicePaused: false });
    }
    await waitForResource<ServiceObject>(kc, backupServiceKind, namespace, 'paused', (o) =>
      hasCondition(o, 'Ready'),
    );
  });

  it('keeps a configuration the service refuses Stalled without a flip and sends it once, not per poll', async () => {
    // A 7.2 service has no node thread map: setting one is refused (404), a user error. Its cluster
    // manager's /pools fails, so the operator does not know the version and the server decides
    // (with the version known the operator refuses first: test/integration/server-version.test.ts).
    const old = await startTestEmulator({
      profile: '7.2',
      faults: { rules: [{ path: '/pools', errorRate: 1, errorStatus: 500 }] },
    });
    try {
      await createCredentialsSecret(kc, namespace, 'refuses-admin');
      await createResource(kc, backupServiceKind, namespace, 'refuses-config', {
        endpoints: [old.emulator.url],
        credentialsSecretRef: { name: 'refuses-admin' },
        pollInterval: '1s',
      });
      await waitForResource<ServiceObject>(kc, backupServiceKind, namespace, 'refuses-config', (o) =>
        hasCondition(o, 'Ready'),
      );
      const since = old.emulator.requestLog.lastSeq();
      await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
        {
          group: backupServiceKind.group,
          version: backupServiceKind.version,
          namespace,
          plural: backupServiceKind.plural,
          name: 'refuses-config',
          body: { spec: { config: { nodesThreads: { 'node-1': 4 } } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      const stalled = await waitForResource<ServiceObject>(
        kc,
        backupServiceKind,
        namespace,
        'refuses-config',
        (o) => hasCondition(o, 'Stalled'),
      );
      expect(reason(stalled, 'Stalled')).toBe('ConfigRejected');
      const stalledSince = old.emulator.requestLog.lastSeq();
      // Several polls later: still Stalled (no flip back to Ready), and the refused write was sent once.
      await new Promise((r) => setTimeout(r, 4_000));
      const later = await getResource<ServiceObject>(kc, backupServiceKind, namespace, 'refuses-config');
      expect(hasCondition(later, 'Stalled')).toBe(true);
      expect(hasCondition(later, 'Ready', 'False')).toBe(true);
      const polls = old.emulator.requestLog
        .entries({ since: stalledSince, method: 'GET', pathPrefix: '/api/v1/cluster/self' })
        .filter((e) => e.path === '/api/v1/cluster/self');
      // Polled on while Stalled, every second plus each poll's own time: two at least when loaded.
      expect(polls.length).toBeGreaterThanOrEqual(2);
      const writes = old.emulator.requestLog.entries({
        since,
        method: 'POST',
        pathPrefix: '/api/v1/nodesThreadsMap',
      });
      expect(writes).toHaveLength(1);
    } finally {
      await old.close();
    }
  });

  it("an unset pollInterval follows the operator's --service-poll-interval, shown in status.pollInterval", async () => {
    // Its own emulator, so that only this service's polls are counted. The operator of this file
    // polls every 1 s (the flag); the CRD used to default pollInterval to 30s on every object.
    const own = await startTestEmulator();
    try {
      await createResource(kc, backupServiceKind, namespace, 'flag-interval', {
        endpoints: [own.emulator.url],
        credentialsSecretRef: { name: 'cb-admin' },
      });
      const ready = await waitForResource<ServiceObject & { spec: { pollInterval?: string } }>(
        kc,
        backupServiceKind,
        namespace,
        'flag-interval',
        (o) => hasCondition(o, 'Ready'),
      );
      expect(ready.spec.pollInterval).toBeUndefined();
      expect(ready.status?.pollInterval).toBe('1s');
      const since = own.emulator.requestLog.lastSeq();
      await new Promise((r) => setTimeout(r, 4_500));
      const polls = own.emulator.requestLog.entries({
        method: 'GET',
        pathPrefix: '/api/v1/cluster/self',
        since,
      });
      // Every second plus each poll's own time (the 30 s default would give at most one).
      expect(polls.filter((e) => e.path === '/api/v1/cluster/self').length).toBeGreaterThanOrEqual(2);
    } finally {
      await own.close();
    }
  });

  it('is rejected at admission with a poll interval below 1s, naming the rule', async () => {
    const err = await createResource(kc, backupServiceKind, namespace, 'too-eager', {
      endpoints: [env.emulator.url],
      credentialsSecretRef: { name: 'cb-admin' },
      pollInterval: '500ms',
    }).then(
      () => undefined,
      (e: unknown) => e as { code?: number; body?: string },
    );
    expect(err?.code).toBe(422);
    expect(err?.body).toContain('pollInterval must be at least 1s');
  });

  it.each([
    {
      name: 'port-out-of-range',
      endpoint: 'http://cb:80970',
      message: 'an endpoint port must be a number from 1 to 65535',
    },
    {
      name: 'credentials-in-url',
      endpoint: 'http://admin:s3cret@cb:8097',
      message: 'endpoints must not carry credentials',
    },
  ])(
    'rejects the endpoint $endpoint at admission without echoing credentials',
    async ({ name, endpoint, message }) => {
      const err = await createResource(kc, backupServiceKind, namespace, name, {
        endpoints: [env.emulator.url, endpoint],
        credentialsSecretRef: { name: 'cb-admin' },
      }).then(
        () => undefined,
        (e: unknown) => e as { code?: number; body?: string },
      );
      expect(err?.code).toBe(422);
      expect(err?.body).toContain('spec.endpoints');
      expect(err?.body).toContain(message);
      expect(err?.body).not.toContain('s3cret');
    },
  );
});
