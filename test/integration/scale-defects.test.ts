import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Operator } from '../../src/controllers/operator.ts';
import type { BackupRepositoryResource } from '../../src/controllers/resources.ts';
import { backupRepositoryKind, backupServiceKind } from '../../src/crds/index.ts';
import { startTestEmulator, type TestEmulator } from '../harness/emulator.ts';
import { createTestNamespace, kubeConfigFrom } from '../harness/kube.ts';
import {
  createCredentialsSecret,
  createResource,
  getResource,
  hasCondition,
  reconciles,
  startTestOperator,
  waitForResource,
} from '../harness/operator.ts';

describe('scale: repositories of a service that was never polled', () => {
  let kc: KubeConfig;
  let namespace: string;
  let env: TestEmulator;
  /** The burst's own server: the first test's service polls `env` every second, which would count. */
  let burstEnv: TestEmulator;
  let operator: Operator;

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    namespace = await createTestNamespace(kc, 'scale-defects');
    [env, burstEnv] = await Promise.all([startTestEmulator(), startTestEmulator()]);
    operator = await startTestOperator({ kc, namespace });
  });

  afterAll(async () => {
    await operator?.stop();
    await Promise.all([env?.close(), burstEnv?.close()]);
  });

  it('wait for the first poll without a reconcile per second, and proceed once it comes', async () => {
    await createCredentialsSecret(kc, namespace, 'wrong', 'admin', 'not-the-password');
    await createResource(kc, backupServiceKind, namespace, 'cb', {
      endpoints: [env.emulator.url],
      credentialsSecretRef: { name: 'wrong' },
      pollInterval: '1s',
    });
    for (const name of ['r1', 'r2', 'r3']) {
      await createResource(kc, backupRepositoryKind, namespace, name, {
        serviceRef: { name: 'cb' },
        builtInPlan: '_daily_backups',
        storage: { filesystem: { path: env.archiveDir } },
      });
    }
    await waitForResource(
      kc,
      backupRepositoryKind,
      namespace,
      'r3',
      (o) => o.status?.conditions?.some((c) => c.reason === 'WaitingForService') ?? false,
    );
    const before = await reconciles(operator, 'backuprepository');
    await new Promise((r) => setTimeout(r, 5_000));
    const during = (await reconciles(operator, 'backuprepository')) - before;
    // Three repositories over 5 s: a reconcile per second each would be ~15.
    expect(during).toBeLessThanOrEqual(3);

    await createCredentialsSecret(kc, namespace, 'right');
    await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
      {
        group: backupServiceKind.group,
        version: backupServiceKind.version,
        namespace,
        plural: backupServiceKind.plural,
        name: 'cb',
        body: { spec: { credentialsSecretRef: { name: 'right' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    for (const name of ['r1', 'r2', 'r3']) {
      await waitForResource(kc, backupRepositoryKind, namespace, name, (o) => hasCondition(o, 'Ready'));
    }
  });

  it('coalesce the polls a burst of repository writes asks for: at most one per second', async () => {
    await createCredentialsSecret(kc, namespace, 'burst-admin');
    await createResource(kc, backupServiceKind, namespace, 'burst', {
      endpoints: [burstEnv.emulator.url],
      credentialsSecretRef: { name: 'burst-admin' },
      pollInterval: '60s',
    });
    await waitForResource(kc, backupServiceKind, namespace, 'burst', (o) => hasCondition(o, 'Ready'));
    const since = burstEnv.emulator.requestLog.lastSeq();
    const serviceReconcilesBefore = await reconciles(operator, 'backupservice');
    const started = Date.now();
    const names = Array.from({ length: 12 }, (_, i) => `burst-${i}`);
    await Promise.all(
      names.map((name) =>
        createResource(kc, backupRepositoryKind, namespace, name, {
          serviceRef: { name: 'burst' },
          builtInPlan: '_daily_backups',
          storage: { filesystem: { path: `${burstEnv.archiveDir}/${name}` } },
        }),
      ),
    );
    for (const name of names) {
      await waitForResource(kc, backupRepositoryKind, namespace, name, (o) => hasCondition(o, 'Ready'));
    }
    const seconds = (Date.now() - started) / 1000;
    const polls = burstEnv.emulator.requestLog
      .entries({ since, method: 'GET', pathPrefix: '/api/v1/cluster/self' })
      .filter((e) => e.path.split('?')[0] === '/api/v1/cluster/self');
    const creates = burstEnv.emulator.requestLog.entries({
      since,
      method: 'POST',
      pathPrefix: '/api/v1/cluster/self/repository/active/burst-',
    });
    expect(creates.length).toBe(12);
    // Each create asks for a fresh poll; the floor lets one through per second.
    expect(polls.length).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    // Asked for when the floor lets it through: no reconcile per create that the gate turns away
    // (the first test's service, polled every second, reconciles meanwhile too).
    const serviceReconciles = (await reconciles(operator, 'backupservice')) - serviceReconcilesBefore;
    expect(serviceReconciles).toBeLessThanOrEqual(polls.length + Math.ceil(seconds) + 3);
    // At most one read per repository: the absence confirmed before the create when the last poll
    // predates the object (one a burst's earlier create asked for may have seen it absent already).
    // A repository created a moment ago has no task history and no backups to read, and the poll
    // each create asks for shows it: no read of its own after the create.
    const createdAt = new Map(creates.map((e) => [e.path.split('?')[0]?.split('/').pop(), e.seq]));
    const reads = burstEnv.emulator.requestLog
      .entries({ since, method: 'GET', pathPrefix: '/api/v1/cluster/self/repository/active/burst-' })
      .map((e) => ({ name: e.path.split('?')[0]?.split('/').pop() ?? '', seq: e.seq }));
    expect(new Set(reads.map((r) => r.name)).size).toBe(reads.length);
    for (const read of reads) {
      expect(names).toContain(read.name);
      expect(read.seq).toBeLessThan(createdAt.get(read.name) ?? 0);
    }
    // A repository created without that read had a poll before its create that started more than
    // the creation timestamp's precision after the object was created (it arrived later still).
    for (const name of names.filter((n) => !reads.some((r) => r.name === n))) {
      const obj = await getResource<BackupRepositoryResource>(kc, backupRepositoryKind, namespace, name);
      const created = Date.parse(String(obj.metadata?.creationTimestamp));
      const sawIt = polls.some(
        (p) => p.seq < (createdAt.get(name) ?? 0) && Date.parse(p.time) > created + 1_000,
      );
      expect(sawIt, `${name} was created without a read and without a poll newer than it`).toBe(true);
    }
    // Ready came from the poll's record of the server, not from what the operator sent.
    const ready = await getResource<BackupRepositoryResource>(kc, backupRepositoryKind, namespace, 'burst-0');
    expect(ready.status?.repositoryId).toBe('burst-0');
    expect(ready.status?.repo).toMatch(/^[0-9a-f-]{36}$/);
  });
});
