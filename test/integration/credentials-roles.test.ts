import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Operator } from '../../src/controllers/operator.ts';
import { backupServiceKind } from '../../src/crds/index.ts';
import { startTestEmulator, type TestEmulator } from '../harness/emulator.ts';
import { createTestNamespace, kubeConfigFrom } from '../harness/kube.ts';
import { createResource, hasCondition, startTestOperator, waitForResource } from '../harness/operator.ts';
import { clusterUsers } from '../support/cluster-users.ts';

interface ServiceObject {
  metadata: { generation?: number };
  status?: {
    observedGeneration?: number;
    reachable?: boolean;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

const condition = (o: ServiceObject, type: string) => o.status?.conditions?.find((c) => c.type === type);

/** How soon refused credentials are asked again in this file (production: 60 s, doubling). */
const RECHECK_MS = 2_000;

// A role revoked and granted again on the server while the operator runs (the cluster manager's
// user API, docs/backup-service-api.md §1.6): the refusal shows in the status, is not retried hot,
// and the service recovers without any change on the Kubernetes side.
describe('credentials that lose and regain a role at run time', () => {
  let kc: KubeConfig;
  let namespace: string;
  let env: TestEmulator;
  let operator: Operator;
  let users: ReturnType<typeof clusterUsers>;

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    namespace = await createTestNamespace(kc, 'credentials-roles');
    env = await startTestEmulator();
    users = clusterUsers(env.emulator.url);
    expect((await users.put('operator', ['backup_admin'], 'operator-password')).status).toBe(200);
    await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'op-creds' },
        stringData: { username: 'operator', password: 'operator-password' },
      },
    });
    operator = await startTestOperator({ kc, namespace, timings: { credentialsRecheckMs: RECHECK_MS } });
  });

  afterAll(async () => {
    await operator?.stop();
    await env?.close();
  });

  const polls = () =>
    env.emulator.requestLog
      .entries({ method: 'GET', pathPrefix: '/api/v1/cluster/self' })
      .filter((e) => e.path === '/api/v1/cluster/self' || e.path === '/_p/backup/api/v1/cluster/self');

  it('is Stalled naming the missing permission while the role is revoked, polls slowly, and is Ready once granted again', async () => {
    await createResource(kc, backupServiceKind, namespace, 'cb', {
      endpoints: [env.emulator.url],
      credentialsSecretRef: { name: 'op-creds' },
      pollInterval: '1s',
    });
    await waitForResource<ServiceObject>(kc, backupServiceKind, namespace, 'cb', (o) =>
      hasCondition(o, 'Ready'),
    );

    // The user keeps its password but loses every role: the service answers 403.
    expect((await users.put('operator', [])).status).toBe(200);
    const stalled = await waitForResource<ServiceObject>(kc, backupServiceKind, namespace, 'cb', (o) =>
      hasCondition(o, 'Stalled'),
    );
    expect(condition(stalled, 'CredentialsValid')).toMatchObject({ status: 'False', reason: 'Forbidden' });
    expect(condition(stalled, 'CredentialsValid')?.message).toContain('cluster.backup!read');
    expect(condition(stalled, 'Ready')?.status).toBe('False');

    // No hot loop: with a 1 s poll interval a retry per poll would be ~6 requests in 6 s; the
    // refusal is asked again after 2 s, then 4 s.
    env.emulator.requestLog.clear();
    await new Promise((r) => setTimeout(r, 6_000));
    const whileRefused = polls().length;
    expect(whileRefused).toBeGreaterThanOrEqual(1);
    expect(whileRefused).toBeLessThanOrEqual(3);

    // Granted again server-side, nothing changed in Kubernetes: the next re-check succeeds.
    expect((await users.put('operator', ['backup_admin'])).status).toBe(200);
    const ready = await waitForResource<ServiceObject>(
      kc,
      backupServiceKind,
      namespace,
      'cb',
      (o) => hasCondition(o, 'Ready') && !hasCondition(o, 'Stalled'),
      30_000,
    );
    expect(condition(ready, 'CredentialsValid')).toMatchObject({ status: 'True' });
    expect(ready.status?.reachable).toBe(true);
  }, 90_000);

  it('a deleted user is Unauthorized, and recreated it recovers', async () => {
    expect((await users.delete('operator')).status).toBe(200);
    const refused = await waitForResource<ServiceObject>(kc, backupServiceKind, namespace, 'cb', (o) =>
      hasCondition(o, 'Stalled'),
    );
    expect(condition(refused, 'CredentialsValid')).toMatchObject({ status: 'False', reason: 'Unauthorized' });
    expect((await users.put('operator', ['admin'], 'operator-password')).status).toBe(200);
    await waitForResource<ServiceObject>(
      kc,
      backupServiceKind,
      namespace,
      'cb',
      (o) => hasCondition(o, 'Ready') && !hasCondition(o, 'Stalled'),
      30_000,
    );
  }, 90_000);
});
