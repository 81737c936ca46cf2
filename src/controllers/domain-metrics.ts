import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AttemptInfo } from '../backup-api/index.ts';
import { registerComputedMetric } from './computed-metric.ts';
import { registerRepositoryHealthMetrics } from './repository-health-metrics.ts';
import type {
  BackupRepositoryResource,
  BackupRestoreResource,
  BackupRunResource,
  BackupServiceResource,
} from './resources.ts';
import type { EventSinkStats } from './runtime/event-sink.ts';
import type { ReadonlyDeep, ReadonlyStore } from './runtime/index.ts';
import { registerRepositoryMetrics, registerServiceMetrics } from './status-metrics.ts';

/** The caches the domain metrics are read from at scrape time. */
export interface DomainMetricSources {
  repositories: ReadonlyStore<BackupRepositoryResource>;
  services: ReadonlyStore<BackupServiceResource>;
  runs: ReadonlyStore<BackupRunResource>;
  restores: ReadonlyStore<BackupRestoreResource>;
}

/**
 * Registers gauges computed from the caches when Prometheus scrapes, so they can never disagree with
 * the status the operator wrote, and cost nothing between scrapes. The names are those the Helm
 * chart's PrometheusRule alerts on.
 */
export function registerDomainMetrics(registry: Registry, sources: DomainMetricSources): void {
  registerRepositoryHealthMetrics(registry, sources.repositories);
  registerRepositoryMetrics(registry, sources.repositories);
  registerServiceMetrics(registry, sources.services);
  new Gauge({
    name: 'cbbs_one_shot_phase',
    help: 'One-shot resources (BackupRun, BackupRestore) by kind and phase.',
    labelNames: ['kind', 'phase'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, store] of [
        ['BackupRun', sources.runs],
        ['BackupRestore', sources.restores],
      ] as const) {
        const counts = new Map<string, number>();
        for (const o of store.list() as ReadonlyDeep<{ status?: { phase?: string } }>[]) {
          const phase = o.status?.phase ?? 'Pending';
          counts.set(phase, (counts.get(phase) ?? 0) + 1);
        }
        for (const [phase, n] of counts) this.set({ kind, phase }, n);
      }
    },
  });
}

/** Counts and times every HTTP attempt to a Backup Service; returns the observer to hand the clients. */
export function registerBackupServiceRequestMetrics(
  registry: Registry,
): (serviceKey: string, a: AttemptInfo) => void {
  const requests = new Counter({
    name: 'cbbs_backup_service_requests_total',
    help: 'HTTP attempts to a Backup Service by BackupService (namespace/name), endpoint template and outcome (OK or error code).',
    labelNames: ['service', 'endpoint', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'cbbs_backup_service_request_duration_seconds',
    help: 'Duration of HTTP attempts to a Backup Service.',
    labelNames: ['service', 'endpoint'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return (service, a) => {
    requests.inc({ service, endpoint: a.endpoint, outcome: a.outcome });
    duration.observe({ service, endpoint: a.endpoint }, a.durationMs / 1000);
  };
}

/** The queue of Events waiting to be written and what a full queue dropped, read at scrape time. */
export function registerEventMetrics(registry: Registry, stats: () => EventSinkStats): void {
  registerComputedMetric(registry, {
    name: 'cbbs_events_queued',
    help: 'Kubernetes Events recorded and waiting to be written (one writer, oldest first).',
    type: 'gauge',
    series: () => [{ labels: {}, value: stats().queued }],
  });
  registerComputedMetric(registry, {
    name: 'cbbs_events_dropped_total',
    help: 'Kubernetes Events dropped because the queue of Events to write was full.',
    type: 'counter',
    series: () => [{ labels: {}, value: stats().dropped }],
  });
}
