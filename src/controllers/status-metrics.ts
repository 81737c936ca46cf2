import type { Registry } from 'prom-client';
import { type ComputedSeries, registerComputedMetric } from './computed-metric.ts';
import type { BackupRepositoryResource, BackupServiceResource } from './resources.ts';
import type { ReadonlyDeep, ReadonlyStore } from './runtime/index.ts';

// The figures people graph, read from the status the operator wrote, at scrape time: no request
// to a Backup Service, and a value can never disagree with `kubectl get`. Labels are bounded: the
// object's namespace and name, its plan and service, and small enums (task type, result); never a
// task or backup name.

type Repo = ReadonlyDeep<BackupRepositoryResource>;
type Service = ReadonlyDeep<BackupServiceResource>;

/** The labels of every repository series. */
export const REPOSITORY_LABELS = ['namespace', 'repository', 'plan', 'service'] as const;

type RepositoryLabels = Record<(typeof REPOSITORY_LABELS)[number], string>;

/** The label values of a repository (pure). */
export function repositoryLabels(r: Repo): RepositoryLabels {
  return {
    namespace: r.metadata.namespace ?? '',
    repository: r.metadata.name,
    plan: r.status?.planName ?? '',
    service: r.spec.serviceRef.name,
  };
}

/** 1 for a True condition, 0 for False, undefined (no series) while Unknown or absent. */
export const conditionIs = (
  conditions: ReadonlyDeep<{ type: string; status: string }[]> | undefined,
  type: string,
): 1 | 0 | undefined => {
  const c = conditions?.find((x) => x.type === type);
  return c?.status === 'True' ? 1 : c?.status === 'False' ? 0 : undefined;
};

const seconds = (time: string | undefined): number | undefined => {
  const ms = time === undefined ? Number.NaN : Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms / 1000;
};

/** One repository gauge: `value` per repository, no series where it is undefined. */
export function repositoryGauge(
  registry: Registry,
  repositories: ReadonlyStore<BackupRepositoryResource>,
  name: string,
  help: string,
  value: (r: Repo) => number | undefined,
): void {
  registerComputedMetric(registry, {
    name,
    help,
    type: 'gauge',
    *series(): Iterable<ComputedSeries> {
      for (const r of repositories.list()) {
        const v = value(r);
        if (v !== undefined) yield { labels: repositoryLabels(r), value: v };
      }
    },
  });
}

/** One repository gauge split by task type: `values` gives the value per type. */
function repositoryByTypeGauge(
  registry: Registry,
  repositories: ReadonlyStore<BackupRepositoryResource>,
  name: string,
  help: string,
  values: (r: Repo) => ReadonlyMap<string, number>,
): void {
  registerComputedMetric(registry, {
    name,
    help,
    type: 'gauge',
    *series(): Iterable<ComputedSeries> {
      for (const r of repositories.list()) {
        for (const [type, v] of values(r)) yield { labels: { ...repositoryLabels(r), type }, value: v };
      }
    },
  });
}

/** Earliest next run per task type (pure). */
export function nextRunsByType(r: Repo): Map<string, number> {
  const out = new Map<string, number>();
  for (const run of r.status?.nextRuns ?? []) {
    const at = seconds(run.time);
    if (at !== undefined && at < (out.get(run.type) ?? Number.POSITIVE_INFINITY)) out.set(run.type, at);
  }
  return out;
}

/** Running tasks per task type (pure); the types with none are 0, so a graph shows the drop. */
export function runningByType(r: Repo): Map<string, number> {
  const out = new Map<string, number>([
    ['BACKUP', 0],
    ['MERGE', 0],
  ]);
  for (const t of r.status?.runningTasks ?? []) out.set(t.type, (out.get(t.type) ?? 0) + 1);
  return out;
}

