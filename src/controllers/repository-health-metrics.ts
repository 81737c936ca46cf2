import type { Registry } from 'prom-client';
import { parseDurationMs } from '../crds/duration.ts';
import { CONDITION_TYPES } from '../crds/index.ts';
import { rpoApplies } from './backup-repository/backup-health.ts';
import type { BackupRepositoryResource } from './resources.ts';
import type { ReadonlyDeep, ReadonlyStore } from './runtime/index.ts';
import { conditionIs, repositoryGauge } from './status-metrics.ts';

type Repo = ReadonlyDeep<BackupRepositoryResource>;

/**
 * Seconds since the start of the last successful backup, or since the object's creation while none
 * succeeded (the RPO clock starts there), for repositories that take backups (pure).
 */
export function rpoAgeSeconds(r: Repo, nowMs: number): number | undefined {
  if (r.spec?.import || r.status?.state === 'Archived' || r.status?.state === 'Imported') return undefined;
  const from = Date.parse(String(r.status?.lastSuccessfulBackupTime ?? r.metadata.creationTimestamp ?? ''));
  return Number.isNaN(from) ? undefined : Math.max(0, (nowMs - from) / 1000);
}

/**
 * Registers the backup-health gauges of BackupRepositories, computed from the cache at scrape time
 * (so they never disagree with the conditions the operator wrote): whether backups succeed (also
 * for a repository that never succeeded: 0), the RPO objective, the age of the last successful
 * backup, and whether the RPO is met.
 */
export function registerRepositoryHealthMetrics(
  registry: Registry,
  repositories: ReadonlyStore<BackupRepositoryResource>,
  now: () => number = Date.now,
): void {
  const gauge = (name: string, help: string, value: (r: Repo, nowMs: number) => number | undefined) =>
    repositoryGauge(registry, repositories, name, help, (r) => value(r, now()));
  gauge(
    'cbbs_repository_backups_succeeding',
    'Whether the last finished backup of the BackupRepository succeeded (1) or failed (0), from its BackupsSucceeding condition; absent while Unknown.',
    (r) => conditionIs(r.status?.conditions, CONDITION_TYPES.BackupsSucceeding),
  );
  gauge(
    'cbbs_repository_rpo_objective_seconds',
    'The recovery-point objective (spec.rpo) of the BackupRepository in seconds.',
    (r) =>
      r.spec?.rpo && rpoApplies(r.spec, r.status?.state) ? parseDurationMs(r.spec.rpo) / 1000 : undefined,
  );
  gauge(
    'cbbs_repository_rpo_age_seconds',
    'Seconds since the start of the last successful backup of the BackupRepository (since its creation while none succeeded).',
    rpoAgeSeconds,
  );
  gauge(
    'cbbs_repository_rpo_met',
    'Whether the BackupRepository meets its RPO (1) or not (0), from its RPOMet condition; absent without spec.rpo or while Unknown.',
    (r) => conditionIs(r.status?.conditions, CONDITION_TYPES.RPOMet),
  );
}
