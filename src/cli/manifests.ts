import type { z } from 'zod';
import {
  API_GROUP,
  API_VERSION,
  BackupRestoreSpecSchema,
  type BackupRunSpec,
  BackupRunSpecSchema,
  backupRestoreKind,
  backupRunKind,
} from '../crds/index.ts';
import { CliError, EXIT } from './exit-codes.ts';
import type { RepositoryTarget } from './service-access.ts';

/** A manifest the plugin creates or prints (`-o yaml --dry-run=client`). */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

const MAX_NAME = 253;
const CREATED_BY = { 'app.kubernetes.io/managed-by': 'kubectl-cbbs' };

/** A readable unique object name: `<repository>-<what>-<UTC yyyymmdd-hhmmss>`. */
export function objectName(base: string, what: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15).toLowerCase();
  const suffix = `-${what}-${stamp}`;
  const head = base
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .slice(0, MAX_NAME - suffix.length)
    .replace(/[-.]+$/, '');
  return `${head || 'repository'}${suffix}`;
}

/** The repository reference of a BackupRun: the BackupRepository, or serviceRef plus repositoryId. */
export function runRepository(t: RepositoryTarget): Record<string, unknown> {
  if (t.object) return { repositoryRef: { name: t.object.metadata.name } };
  return { serviceRef: { name: t.serviceName }, repositoryId: t.repositoryId };
}

/** The source of a BackupRestore; an unmanaged repository carries its state. */
export function restoreSource(t: RepositoryTarget): Record<string, unknown> {
  if (t.object) return { repositoryRef: { name: t.object.metadata.name } };
  const state = { active: 'Active', archived: 'Archived', imported: 'Imported' }[t.state];
  return { ...runRepository(t), ...(t.state === 'active' ? {} : { state }) };
}

function validate(schema: z.ZodType, kind: string, spec: Record<string, unknown>): void {
  const parsed = schema.safeParse(spec);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  const path = issue?.path.length ? `spec.${issue.path.join('.')}: ` : '';
  throw new CliError(EXIT.usage, `invalid ${kind}: ${path}${issue?.message ?? 'does not match the schema'}`);
}

/** Builds a BackupRun manifest; the spec is checked against the CRD's schema first. */
export function backupRunManifest(args: {
  target: RepositoryTarget;
  name: string;
  type: BackupRunSpec['type'];
  full?: boolean | undefined;
  merge?: { start?: string; end?: string; offsetStart?: number; offsetEnd?: number } | undefined;
}): Manifest {
  const spec: Record<string, unknown> = { repository: runRepository(args.target), type: args.type };
  if (args.type === 'BACKUP' && args.full) spec.backup = { full: true };
  if (args.type === 'MERGE' && args.merge && Object.keys(args.merge).length > 0) spec.merge = args.merge;
  validate(BackupRunSpecSchema, backupRunKind.kind, spec);
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: backupRunKind.kind,
    metadata: { name: args.name, namespace: args.target.namespace, labels: { ...CREATED_BY } },
    spec,
  };
}

/** Restore options as the command line gives them. */
export interface RestoreOptions {
  /** Oldest backup of the range (name or latest). */
  from?: string | undefined;
  /** Newest backup of the range. */
  to?: string | undefined;
  include?: string[] | undefined;
  exclude?: string[] | undefined;
  /** `from=to` pairs. */
  map?: string[] | undefined;
  filterKeys?: string | undefined;
  filterValues?: string | undefined;
  autoCreateBuckets?: boolean | undefined;
  autoRemoveCollections?: boolean | undefined;
  enableBucketConfig?: boolean | undefined;
  forceUpdates?: boolean | undefined;
  disableServices?: string[] | undefined;
  replaceTtl?: string | undefined;
  replaceTtlWith?: string | undefined;
  /** Cluster manager address of another target cluster. */
  target?: string | undefined;
  targetSecret?: string | undefined;
}

function mapping(pair: string): { from: string; to: string } {
  const i = pair.indexOf('=');
  if (i <= 0 || i === pair.length - 1) throw new CliError(EXIT.usage, `--map wants FROM=TO, got "${pair}"`);
  return { from: pair.slice(0, i), to: pair.slice(i + 1) };
}

/** Builds a BackupRestore manifest; only the options given appear in the spec. */
export function backupRestoreManifest(args: {
  target: RepositoryTarget;
  name: string;
  options: RestoreOptions;
}): Manifest {
  const o = args.options;
  const spec: Record<string, unknown> = { source: restoreSource(args.target) };
  const set = (key: string, value: unknown) => {
    if (value !== undefined && value !== false && !(Array.isArray(value) && value.length === 0))
      spec[key] = value;
  };
  set('start', o.from);
  set('end', o.to);
  set('include', o.include);
  set('exclude', o.exclude);
  set('mappings', o.map?.map(mapping));
  set('filterKeys', o.filterKeys);
  set('filterValues', o.filterValues);
  set('autoCreateBuckets', o.autoCreateBuckets);
  set('autoRemoveCollections', o.autoRemoveCollections);
  set('enableBucketConfig', o.enableBucketConfig);
  set('forceUpdates', o.forceUpdates);
  set('disableServices', o.disableServices);
  if (o.replaceTtl !== undefined) {
    const mode = { none: 'None', all: 'All', expired: 'Expired' }[o.replaceTtl.toLowerCase()];
    if (!mode)
      throw new CliError(EXIT.usage, `--replace-ttl must be none, all or expired, got "${o.replaceTtl}"`);
    if (mode !== 'None') spec.replaceTTL = mode;
  }
  set('replaceTTLWith', o.replaceTtlWith);
  if (o.target !== undefined || o.targetSecret !== undefined) {
    if (o.target === undefined || o.targetSecret === undefined) {
      throw new CliError(EXIT.usage, '--target and --target-secret go together');
    }
    spec.target = { address: o.target, credentialsSecretRef: { name: o.targetSecret } };
  }
  validate(BackupRestoreSpecSchema, backupRestoreKind.kind, spec);
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: backupRestoreKind.kind,
    metadata: { name: args.name, namespace: args.target.namespace, labels: { ...CREATED_BY } },
    spec,
  };
}
