/**
 * Restore: replays backups oldest first into a target cluster, one document at a time, the way
 * cbbackupmgr does (set/delete "with meta", so conflict resolution applies unless force_updates).
 */
import { type BackupManifest, type BucketManifest, readCollection } from './archive-store.ts';
import type {
  ClusterData,
  DocumentRecord,
  ProgressListener,
  RestoreOptions,
  RestoreResult,
} from './contract.ts';
import { DataError } from './errors.ts';
import { compileRestoreSelection, type Keyspace } from './keyspaces.ts';
import { createProgressMeter } from './progress.ts';

export interface RestoreRun {
  repoDir: string;
  /** The backups to replay with their manifests, oldest first. */
  backups: readonly BackupManifest[];
  target: ClusterData;
  options: RestoreOptions;
  now: Date;
  onProgress?: ProgressListener;
}

type Counts = RestoreResult['restored'][string];

/** Replays `run.backups` into `run.target`; validates everything before the first write. */
export async function restoreBackups(run: RestoreRun): Promise<RestoreResult> {
  const { target, options } = run;
  const selection = compileRestoreSelection(options);
  const nowMs = run.now.getTime();

  // Every target bucket must exist (or be creatable) before anything is written.
  const sourceBuckets = new Map<string, BucketManifest>();
  const targetBuckets = new Map<string, BucketManifest>();
  for (const m of run.backups) {
    for (const b of m.buckets) {
      sourceBuckets.set(b.name, b);
      for (const s of b.scopes) {
        for (const c of s.collections) {
          const ks = { bucket: b.name, scope: s.name, collection: c.name };
          if (selection.includes(ks)) targetBuckets.set(selection.target(ks).bucket, b);
        }
      }
    }
  }
  const missing = [...targetBuckets.keys()].filter((name) => target.getBucket(name) === undefined);
  if (missing.length > 0 && options.auto_create_buckets !== true) {
    throw new DataError(
      'BUCKET_NOT_FOUND',
      `bucket(s) ${missing.map((n) => `'${n}'`).join(', ')} do not exist on the target cluster ` +
        '(set auto_create_buckets to create them)',
    );
  }
  for (const name of missing) {
    const source = targetBuckets.get(name) as BucketManifest;
    target.createBucket({ name, bucketType: source.bucketType, ramQuotaMB: source.ramQuotaMB });
  }

  const restored: RestoreResult['restored'] = {};
  for (const name of targetBuckets.keys()) restored[name] = { mutations: 0, deletions: 0, skipped: 0 };
  const result: RestoreResult = { backups: run.backups.map((m) => m.name), restored };
  if (options.disable_data === true) {
    createProgressMeter(0, run.onProgress).done();
    return result;
  }

  let total = 0;
  for (const m of run.backups) {
    for (const b of m.buckets)
      for (const s of b.scopes) for (const c of s.collections) total += c.mutations + c.tombstones;
  }
  const meter = createProgressMeter(total, run.onProgress);
  // Target documents (tombstones included) per target collection, loaded once and kept current.
  const targetDocs = new Map<string, Map<string, DocumentRecord>>();
  const docsOf = (ks: Keyspace): Map<string, DocumentRecord> => {
    const id = keyspaceId(ks);
    let docs = targetDocs.get(id);
    if (docs === undefined) {
      docs = new Map();
      const list = target.listDocuments(ks.bucket, {
        includeDeleted: true,
        scope: ks.scope,
        collection: ks.collection,
      });
      for (const r of list) docs.set(r.key, r);
      targetDocs.set(id, docs);
    }
    return docs;
  };

  let previous: BackupManifest | undefined;
  for (const manifest of run.backups) {
    if (options.auto_remove_collections === true && previous !== undefined) {
      for (const ks of droppedCollections(previous, manifest)) {
        if (!selection.includes(ks)) continue;
        const to = selection.target(ks);
        if (collectionExists(target, to)) {
          target.dropCollection(to.bucket, to.scope, to.collection);
          targetDocs.delete(keyspaceId(to));
        }
      }
    }
    for (const bucket of manifest.buckets) {
      for (const scope of bucket.scopes) {
        for (const collection of scope.collections) {
          const ks = { bucket: bucket.name, scope: scope.name, collection: collection.name };
          const units = collection.mutations + collection.tombstones;
          if (!selection.includes(ks)) {
            meter.advance(units);
            continue;
          }
          const to = selection.target(ks);
          ensureCollection(target, to, collection.maxTTL);
          const counts = restored[to.bucket] as Counts;
          const docs = docsOf(to);
          for (const d of await readCollection(run.repoDir, manifest.name, collection)) {
            if (!selection.passes(d.key, d.value, d.deleted)) continue;
            const existing = docs.get(d.key);
            if (options.force_updates !== true && existing !== undefined && targetWins(existing, d)) {
              counts.skipped++;
              continue;
            }
            const written = target.restoreDocument({
              ...to,
              key: d.key,
              value: d.deleted ? null : d.value,
              expiry: d.deleted ? 0 : selection.expiry(d.expiry, nowMs),
              flags: d.flags,
              revision: d.revision,
              deleted: d.deleted,
            });
            docs.set(d.key, written);
            if (d.deleted) counts.deletions++;
            else counts.mutations++;
          }
          meter.advance(units);
        }
      }
    }
    previous = manifest;
  }
  meter.done();
  return result;
}

/**
 * Couchbase's revision-based conflict resolution: the higher revision wins, then the higher CAS;
 * on a full tie the document already in the cluster stays.
 */
function targetWins(existing: DocumentRecord, incoming: { revision: number; cas: string }): boolean {
  if (existing.revision !== incoming.revision) return existing.revision > incoming.revision;
  return BigInt(existing.cas) >= BigInt(incoming.cas);
}

function keyspaceId(ks: Keyspace): string {
  return JSON.stringify([ks.bucket, ks.scope, ks.collection]);
}

function collectionExists(target: ClusterData, ks: Keyspace): boolean {
  if (target.getBucket(ks.bucket) === undefined) return false;
  const scope = target.listScopes(ks.bucket).find((s) => s.name === ks.scope);
  return scope?.collections.some((c) => c.name === ks.collection) ?? false;
}

/** Creates the target scope and collection when missing, as cbbackupmgr's restore does. */
function ensureCollection(target: ClusterData, ks: Keyspace, maxTTL: number): void {
  const scope = target.listScopes(ks.bucket).find((s) => s.name === ks.scope);
  if (scope === undefined) target.createScope(ks.bucket, ks.scope);
  if (scope?.collections.some((c) => c.name === ks.collection) !== true) {
    target.createCollection(ks.bucket, ks.scope, ks.collection, { maxTTL });
  }
}

/** Collections in `before` that are gone from `after` (dropped between the two backups). */
function droppedCollections(before: BackupManifest, after: BackupManifest): Keyspace[] {
  const present = new Set<string>();
  for (const b of after.buckets) {
    for (const s of b.scopes)
      for (const c of s.collections)
        present.add(keyspaceId({ bucket: b.name, scope: s.name, collection: c.name }));
  }
  const afterBuckets = new Set(after.buckets.map((b) => b.name));
  const out: Keyspace[] = [];
  for (const b of before.buckets) {
    // A bucket absent from the later backup was not backed up, which says nothing about its collections.
    if (!afterBuckets.has(b.name)) continue;
    for (const s of b.scopes) {
      for (const c of s.collections) {
        const ks = { bucket: b.name, scope: s.name, collection: c.name };
        if (!present.has(keyspaceId(ks))) out.push(ks);
      }
    }
  }
  return out;
}
