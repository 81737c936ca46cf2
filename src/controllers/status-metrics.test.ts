import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { BackupRepositoryResource, BackupServiceResource } from './resources.ts';
import { createStore } from './runtime/store.ts';
import { registerRepositoryMetrics, registerServiceMetrics } from './status-metrics.ts';

const repo = (name: string, status: object) =>
  ({
    metadata: { name, namespace: 'prod' },
    spec: { serviceRef: { name: 'cb' } },
    status: { planName: 'nightly', ...status },
  }) as unknown as BackupRepositoryResource;

describe('status metrics', () => {
  it('expose the figures of a repository with bounded labels', async () => {
    const repositories = createStore<BackupRepositoryResource>();
    const registry = new Registry();
    registerRepositoryMetrics(registry, repositories);
    repositories.upsert(
      repo('daily', {
        health: { healthy: false, issue: 'disk' },
        backups: { count: 3, totalSize: 4096 },
        lastSuccessfulBackup: { taskName: 'BACKUP-1b2c', durationSeconds: 42, size: 1024 },
        nextRuns: [
          { taskName: 'hourly', type: 'BACKUP', time: '2026-12-01T11:00:00Z' },
          { taskName: 'daily', type: 'BACKUP', time: '2026-12-02T00:00:00Z' },
          { taskName: 'merge', type: 'MERGE', time: '2026-12-03T00:00:00Z' },
        ],
        runningTasks: [{ taskName: 'hourly', type: 'BACKUP', status: 'running', oneOff: false }],
        taskOutcomes: [
          { type: 'BACKUP', result: 'failed', count: 2 },
          { type: 'BACKUP', result: 'succeeded', count: 7 },
        ],
      }),
    );
    const text = await registry.metrics();
    const l = 'namespace="prod",repository="daily",plan="nightly",service="cb"';
    expect(text).toContain(`cbbs_repository_healthy{${l}} 0`);
    expect(text).toContain(`cbbs_repository_backups{${l}} 3`);
    expect(text).toContain(`cbbs_repository_size_bytes{${l}} 4096`);
    expect(text).toContain(`cbbs_repository_last_backup_duration_seconds{${l}} 42`);
    expect(text).toContain(`cbbs_repository_last_backup_size_bytes{${l}} 1024`);
    expect(text).toContain(
      `cbbs_repository_next_run_timestamp_seconds{${l},type="BACKUP"} ${Date.parse('2026-12-01T11:00:00Z') / 1000}`,
    );
    expect(text).toContain(
      `cbbs_repository_next_run_timestamp_seconds{${l},type="MERGE"} ${Date.parse('2026-12-03T00:00:00Z') / 1000}`,
    );
    expect(text).toContain(`cbbs_repository_running_tasks{${l},type="BACKUP"} 1`);
    expect(text).toContain(`cbbs_repository_running_tasks{${l},type="MERGE"} 0`);
    expect(text).toContain('# TYPE cbbs_repository_tasks_total counter');
    expect(text).toContain(`cbbs_repository_tasks_total{${l},type="BACKUP",result="succeeded"} 7`);
    expect(text).toContain(`cbbs_repository_tasks_total{${l},type="BACKUP",result="failed"} 2`);
    // Task and backup names never become labels.
    expect(text).not.toContain('BACKUP-1b2c');
    expect(text).not.toContain('hourly');
  });

  it('leave out what is not known yet', async () => {
    const repositories = createStore<BackupRepositoryResource>();
    const registry = new Registry();
    registerRepositoryMetrics(registry, repositories);
    repositories.upsert(repo('fresh', {}));
    const text = await registry.metrics();
    expect(text).toContain('cbbs_repository_ready{namespace="prod",repository="fresh"');
    for (const name of [
      'cbbs_repository_healthy',
      'cbbs_repository_backups',
      'cbbs_repository_last_backup_size_bytes',
      'cbbs_repository_tasks_total',
    ]) {
      expect(text).not.toContain(`${name}{`);
    }
  });

  it('expose reachability, credentials and version of each BackupService', async () => {
    const services = createStore<BackupServiceResource>();
    const registry = new Registry();
    registerServiceMetrics(registry, services);
    services.upsert({
      metadata: { name: 'cb', namespace: 'prod' },
      status: {
        version: '7.6.2-3721-enterprise',
        profile: '7.6',
        repositories: { active: 3, paused: 1, archived: 0, imported: 2 },
        conditions: [
          { type: 'ServiceReachable', status: 'True' },
          { type: 'CredentialsValid', status: 'False' },
        ],
      },
    } as unknown as BackupServiceResource);
    services.upsert({
      metadata: { name: 'new', namespace: 'prod' },
      status: { conditions: [{ type: 'CredentialsValid', status: 'Unknown' }] },
    } as unknown as BackupServiceResource);
    const text = await registry.metrics();
    expect(text).toContain('cbbs_backup_service_reachable{namespace="prod",service="cb"} 1');
    expect(text).toContain('cbbs_backup_service_credentials_valid{namespace="prod",service="cb"} 0');
    expect(text).not.toContain('cbbs_backup_service_credentials_valid{namespace="prod",service="new"}');
    expect(text).toContain(
      'cbbs_backup_service_repositories{namespace="prod",service="cb",state="paused"} 1',
    );
    expect(text).toContain(
      'cbbs_backup_service_repositories{namespace="prod",service="cb",state="imported"} 2',
    );
    expect(text).toContain(
      'cbbs_backup_service_info{namespace="prod",service="cb",version="7.6.2-3721-enterprise",profile="7.6"} 1',
    );
  });
});
