import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  registerBackupServiceRequestMetrics,
  registerDomainMetrics,
  registerEventMetrics,
} from './domain-metrics.ts';
import type {
  BackupRepositoryResource,
  BackupRestoreResource,
  BackupRunResource,
  BackupServiceResource,
} from './resources.ts';
import { createStore } from './runtime/store.ts';

describe('domain metrics', () => {
  it('are computed from the caches at scrape time', async () => {
    const repositories = createStore<BackupRepositoryResource>();
    const runs = createStore<BackupRunResource>();
    const restores = createStore<BackupRestoreResource>();
    const services = createStore<BackupServiceResource>();
    const registry = new Registry();
    registerDomainMetrics(registry, { repositories, services, runs, restores });

    repositories.upsert({
      metadata: { name: 'daily', namespace: 'prod' },
      spec: { serviceRef: { name: 'cb' } },
      status: {
        planName: 'nightly',
        conditions: [{ type: 'Ready', status: 'True' }],
        lastSuccessfulBackupTime: '2026-11-27T10:00:00Z',
      },
    } as unknown as BackupRepositoryResource);
    repositories.upsert({
      metadata: { name: 'broken', namespace: 'prod' },
      spec: { serviceRef: { name: 'cb' } },
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    } as unknown as BackupRepositoryResource);
    runs.upsert({
      metadata: { name: 'a', namespace: 'prod' },
      status: { phase: 'Succeeded' },
    } as unknown as BackupRunResource);
    runs.upsert({ metadata: { name: 'b', namespace: 'prod' } } as unknown as BackupRunResource);

    const text = await registry.metrics();
    const daily = 'namespace="prod",repository="daily",plan="nightly",service="cb"';
    const broken = 'namespace="prod",repository="broken",plan="",service="cb"';
    expect(text).toContain(`cbbs_repository_ready{${daily}} 1`);
    expect(text).toContain(`cbbs_repository_ready{${broken}} 0`);
    expect(text).toContain(
      `cbbs_repository_last_successful_backup_timestamp_seconds{${daily}} ${Date.parse('2026-11-27T10:00:00Z') / 1000}`,
    );
    expect(text).not.toContain(`last_successful_backup_timestamp_seconds{${broken}}`);
    expect(text).toContain('cbbs_one_shot_phase{kind="BackupRun",phase="Succeeded"} 1');
    expect(text).toContain('cbbs_one_shot_phase{kind="BackupRun",phase="Pending"} 1');

    repositories.delete('prod/broken');
    expect(await registry.metrics()).not.toContain('repository="broken"');
  });
});

describe('Backup Service request metrics', () => {
  it('count attempts by service, endpoint and outcome', async () => {
    const registry = new Registry();
    const observe = registerBackupServiceRequestMetrics(registry);
    observe('prod/cb', { endpoint: 'GET /cluster/self', outcome: 'OK', durationMs: 12 });
    observe('prod/cb', { endpoint: 'GET /cluster/self', outcome: 'OK', durationMs: 8 });
    observe('prod/cb', {
      endpoint: 'POST /cluster/self/repository/active/{id}/backup',
      outcome: 'BSVC_INTERNAL',
      durationMs: 30,
    });
    const text = await registry.metrics();
    expect(text).toContain(
      'cbbs_backup_service_requests_total{service="prod/cb",endpoint="GET /cluster/self",outcome="OK"} 2',
    );
    expect(text).toContain('outcome="BSVC_INTERNAL"} 1');
    expect(text).toContain(
      'cbbs_backup_service_request_duration_seconds_count{service="prod/cb",endpoint="GET /cluster/self"} 2',
    );
  });

  it('show the Events waiting to be written and those a full queue dropped', async () => {
    const registry = new Registry();
    const stats = { queued: 3, dropped: 0 };
    registerEventMetrics(registry, () => stats);
    stats.dropped = 7;
    const text = await registry.metrics();
    expect(text).toContain('cbbs_events_queued 3');
    expect(text).toContain('cbbs_events_dropped_total 7');
  });
});
