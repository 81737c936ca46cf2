/**
 * The contract between the emulator's HTTP/service layer (src/emulator/*) and its data layer
 * (src/emulator/data/*): the emulated cluster's documents and the on-disk backup archives.
 *
 * The service layer owns REST paths, validation, repositories, schedules and task records; the data
 * layer owns documents and backup contents. Neither reaches into the other's files.
 */

import type { ObjectStoreAccess } from '../object-store/access.ts';

/** Address of one document: bucket → scope → collection → key. */
export interface DocumentRef {
  bucket: string;
  scope: string;
  collection: string;
  key: string;
}

/** One stored document version, including tombstones (deleted = true, value = null). */
export interface DocumentRecord extends DocumentRef {
  value: unknown;
  /** Absolute expiry in epoch seconds; 0 = never. */
  expiry: number;
  flags: number;
  /** Monotonic per-bucket CAS, decimal string (64-bit values do not fit a JS number). */
  cas: string;
  /** Revision sequence number: 1 on creation, +1 on every mutation or deletion. */
  revision: number;
  deleted: boolean;
}

export interface BucketSettings {
  name: string;
  bucketType: 'couchbase' | 'ephemeral' | 'memcached';
  ramQuotaMB: number;
  /** Stable UUID generated at creation; backups record it. */
  uuid: string;
}

export interface CollectionInfo {
  name: string;
  uid: number;
  /** Seconds; 0 = no max TTL. */
  maxTTL: number;
}

export interface ScopeInfo {
  name: string;
  uid: number;
  collections: CollectionInfo[];
}

/** Thrown by the data layer for caller mistakes; `code` is stable, `message` is for humans. */
export const DATA_ERROR_CODES = {
  bucketExists: 'BUCKET_EXISTS',
  bucketNotFound: 'BUCKET_NOT_FOUND',
  scopeExists: 'SCOPE_EXISTS',
  scopeNotFound: 'SCOPE_NOT_FOUND',
  collectionExists: 'COLLECTION_EXISTS',
  collectionNotFound: 'COLLECTION_NOT_FOUND',
  documentNotFound: 'DOCUMENT_NOT_FOUND',
  backupNotFound: 'BACKUP_NOT_FOUND',
  invalidRange: 'INVALID_RANGE',
  invalidArgument: 'INVALID_ARGUMENT',
  archiveUnusable: 'ARCHIVE_UNUSABLE',
  noBackups: 'NO_BACKUPS',
} as const;
export type DataErrorCode = (typeof DATA_ERROR_CODES)[keyof typeof DATA_ERROR_CODES];

/** The emulated cluster's data service: buckets, scopes, collections and documents. */
export interface ClusterData {
  /** Cluster UUID (stable across restarts). */
  readonly uuid: string;
  listBuckets(): BucketSettings[];
  getBucket(name: string): BucketSettings | undefined;
  /** Creates a bucket with `_default._default`; throws BUCKET_EXISTS. */
  createBucket(spec: {
    name: string;
    bucketType?: BucketSettings['bucketType'];
    ramQuotaMB?: number;
  }): BucketSettings;
  /** Throws BUCKET_NOT_FOUND. Removes all its documents. */
  deleteBucket(name: string): void;
  listScopes(bucket: string): ScopeInfo[];
  createScope(bucket: string, scope: string): void;
  createCollection(bucket: string, scope: string, collection: string, opts?: { maxTTL?: number }): void;
  dropCollection(bucket: string, scope: string, collection: string): void;
  /** Insert or replace; bumps cas and revision. Missing scope/collection → *_NOT_FOUND. */
  upsertDocument(
    ref: DocumentRef,
    value: unknown,
    opts?: { expiry?: number; flags?: number },
  ): DocumentRecord;
  /** Live document (not deleted, not expired at `now`), else undefined. */
  getDocument(ref: DocumentRef): DocumentRecord | undefined;
  /** Leaves a tombstone; throws DOCUMENT_NOT_FOUND when no live document. */
  deleteDocument(ref: DocumentRef): DocumentRecord;
  /** Every record of a bucket including tombstones, sorted by scope, collection, key. */
  listDocuments(
    bucket: string,
    opts?: { includeDeleted?: boolean; scope?: string; collection?: string },
  ): DocumentRecord[];
  /**
   * Writes a record as restore does: keeps the given value/expiry/flags/deleted flag, assigns a
   * new cas, sets revision to the given one. Used by restore only.
   */
  restoreDocument(record: Omit<DocumentRecord, 'cas'>): DocumentRecord;
}

/** `type` values as `cbbackupmgr info` prints them. */
export type BackupType = 'FULL' | 'INCR' | 'MERGE - FULL' | 'MERGE - INCR';

/** Per-bucket counts of one backup: BucketInfo of docs/backup-service-api.md §2.4 (keys as the REST API spells them). */
export interface BackupBucketInfo {
  name: string;
  size: number;
  items: number;
  mutations: number;
  tombstones: number;
  views_count: number;
  fts_count: number;
  index_count: number;
  analytics_count: number;
  scopes: Record<
    string,
    {
      uid: number;
      name: string;
      mutations: number;
      tombstones: number;
      collections: Record<string, { id: number; name: string; mutations: number; tombstones: number }>;
    }
  >;
}

