import { mkdir } from 'node:fs/promises';
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBackupPlanReconciler } from '../../src/controllers/backup-plan/reconciler.ts';
import { createBackupRepositoryReconciler } from '../../src/controllers/backup-repository/reconciler.ts';
import { createBackupServiceReconciler } from '../../src/controllers/backup-service/reconciler.ts';
import type { Operator } from '../../src/controllers/operator.ts';
import { backupRepositoryKind, backupServiceKind } from '../../src/crds/index.ts';
import { type RunningServer, startMetricsServer } from '../../src/operator/probe-server.ts';
import { startTestEmulator, type TestEmulator } from '../harness/emulator.ts';
import { createTestNamespace, kubeConfigFrom } from '../harness/kube.ts';
import {
  createCredentialsSecret,
  createResource,
  hasCondition,
  startTestOperator,
  waitForResource,
} from '../harness/operator.ts';

interface RepoObject {
  metadata: { generation?: number };
  status?: {
    observedGeneration?: number;
    triggers?: { backup?: { token: string; taskName?: string } };
    recentTasks?: { taskName: string; status: string }[];
    lastFailure?: { taskName: string; error?: string };
    conditions?: { type: string; status: string }[];
  };
}

/** One sample of the Prometheus text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] ?? ''] = l[2] ?? '';
    samples.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return samples;
}

describe('metrics', () => {
  let kc: KubeConfig;
  let namespace: string;
  let env: TestEmulator;
  let operator: Operator;
  let server: RunningServer;
  let custom: CustomObjectsApi;

  const start = async () => {
    operator = await startTestOperator({
      kc,
      namespace,
      reconcilers: {
        services: createBackupServiceReconciler,
        plans: createBackupPlanReconciler,
        repositories: createBackupRepositoryReconciler,
      },
    });
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, registry: operator.deps.registry });
  };
  const stop = async () => {
    await server?.close();
    await operator?.stop();
  };
  const scrape = async (): Promise<Sample[]> => {
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    return parseSamples(await res.text());
  };
  const value = (samples: Sample[], name: string, labels: Record<string, string>) => {
    const found = samples.filter(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
    expect(found.length, `${name} ${JSON.stringify(labels)}`).toBeLessThanOrEqual(1);
    return found[0]?.value;
  };
  const repo = () => ({ namespace, repository: 'nightly', plan: '_hourly_backups', service: 'cb' });
  const tasks = (samples: Sample[], result: string) =>
    value(samples, 'cbbs_repository_tasks_total', { ...repo(), type: 'BACKUP', result });
  const trigger = (token: string) =>
    custom.patchNamespacedCustomObject(
      {
        group: backupRepositoryKind.group,
        version: backupRepositoryKind.version,
        namespace,
        plural: backupRepositoryKind.plural,
        name: 'nightly',
        body: { spec: { triggers: { backup: token } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  /** Waits until the token's task is in the recent tasks with a final status. */
  const waitFinished = (token: string) =>
    waitForResource<RepoObject>(kc, backupRepositoryKind, namespace, 'nightly', (o) => {
      const name =
        o.status?.triggers?.backup?.token === token ? o.status.triggers.backup.taskName : undefined;
      return (o.status?.recentTasks ?? []).some(
        (t) => t.taskName === name && (t.status === 'done' || t.status === 'failed'),
      );
    });
  const scrapeUntil = async (predicate: (s: Sample[]) => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    let samples = await scrape();
    while (!predicate(samples) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      samples = await scrape();
    }
    return samples;
  };

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    custom = kc.makeApiClient(CustomObjectsApi);
    namespace = await createTestNamespace(kc, 'metrics');
    env = await startTestEmulator();
    await mkdir(env.archiveDir, { recursive: true });
    await start();
    await createCredentialsSecret(kc, namespace, 'cb-admin');
    await createResource(kc, backupServiceKind, namespace, 'cb', {
      endpoints: [env.emulator.url],
      credentialsSecretRef: { name: 'cb-admin' },
      pollInterval: '1s',
    });
    // The server version is read beside the first poll and shows from the next one.
    await waitForResource<{ status?: { version?: string; conditions?: { type: string; status: string }[] } }>(
      kc,
      backupServiceKind,
      namespace,
      'cb',
      (o) => hasCondition(o, 'Ready') && o.status?.version !== undefined,
    );
    await createResource(kc, backupRepositoryKind, namespace, 'nightly', {
      serviceRef: { name: 'cb' },
      builtInPlan: '_hourly_backups',
      storage: { filesystem: { path: env.archiveDir } },
    });
    await waitForResource<RepoObject>(kc, backupRepositoryKind, namespace, 'nightly', (o) =>
      hasCondition(o, 'Ready'),
    );
  });

  afterAll(async () => {
    await stop();
    await env?.close();
  });

  it('exposes a successful backup with its figures, labelled by namespace, repository, plan and service', async () => {
    await trigger('ok-1');
    await waitFinished('ok-1');
    // Task history is read after the observation that still listed the task running, so for one
    // poll status may show it both finished and running; the metrics follow status.
    const samples = await scrapeUntil(
      (s) =>
        tasks(s, 'succeeded') === 1 &&
        value(s, 'cbbs_repository_running_tasks', { ...repo(), type: 'BACKUP' }) === 0,
    );
    expect(tasks(samples, 'succeeded')).toBe(1);
    expect(tasks(samples, 'failed')).toBeUndefined();
    expect(value(samples, 'cbbs_repository_ready', repo())).toBe(1);
    expect(value(samples, 'cbbs_repository_healthy', repo())).toBe(1);
    expect(value(samples, 'cbbs_repository_backups', repo())).toBe(1);
    expect(value(samples, 'cbbs_repository_size_bytes', repo())).toBeGreaterThan(0);
    expect(value(samples, 'cbbs_repository_last_backup_size_bytes', repo())).toBeGreaterThan(0);
    expect(value(samples, 'cbbs_repository_last_backup_duration_seconds', repo())).toBeGreaterThanOrEqual(0);
    const last = value(samples, 'cbbs_repository_last_successful_backup_timestamp_seconds', repo()) ?? 0;
    expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(120);
    expect(
      value(samples, 'cbbs_repository_next_run_timestamp_seconds', { ...repo(), type: 'BACKUP' }),
    ).toBeGreaterThan(Date.now() / 1000 - 5);
    expect(value(samples, 'cbbs_repository_running_tasks', { ...repo(), type: 'BACKUP' })).toBe(0);
    expect(value(samples, 'cbbs_backup_service_reachable', { namespace, service: 'cb' })).toBe(1);
    expect(value(samples, 'cbbs_backup_service_credentials_valid', { namespace, service: 'cb' })).toBe(1);
    expect(
      value(samples, 'cbbs_backup_service_info', {
        namespace,
        service: 'cb',
        version: '7.6.2-3721-enterprise',
        profile: '7.6',
      }),
    ).toBe(1);
    // Bounded labels: no task or backup name anywhere.
    for (const s of samples.filter((x) => x.name.startsWith('cbbs_repository_'))) {
      expect(Object.keys(s.labels).sort()).toEqual(
        expect.arrayContaining(['namespace', 'plan', 'repository', 'service']),
      );
      expect(Object.values(s.labels).join(' ')).not.toMatch(/BACKUP-|\d{4}-\d\d-\d\dT/);
    }
  });

  it('counts a failed backup (emulator fault) under result="failed"', async () => {
    env.emulator.faults.patch({ taskFailures: [{ repository: 'nightly', error: 'disk full' }] });
    await trigger('fail-1');
    const failed = await waitFinished('fail-1');
    expect(failed.status?.lastFailure?.error).toContain('disk full');
    const samples = await scrapeUntil((s) => tasks(s, 'failed') === 1);
    expect(tasks(samples, 'failed')).toBe(1);
    expect(tasks(samples, 'succeeded')).toBe(1);
    expect(value(samples, 'cbbs_repository_backups', repo())).toBe(1);
  });

  it('keeps the counts across an operator restart without counting a task twice', async () => {
    await stop();
    await start();
    // The new process reads the same history again on its first reconcile of the repository.
    await waitForResource(kc, backupServiceKind, namespace, 'cb', (o) => hasCondition(o, 'Ready'));
    let samples = await scrapeUntil((s) => tasks(s, 'succeeded') !== undefined);
    await new Promise((r) => setTimeout(r, 2_000));
    samples = await scrape();
    expect(tasks(samples, 'succeeded')).toBe(1);
    expect(tasks(samples, 'failed')).toBe(1);
    // A new backup after the restart is counted exactly once.
    await trigger('ok-2');
    await waitFinished('ok-2');
    samples = await scrapeUntil((s) => tasks(s, 'succeeded') === 2);
    await new Promise((r) => setTimeout(r, 1_500));
    samples = await scrape();
    expect(tasks(samples, 'succeeded')).toBe(2);
    expect(tasks(samples, 'failed')).toBe(1);
  });
});
