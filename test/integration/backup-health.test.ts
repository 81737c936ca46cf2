import { mkdir } from 'node:fs/promises';
import {
  CustomObjectsApi,
  EventsV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Operator } from '../../src/controllers/operator.ts';
import { backupPlanKind, backupRepositoryKind, backupServiceKind } from '../../src/crds/index.ts';
import { startTestEmulator, type TestEmulator } from '../harness/emulator.ts';
import { createTestNamespace, kubeConfigFrom } from '../harness/kube.ts';
import {
  createCredentialsSecret,
  createResource,
  hasCondition,
  startTestOperator,
  waitForResource,
} from '../harness/operator.ts';

// #14.1 and #12.1/#12.6: failed backups are visible (BackupsSucceeding, a Warning Event once, the
// trigger echo's outcome, a gauge), and an RPO flips by time alone with one status write each way.

interface Cond {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}
interface RepoObject {
  metadata: { name: string; generation?: number; resourceVersion?: string };
  status?: {
    observedGeneration?: number;
    lastSuccessfulBackupTime?: string;
    runningTasks?: unknown[];
    triggers?: { backup?: { token: string; taskName?: string; outcome?: string; error?: string } };
    conditions?: Cond[];
  };
}

describe('backup health of a BackupRepository', () => {
  let kc: KubeConfig;
  let namespace: string;
  let env: TestEmulator;
  let scheduledEnv: TestEmulator;
  let operator: Operator;
  let registry: Registry;
  let custom: CustomObjectsApi;

  const start = async () => {
    registry = new Registry();
    operator = await startTestOperator({ kc, namespace, registry });
  };
  const condition = (o: RepoObject, type: string) => o.status?.conditions?.find((c) => c.type === type);
  const waitFor = (name: string, predicate: (o: RepoObject) => boolean, timeoutMs = 30_000) =>
    waitForResource<RepoObject>(kc, backupRepositoryKind, namespace, name, predicate, timeoutMs);
  const isCond = (o: RepoObject, type: string, status: string, reason?: string) => {
    const c = condition(o, type);
    return hasCondition(o, type, status as 'True') && (reason === undefined || c?.reason === reason);
  };
  const trigger = (name: string, token: string) =>
    custom.patchNamespacedCustomObject(
      {
        group: backupRepositoryKind.group,
        version: backupRepositoryKind.version,
        namespace,
        plural: backupRepositoryKind.plural,
        name,
        body: { spec: { triggers: { backup: token } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  const eventsOf = async (name: string, reason: string) =>
    (await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace })).items.filter(
      (e) => e.regarding?.name === name && e.reason === reason,
    );
  /** The value of one series of the scrape, undefined when absent. */
  const metric = async (metricName: string, repository: string): Promise<number | undefined> => {
    const text = await registry.metrics();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${metricName}{`) && l.includes(`repository="${repository}"`));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };
  /** Records every write (MODIFIED watch event) of one repository from now on. */
  const recordWrites = async (name: string) => {
    const list = (await custom.listNamespacedCustomObject({
      group: backupRepositoryKind.group,
      version: backupRepositoryKind.version,
      plural: backupRepositoryKind.plural,
      namespace,
    })) as { metadata: { resourceVersion: string } };
    const writes: RepoObject[] = [];
    const watch = await new Watch(kc).watch(
      `/apis/${backupRepositoryKind.group}/${backupRepositoryKind.version}/namespaces/${namespace}/${backupRepositoryKind.plural}`,
      { resourceVersion: list.metadata.resourceVersion },
      (type, obj: RepoObject) => {
        if (type === 'MODIFIED' && obj.metadata.name === name) writes.push(obj);
      },
      () => {},
    );
    return { writes: () => writes, stop: () => watch.abort() };
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    custom = kc.makeApiClient(CustomObjectsApi);
    namespace = await createTestNamespace(kc, 'backup-health');
    env = await startTestEmulator();
    scheduledEnv = await startTestEmulator({ clock: { mode: 'manual', start: Date.now() } });
    for (const e of [env, scheduledEnv]) {
      await mkdir(e.archiveDir, { recursive: true });
      e.emulator.data.createBucket({ name: 'orders' });
      e.emulator.data.upsertDocument(
        { bucket: 'orders', scope: '_default', collection: '_default', key: 'o1' },
        { total: 1 },
      );
    }
    await start();
    await createCredentialsSecret(kc, namespace, 'cb-admin');
    for (const [name, e] of [
      ['cb', env],
      ['cb-manual', scheduledEnv],
    ] as const) {
      await createResource(kc, backupServiceKind, namespace, name, {
        endpoints: [e.emulator.url],
        credentialsSecretRef: { name: 'cb-admin' },
        pollInterval: '1s',
      });
      await waitForResource(kc, backupServiceKind, namespace, name, (o) => hasCondition(o, 'Ready'));
    }
  });

  afterAll(async () => {
    await operator?.stop();
    await env?.close();
    await scheduledEnv?.close();
  });

  it('shows a failed triggered backup: BackupsSucceeding=False, the echo outcome, one Warning (also after a restart), gauge 0', async () => {
    await createResource(kc, backupRepositoryKind, namespace, 'failing', {
      serviceRef: { name: 'cb' },
      builtInPlan: '_daily_backups',
      storage: { filesystem: { path: `${env.archiveDir}/failing` } },
    });
    const ready = await waitFor('failing', (o) => hasCondition(o, 'Ready'));
    expect(condition(ready, 'BackupsSucceeding')).toMatchObject({ status: 'Unknown', reason: 'NoBackupYet' });
    expect(await metric('cbbs_repository_backups_succeeding', 'failing')).toBeUndefined();

    env.emulator.faults.patch({ taskFailures: [{ repository: 'failing', error: 'disk on fire' }] });
    await trigger('failing', 'f1');
    const failed = await waitFor(
      'failing',
      (o) => isCond(o, 'BackupsSucceeding', 'False') && o.status?.triggers?.backup?.outcome !== undefined,
    );
    expect(condition(failed, 'BackupsSucceeding')).toMatchObject({ reason: 'NeverSucceeded' });
    expect(condition(failed, 'BackupsSucceeding')?.message).toContain('disk on fire');
    expect(failed.status?.triggers?.backup).toMatchObject({
      token: 'f1',
      outcome: 'Failed',
      error: 'disk on fire',
    });
    // Ready stays about reconciliation: the repository is what the spec says.
    expect(hasCondition(failed, 'Ready')).toBe(true);
    await expect.poll(() => metric('cbbs_repository_backups_succeeding', 'failing')).toBe(0);
    await expect.poll(async () => (await eventsOf('failing', 'BackupFailed')).length).toBe(1);
    const [warning] = await eventsOf('failing', 'BackupFailed');
    expect(warning).toMatchObject({ type: 'Warning', action: 'ObserveTask' });
    expect(warning?.note).toContain('disk on fire');
    expect(warning?.note).toContain(failed.status?.triggers?.backup?.taskName);

    // A restart reads the same history again: the Event is not recorded twice, nothing is rewritten.
    await sleep(1_500);
    const settled = await waitFor('failing', (o) => hasCondition(o, 'Ready'));
    await operator.stop();
    await start();
    await sleep(4_000);
    expect(await eventsOf('failing', 'BackupFailed')).toHaveLength(1);
    const after = await waitFor('failing', (o) => hasCondition(o, 'Ready'));
    expect(after.metadata.resourceVersion).toBe(settled.metadata.resourceVersion);
    await expect.poll(() => metric('cbbs_repository_backups_succeeding', 'failing')).toBe(0);

    // The next backup succeeds: True again, a Normal Event, gauge 1.
    await trigger('failing', 'f2');
    const good = await waitFor('failing', (o) =>
      isCond(o, 'BackupsSucceeding', 'True', 'LastBackupSucceeded'),
    );
    expect(good.status?.triggers?.backup).toMatchObject({ token: 'f2', outcome: 'Succeeded' });
    expect(good.status?.triggers?.backup?.error).toBeUndefined();
    await expect.poll(() => metric('cbbs_repository_backups_succeeding', 'failing')).toBe(1);
    await expect.poll(async () => (await eventsOf('failing', 'BackupSucceeded')).length).toBe(1);
    expect(await eventsOf('failing', 'BackupFailed')).toHaveLength(1);
  });

  it('shows a failed scheduled backup (the emulator fails the plan task when its time comes)', async () => {
    await createResource(kc, backupPlanKind, namespace, 'hourly', {
      serviceRef: { name: 'cb-manual' },
      tasks: [{ name: 'hourly_backup', type: 'BACKUP', schedule: { frequency: 1, period: 'HOURS' } }],
    });
    await createResource(kc, backupRepositoryKind, namespace, 'scheduled', {
      serviceRef: { name: 'cb-manual' },
      planRef: { name: 'hourly' },
      storage: { filesystem: { path: `${scheduledEnv.archiveDir}/scheduled` } },
    });
    await waitFor('scheduled', (o) => hasCondition(o, 'Ready'));
    scheduledEnv.emulator.faults.patch({
      taskFailures: [{ repository: 'scheduled', error: 'archive unreachable' }],
    });
    await scheduledEnv.emulator.clock.advance(61 * 60_000);
    const failed = await waitFor('scheduled', (o) =>
      isCond(o, 'BackupsSucceeding', 'False', 'NeverSucceeded'),
    );
    expect(condition(failed, 'BackupsSucceeding')?.message).toContain('archive unreachable');
    expect(hasCondition(failed, 'Ready')).toBe(true);
    await expect.poll(async () => (await eventsOf('scheduled', 'BackupFailed')).length).toBe(1);
    await expect.poll(() => metric('cbbs_repository_backups_succeeding', 'scheduled')).toBe(0);
    // The next scheduled run succeeds.
    await scheduledEnv.emulator.clock.advance(60 * 60_000);
    await waitFor('scheduled', (o) => isCond(o, 'BackupsSucceeding', 'True', 'LastBackupSucceeded'));
    await expect.poll(() => metric('cbbs_repository_backups_succeeding', 'scheduled')).toBe(1);
    expect(await eventsOf('scheduled', 'BackupFailed')).toHaveLength(1);
  });

  it('flips RPOMet by time alone and back after a backup, with one status write each way', async () => {
    await createResource(kc, backupRepositoryKind, namespace, 'rpo', {
      serviceRef: { name: 'cb' },
      builtInPlan: '_daily_backups',
      storage: { filesystem: { path: `${env.archiveDir}/rpo` } },
      // Long enough for the first backup to be mirrored well within it on a busy machine.
      rpo: '12s',
      triggers: { backup: 'r1' },
    });
    const met = await waitFor(
      'rpo',
      (o) =>
        isCond(o, 'RPOMet', 'True', 'WithinObjective') &&
        o.status?.triggers?.backup?.outcome === 'Succeeded' &&
        // Task history is read after the poll that still listed the task running: the next poll
        // clears it with a write of its own, which must not fall into the quiet window below.
        o.status?.runningTasks === undefined,
    );
    const lastSuccess = Date.parse(met.status?.lastSuccessfulBackupTime ?? '');
    expect(Date.now()).toBeLessThan(lastSuccess + 12_000);
    expect(await metric('cbbs_repository_rpo_objective_seconds', 'rpo')).toBe(12);
    expect(await metric('cbbs_repository_rpo_met', 'rpo')).toBe(1);
    expect(await metric('cbbs_repository_rpo_age_seconds', 'rpo')).toBeLessThan(12);

    // Nothing happens but time: the one write is the flip, at the deadline.
    const quiet = await recordWrites('rpo');
    const missed = await waitFor('rpo', (o) => isCond(o, 'RPOMet', 'False', 'NoSuccessSince'), 30_000);
    expect(Date.now()).toBeGreaterThanOrEqual(lastSuccess + 12_000);
    await sleep(2_000);
    quiet.stop();
    expect(quiet.writes()).toHaveLength(1);
    expect(condition(quiet.writes()[0] as RepoObject, 'RPOMet')?.status).toBe('False');
    expect(condition(missed, 'RPOMet')?.lastTransitionTime).not.toBe(
      condition(met, 'RPOMet')?.lastTransitionTime,
    );
    expect(hasCondition(missed, 'Ready')).toBe(true);
    expect(await metric('cbbs_repository_rpo_met', 'rpo')).toBe(0);
    expect(await metric('cbbs_repository_rpo_age_seconds', 'rpo')).toBeGreaterThanOrEqual(12);
    await expect.poll(async () => (await eventsOf('rpo', 'RPOMissed')).length).toBe(1);

    // A backup succeeds: RPOMet flips back in exactly one of the writes the backup causes.
    const back = await recordWrites('rpo');
    await trigger('rpo', 'r2');
    await waitFor('rpo', (o) => isCond(o, 'RPOMet', 'True', 'WithinObjective'));
    await sleep(1_000);
    back.stop();
    const statuses = back.writes().map((w) => condition(w, 'RPOMet')?.status);
    const flips = statuses.filter((s, i) => s !== (i === 0 ? 'False' : statuses[i - 1]));
    expect(flips).toEqual(['True']);
    await expect.poll(async () => (await eventsOf('rpo', 'RPORestored')).length).toBe(1);
    expect(await metric('cbbs_repository_rpo_met', 'rpo')).toBe(1);
  });

  it('starts the RPO clock at creation: NeverSucceeded once it passes without a backup', async () => {
    await createResource(kc, backupRepositoryKind, namespace, 'never', {
      serviceRef: { name: 'cb' },
      builtInPlan: '_daily_backups',
      storage: { filesystem: { path: `${env.archiveDir}/never` } },
      rpo: '3s',
    });
    await waitFor('never', (o) => isCond(o, 'RPOMet', 'False', 'NeverSucceeded'), 20_000);
    expect(await metric('cbbs_repository_rpo_met', 'never')).toBe(0);
    expect(await metric('cbbs_repository_rpo_age_seconds', 'never')).toBeGreaterThanOrEqual(3);
  });
});
