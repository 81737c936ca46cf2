import { CustomObjectsApi, EventsV1Api, type KubeConfig, Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Operator } from '../../src/controllers/operator.ts';
import {
  backupPlanKind,
  backupRepositoryKind,
  backupRestoreKind,
  backupRunKind,
  backupServiceKind,
  type KindMeta,
} from '../../src/crds/index.ts';
import { startTestEmulator, type TestEmulator } from '../harness/emulator.ts';
import { createTestNamespace, kubeConfigFrom } from '../harness/kube.ts';
import {
  createCredentialsSecret,
  createResource,
  hasCondition,
  startTestOperator,
  waitForResource,
} from '../harness/operator.ts';

// Guarantee 1 of the design: with everything Ready, time passes and nothing is written anywhere,
// and the Backup Service sees only the expected polls: O(BackupServices), one plan listing each.

const IDLE_MS = 60_000;
const POLL = '2s';
const POLL_MS = 2_000;

describe('an idle operator', () => {
  let kc: KubeConfig;
  let namespace: string;
  let env: TestEmulator;
  let operator: Operator;

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    namespace = await createTestNamespace(kc, 'idle');
    env = await startTestEmulator();
    env.emulator.data.createBucket({ name: 'orders' });
    env.emulator.data.upsertDocument(
      { bucket: 'orders', scope: '_default', collection: '_default', key: 'o1' },
      { total: 1 },
    );
    operator = await startTestOperator({ kc, namespace });
  });

  afterAll(async () => {
    await operator?.stop();
    await env?.close();
  });

  const wait = (meta: KindMeta, name: string, ready: (o: { status?: { phase?: string } }) => boolean) =>
    waitForResource(kc, meta, namespace, name, ready as never, 60_000);

  it('writes nothing and polls only /cluster/self and its plans for a minute once all kinds are settled', async () => {
    await createCredentialsSecret(kc, namespace, 'cb-admin');
    await createResource(kc, backupServiceKind, namespace, 'cb', {
      endpoints: [env.emulator.url],
      clusterAddress: env.emulator.url,
      credentialsSecretRef: { name: 'cb-admin' },
      pollInterval: POLL,
    });
    await createResource(kc, backupPlanKind, namespace, 'nightly', {
      serviceRef: { name: 'cb' },
      tasks: [
        {
          name: 'full',
          type: 'BACKUP',
          fullBackup: true,
          schedule: { frequency: 1, period: 'DAYS', time: '01:00' },
        },
      ],
    });
    await createResource(kc, backupRepositoryKind, namespace, 'orders', {
      serviceRef: { name: 'cb' },
      planRef: { name: 'nightly' },
      storage: { filesystem: { path: env.archiveDir } },
      bucket: 'orders',
    });
    for (const [meta, name] of [
      [backupServiceKind, 'cb'],
      [backupPlanKind, 'nightly'],
      [backupRepositoryKind, 'orders'],
    ] as const) {
      await wait(meta, name, (o) => hasCondition(o as never, 'Ready'));
    }
    await createResource(kc, backupRunKind, namespace, 'first', {
      repository: { repositoryRef: { name: 'orders' } },
      type: 'BACKUP',
      backup: { full: true },
    });
    await wait(backupRunKind, 'first', (o) => o.status?.phase === 'Succeeded');
    await createResource(kc, backupRestoreKind, namespace, 'copy', {
      source: { repositoryRef: { name: 'orders' } },
      mappings: [{ from: 'orders', to: 'orders-copy' }],
      autoCreateBuckets: true,
    });
    await wait(backupRestoreKind, 'copy', (o) => o.status?.phase === 'Succeeded');
    // Let follow-up reconciles (status refreshes after the tasks) settle.
    await new Promise((r) => setTimeout(r, 3 * POLL_MS));

    const writes: string[] = [];
    const watches: AbortController[] = [];
    for (const meta of [
      backupServiceKind,
      backupPlanKind,
      backupRepositoryKind,
      backupRunKind,
      backupRestoreKind,
    ]) {
      const list = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
        group: meta.group,
        version: meta.version,
        namespace,
        plural: meta.plural,
      })) as { metadata: { resourceVersion: string } };
      watches.push(
        await new Watch(kc).watch(
          `/apis/${meta.group}/${meta.version}/namespaces/${namespace}/${meta.plural}`,
          { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true },
          (type, obj: { metadata: { name: string } }) => {
            if (type !== 'BOOKMARK') writes.push(`${type} ${meta.kind}/${obj.metadata.name}`);
          },
          () => {},
        ),
      );
    }
    const eventsBefore = (await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace })).items
      .length;
    const since = env.emulator.requestLog.lastSeq();

    await new Promise((r) => setTimeout(r, IDLE_MS));

    for (const w of watches) w.abort();
    const requests = env.emulator.requestLog.entries({ since });
    const eventsAfter = (await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace })).items.length;

    expect(writes, 'no object of ours was written while idle').toEqual([]);
    expect(eventsAfter - eventsBefore, 'no Event was recorded while idle').toBe(0);
    const kinds = new Set(requests.map((r) => `${r.method} ${r.path.split('?')[0]}`));
    // The design's minimum: per BackupService and poll one GET /cluster/self and one GET /plan.
    expect([...kinds].sort()).toEqual(['GET /api/v1/cluster/self', 'GET /api/v1/plan']);
    const polls = requests.filter((r) => r.path.startsWith('/api/v1/cluster/self')).length;
    const planLists = requests.filter((r) => r.path.split('?')[0] === '/api/v1/plan').length;
    expect(planLists).toBeLessThanOrEqual(polls);
    const expected = IDLE_MS / POLL_MS;
    // One poll per interval, whatever the number of repositories and one-shot objects.
    expect(polls).toBeGreaterThanOrEqual(expected / 2);
    expect(polls).toBeLessThanOrEqual(expected * 1.5);
  });
});
