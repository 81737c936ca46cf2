import type { RestoreBody } from '../../backup-api/index.ts';
import type { BackupRestoreSpec } from '../../crds/backup-restore.ts';
import type { ReadonlyDeep } from '../runtime/index.ts';

/** Restore option names of the Backup Service for each service a restore can skip (docs/backup-service-api.md §5.11). */
const DISABLE_FLAG = {
  data: 'disable_data',
  gsi: 'disable_gsi_indexes',
  views: 'disable_views',
  ft: 'disable_ft',
  eventing: 'disable_eventing',
  cbas: 'disable_analytics',
} as const;

const REPLACE_TTL = { None: 'none', All: 'all', Expired: 'expired' } as const;

/** Target and resolved range of one restore request. */
export interface RestoreRequestInput {
  target: string;
  user: string;
  password: string;
  /** Backup names with `latest` already resolved. */
  start?: string | undefined;
  end?: string | undefined;
}

/**
 * Maps a BackupRestore spec to the restore request body (pure): keyspace lists become comma
 * strings, mappings `from=to` pairs in `map_data`, services to skip the `disable_*` flags, the TTL
 * mode the lower-case `replace_ttl`. Options at their default are left out.
 */
export function restoreBody(spec: ReadonlyDeep<BackupRestoreSpec>, input: RestoreRequestInput): RestoreBody {
  const body: RestoreBody = { target: input.target, user: input.user, password: input.password };
  if (input.start) body.start = input.start;
  if (input.end) body.end = input.end;
  if (spec.include?.length) body.include_data = spec.include.join(',');
  if (spec.exclude?.length) body.exclude_data = spec.exclude.join(',');
  if (spec.mappings?.length) body.map_data = spec.mappings.map((m) => `${m.from}=${m.to}`).join(',');
  if (spec.filterKeys) body.filter_keys = spec.filterKeys;
  if (spec.filterValues) body.filter_values = spec.filterValues;
  if (spec.autoCreateBuckets) body.auto_create_buckets = true;
  if (spec.autoRemoveCollections) body.auto_remove_collections = true;
  if (spec.enableBucketConfig) body.enable_bucket_config = true;
  if (spec.forceUpdates) body.force_updates = true;
  for (const service of spec.disableServices ?? []) body[DISABLE_FLAG[service]] = true;
  if (spec.replaceTTL && spec.replaceTTL !== 'None') {
    body.replace_ttl = REPLACE_TTL[spec.replaceTTL];
    if (spec.replaceTTLWith !== undefined) body.replace_ttl_with = spec.replaceTTLWith;
  }
  return body;
}

/** The outcome of {@link resolveRange}. */
export type RangeResolution =
  | { kind: 'ok'; start?: string | undefined; end?: string | undefined }
  | { kind: 'no-backups' }
  | { kind: 'unknown-backup'; field: 'start' | 'end'; name: string };

/**
 * Resolves `start`/`end` against the repository's backups (oldest first, from `/info`) (pure):
 * `latest` becomes the newest backup; a name must be one of the backups, because the service
 * accepts any name and only the task fails later.
 */
export function resolveRange(
  spec: { start?: string | undefined; end?: string | undefined },
  backups: readonly string[],
): RangeResolution {
  if (backups.length === 0) return { kind: 'no-backups' };
  const latest = backups[backups.length - 1];
  const resolve = (field: 'start' | 'end'): string | undefined | { missing: string } => {
    const value = spec[field];
    if (value === undefined) return undefined;
    if (value === 'latest') return latest;
    return backups.includes(value) ? value : { missing: value };
  };
  const start = resolve('start');
  if (typeof start === 'object') return { kind: 'unknown-backup', field: 'start', name: start.missing };
  const end = resolve('end');
  if (typeof end === 'object') return { kind: 'unknown-backup', field: 'end', name: end.missing };
  return { kind: 'ok', start, end };
}

/** A short list of the available backups for a refusal message: first, last and count. */
export function describeBackups(backups: readonly string[]): string {
  if (backups.length === 0) return 'none';
  if (backups.length <= 3) return backups.join(', ');
  return `${backups[0]} … ${backups[backups.length - 1]} (${backups.length} backups)`;
}
