import { CoordinationV1Api, type KubeConfig, V1MicroTime } from '@kubernetes/client-node';
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

const FAST_LEASE = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 300 };

describe('two operator replicas', () => {
  let kc: KubeConfig;
  let namespace: string;
  let env: TestEmulator;
  const replicas: Operator[] = [];

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    namespace = await createTestNamespace(kc, 'leader');
    env = await startTestEmulator();
    for (const identity of ['replica-a', 'replica-b']) {
      replicas.push(
        await startTestOperator({
          kc,
          namespace,
          identity,
          leaderElection: { namespace, name: 'cbbs-operator', identity, ...FAST_LEASE },
        }),
      );
    }
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await env?.close();
  });

  it('elect exactly one leader on a Lease, which reconciles', async () => {
    await until(() => replicas.some((r) => r.isLeader()));
    // Give the other replica several retry periods to (wrongly) win as well: never two at once.
    // (A renewal slowed past its deadline on a loaded machine may leave none for a moment.)
    for (const end = Date.now() + 1_500; Date.now() < end; ) {
      expect(replicas.filter((r) => r.isLeader()).length).toBeLessThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 50));
    }
    await until(() => replicas.filter((r) => r.isLeader()).length === 1);

    const lease = await kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: 'cbbs-operator', namespace });
    const leader = replicas.findIndex((r) => r.isLeader());
    expect(lease.spec?.holderIdentity).toBe(['replica-a', 'replica-b'][leader]);

    await createCredentialsSecret(kc, namespace, 'cb-admin');
    await createResource(kc, backupServiceKind, namespace, 'cb', {
      endpoints: [env.emulator.url],
      credentialsSecretRef: { name: 'cb-admin' },
      pollInterval: '1s',
    });
    await waitForResource(kc, backupServiceKind, namespace, 'cb', (o) => hasCondition(o, 'Ready'));
  });

  it('hand over to the standby when the leader stops, releasing the lease', async () => {
    const leader = replicas.find((r) => r.isLeader());
    const standby = replicas.find((r) => !r.isLeader());
    expect(leader && standby).toBeTruthy();
    await leader!.stop();
    const released = await kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: 'cbbs-operator', namespace });
    // A graceful stop releases the lease, so the standby need not wait for it to expire.
    expect([undefined, '', standby === replicas[0] ? 'replica-a' : 'replica-b']).toContain(
      released.spec?.holderIdentity,
    );
    await until(() => standby!.isLeader());
    const lease = await kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: 'cbbs-operator', namespace });
    expect(lease.spec?.leaseTransitions).toBeGreaterThanOrEqual(1);
  });

  it('stop reconciling when the lease is taken over by someone else', async () => {
    const leader = replicas.find((r) => r.isLeader());
    expect(leader).toBeTruthy();
    const leases = kc.makeApiClient(CoordinationV1Api);
    // The leader renews every few hundred ms: a renewal between our read and our write is a 409,
    // so take the lease over the way a real contender would, read-modify-write until it sticks.
    for (let attempt = 0; ; attempt++) {
      const lease = await leases.readNamespacedLease({ name: 'cbbs-operator', namespace });
      const now = new V1MicroTime();
      try {
        await leases.replaceNamespacedLease({
          name: 'cbbs-operator',
          namespace,
          body: {
            ...lease,
            spec: {
              ...lease.spec,
              holderIdentity: 'intruder',
              renewTime: now,
              acquireTime: now,
              leaseDurationSeconds: 3600,
            },
          },
        });
        break;
      } catch (err) {
        if ((err as { code?: number }).code !== 409 || attempt >= 20) throw err;
      }
    }
    await until(() => !leader!.isLeader());
  });
});