/** Registers the repository figures, computed from the repository cache at scrape time. */
export function registerRepositoryMetrics(
  registry: Registry,
  repositories: ReadonlyStore<BackupRepositoryResource>,
): void {
  const gauge = (name: string, help: string, value: (r: Repo) => number | undefined) =>
    repositoryGauge(registry, repositories, name, help, value);
  gauge(
    'cbbs_repository_ready',
    'Whether the BackupRepository is Ready (1) or not (0): reconciled and in sync, not whether backups succeed.',
    (r) => conditionIs(r.status?.conditions, 'Ready') ?? 0,
  );
  gauge(
    'cbbs_repository_healthy',
    'Whether the Backup Service reports the repository healthy (1) or not (0); no series before it was observed.',
    (r) => (r.status?.health === undefined ? undefined : r.status.health.healthy ? 1 : 0),
  );
  gauge(
    'cbbs_repository_last_successful_backup_timestamp_seconds',
    'Unix time of the last successful backup of the BackupRepository, as the Backup Service reports it.',
    (r) => seconds(r.status?.lastSuccessfulBackupTime),
  );
  gauge(
    'cbbs_repository_last_backup_duration_seconds',
    'How long the last successful backup task ran.',
    (r) => r.status?.lastSuccessfulBackup?.durationSeconds,
  );
  gauge(
    'cbbs_repository_last_backup_size_bytes',
    'Size of the backup the last successful backup task produced.',
    (r) => r.status?.lastSuccessfulBackup?.size,
  );
  gauge('cbbs_repository_backups', 'Backups held in the repository.', (r) => r.status?.backups?.count);
  gauge(
    'cbbs_repository_size_bytes',
    'Total size of all backups in the repository.',
    (r) => r.status?.backups?.totalSize,
  );
  repositoryByTypeGauge(
    registry,
    repositories,
    'cbbs_repository_next_run_timestamp_seconds',
    'Unix time of the next scheduled run, the earliest per task type (absent while paused, archived or imported).',
    nextRunsByType,
  );
  repositoryByTypeGauge(
    registry,
    repositories,
    'cbbs_repository_running_tasks',
    'Tasks running now on the repository, by task type.',
    runningByType,
  );
  registerComputedMetric(registry, {
    name: 'cbbs_repository_tasks_total',
    help: "Finished tasks by type (BACKUP, MERGE, PRUNE, RESTORE) and result (succeeded, failed, skipped), counted from the server's task history and persisted in status.taskOutcomes: restarts and leader changes never count a task twice.",
    type: 'counter',
    *series(): Iterable<ComputedSeries> {
      for (const r of repositories.list()) {
        for (const o of r.status?.taskOutcomes ?? []) {
          yield { labels: { ...repositoryLabels(r), type: o.type, result: o.result }, value: o.count };
        }
      }
    },
  });
}

/** One BackupService gauge: `values` gives its series per service (label values beyond namespace and service). */
function serviceGauge(
  registry: Registry,
  services: ReadonlyStore<BackupServiceResource>,
  name: string,
  help: string,
  values: (s: Service) => Iterable<[Record<string, string>, number]>,
): void {
  registerComputedMetric(registry, {
    name,
    help,
    type: 'gauge',
    *series(): Iterable<ComputedSeries> {
      for (const s of services.list() as Service[]) {
        const base = { namespace: s.metadata.namespace ?? '', service: s.metadata.name };
        for (const [labels, value] of values(s)) yield { labels: { ...base, ...labels }, value };
      }
    },
  });
}

/** 1 True, 0 False, no series while Unknown, of one condition of a BackupService. */
const conditionSeries =
  (condition: string) =>
  (s: Service): [Record<string, string>, number][] => {
    const v = conditionIs(s.status?.conditions, condition);
    return v === undefined ? [] : [[{}, v]];
  };

/** Registers the BackupService figures, computed from the service cache at scrape time. */
export function registerServiceMetrics(
  registry: Registry,
  services: ReadonlyStore<BackupServiceResource>,
): void {
  serviceGauge(
    registry,
    services,
    'cbbs_backup_service_reachable',
    'Whether the last poll of the Backup Service was answered (1) or not (0).',
    conditionSeries('ServiceReachable'),
  );
  serviceGauge(
    registry,
    services,
    'cbbs_backup_service_credentials_valid',
    'Whether the Backup Service accepts the credentials (1) or not (0).',
    conditionSeries('CredentialsValid'),
  );
  serviceGauge(
    registry,
    services,
    'cbbs_backup_service_repositories',
    'Repositories on the Backup Service by state (active, paused, archived, imported), managed or not.',
    (s) => Object.entries(s.status?.repositories ?? {}).map(([state, n]) => [{ state }, n]),
  );
  serviceGauge(
    registry,
    services,
    'cbbs_backup_service_info',
    'Always 1, per BackupService, with the Couchbase Server version and the API profile it implies (empty until read).',
    (s) => [[{ version: s.status?.version ?? '', profile: s.status?.profile ?? '' }, 1]],
  );
}