/** One backup as `/info` lists it (§2.4 BackupInfo). */
export interface BackupInfo {
  date: string;
  type: BackupType;
  source: string;
  range?: string[];
  events: number;
  fts_alias: number;
  size: number;
  buckets: BackupBucketInfo[];
  complete: boolean;
  source_cluster_uuid: string;
}

/** `/info` body (§2.4 RepositoryInfo): backups oldest first. */
export interface RepositoryInfo {
  name: string;
  size: number;
  count: number;
  backups: BackupInfo[];
}

/** Restore options, the REST body of §5.11 minus target/user/password (resolved by the service layer). */
export interface RestoreOptions {
  start?: string;
  end?: string;
  include_data?: string;
  exclude_data?: string;
  map_data?: string;
  filter_keys?: string;
  filter_values?: string;
  auto_create_buckets?: boolean;
  auto_remove_collections?: boolean;
  enable_bucket_config?: boolean;
  force_updates?: boolean;
  disable_data?: boolean;
  replace_ttl?: 'none' | 'all' | 'expired';
  replace_ttl_with?: string;
}

export interface RestoreResult {
  /** Backups replayed, oldest first. */
  backups: string[];
  /** Documents written (mutations + deletions) per target bucket. */
  restored: Record<string, { mutations: number; deletions: number; skipped: number }>;
}

/** One element of the examine timeline (the cbbackupmgr `examine --json` shape testrunner parses). */
export interface ExamineEntry {
  backup: string;
  event_type: 'mutation' | 'deletion' | 'not_found';
  document?: {
    key: string;
    value: unknown;
    metadata: { flags: number; expiry: number; cas: string; revseqno: number; datatype: number };
    deleted: boolean;
  };
}

/** Progress reported while a task runs, 0..100. */
export type ProgressListener = (percent: number) => void;

/**
 * One repository's archive: `<archive>/<repo uuid>/` on disk, one directory per backup named like
 * Couchbase's backup names (RFC 3339 nano with ':' → '_').
 */
export interface ArchiveRepository {
  readonly archive: string;
  readonly repo: string;
  /** Backup names, oldest first. */
  listBackups(): Promise<string[]>;
  /** Full or incremental backup of one bucket (or all buckets when `bucket` is undefined). */
  backup(opts: {
    cluster: ClusterData;
    bucket?: string;
    full: boolean;
    now: Date;
    source: string;
    onProgress?: ProgressListener;
  }): Promise<BackupInfo>;
  /** Merges the inclusive range [start, end] (names; undefined = oldest/newest) into one backup. */
  merge(opts: {
    start?: string;
    end?: string;
    now: Date;
    onProgress?: ProgressListener;
  }): Promise<BackupInfo>;
  /** Replays backups [start, end] into `target`, honouring every option. */
  restore(opts: {
    target: ClusterData;
    options: RestoreOptions;
    now: Date;
    onProgress?: ProgressListener;
  }): Promise<RestoreResult>;
  /** A key's versions across the backups, oldest first (data_path = bucket[.scope.collection]). */
  examine(opts: { key: string; dataPath: string; backups?: string }): Promise<ExamineEntry[]>;
  /** `/info` with optional pagination over backups (limit 0 = all). */
  info(opts?: { limit?: number; offset?: number }): Promise<RepositoryInfo>;
  /** Removes one backup's directory; BACKUP_NOT_FOUND when unknown. */
  deleteBackup(name: string): Promise<void>;
  /** Removes the whole repository directory (DELETE … ?remove_repository=true). */
  removeAll(): Promise<void>;
  /** Releases what the handle holds open (object stores: the client's connections). */
  close?(): void;
}

/**
 * Factories the data layer exports from `src/emulator/data/index.ts`:
 *
 *   createClusterData(opts: { dir?: string; now: () => Date; uuid?: string }): Promise<ClusterData>
 *     dir: where documents persist (synchronously on every acknowledged write, so kill -9 keeps
 *     them); undefined = memory only.
 *   openArchiveRepository(opts: { archive: string; repo: string; create: boolean }): Promise<ArchiveRepository>
 *     create=true makes `<archive>/<repo>/` (ARCHIVE_UNUSABLE when archive is not an absolute,
 *     writable directory path); create=false requires it to exist (import).
 *   DataError: class extending Error with `code: DataErrorCode`.
 */
export type CreateClusterData = (opts: {
  dir?: string;
  now: () => Date;
  uuid?: string;
}) => Promise<ClusterData>;
export interface OpenArchiveOptions {
  archive: string;
  repo: string;
  create: boolean;
  /** Object-store archives (`s3://…`): credentials, region, endpoint and staging directory. */
  cloud?: ObjectStoreAccess;
  /** Object-store archives: called after each request with undefined (reachable) or the reason it failed. */
  onLocationCheck?: (issue: string | undefined) => void;
}
export type OpenArchiveRepository = (opts: OpenArchiveOptions) => Promise<ArchiveRepository>;
