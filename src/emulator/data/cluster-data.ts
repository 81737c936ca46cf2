import { randomBytes } from 'node:crypto';
import { type ClusterLog, type LogEntry, openClusterLog } from './cluster-log.ts';
import type { BucketSettings, ClusterData, DocumentRecord, DocumentRef, ScopeInfo } from './contract.ts';
import { DataError } from './errors.ts';

export interface CreateClusterDataOptions {
  /** Where documents persist; undefined = memory only. */
  dir?: string;
  now: () => Date;
  /** Cluster UUID for a new cluster; a persisted cluster keeps the UUID it was created with. */
  uuid?: string;
  /** Compact the log once it holds this many lines more than twice the documents (default 10 000). */
  compactSlack?: number;
}

interface CollectionState {
  name: string;
  uid: number;
  maxTTL: number;
  docs: Map<string, DocumentRecord>;
}

interface ScopeState {
  name: string;
  uid: number;
  collections: Map<string, CollectionState>;
}

interface BucketState {
  settings: BucketSettings;
  scopes: Map<string, ScopeState>;
  lastCas: bigint;
  nextUid: number;
}

const DEFAULT = '_default';
/** Couchbase numbers user-created scopes and collections from 8 (0..7 are reserved). */
const FIRST_USER_UID = 8;
/** Compact once the log holds this many lines more than the live state needs. */
const COMPACT_SLACK = 10_000;

/** Random lower-case hex string of `bytes` bytes (Couchbase UUIDs are 32 hex chars). */
export function hexId(bytes = 16): string {
  return randomBytes(bytes).toString('hex');
}

/** Whether a record is expired at `nowMs` (expiry is absolute epoch seconds, 0 = never). */
export function isExpired(record: Pick<DocumentRecord, 'expiry'>, nowMs: number): boolean {
  return record.expiry !== 0 && record.expiry * 1000 <= nowMs;
}

/** Creates the emulated cluster's data service, reloading its state from `dir` when given. */
export async function createClusterData(opts: CreateClusterDataOptions): Promise<ClusterData> {
  const buckets = new Map<string, BucketState>();
  let uuid = opts.uuid ?? hexId();
  let log: ClusterLog | undefined;
  let docCount = 0;

  const apply = (entry: LogEntry): void => {
    switch (entry.op) {
      case 'meta':
        uuid = entry.uuid;
        return;
      case 'bucket': {
        const existing = buckets.get(entry.name);
        if (existing !== undefined && existing.settings.uuid === entry.uuid) {
          existing.lastCas = maxBig(existing.lastCas, BigInt(entry.lastCas));
          existing.nextUid = Math.max(existing.nextUid, entry.nextUid);
          return;
        }
        if (existing !== undefined) docCount -= countDocs(existing);
        buckets.set(entry.name, {
          settings: {
            name: entry.name,
            bucketType: entry.bucketType,
            ramQuotaMB: entry.ramQuotaMB,
            uuid: entry.uuid,
          },
          scopes: new Map(),
          lastCas: BigInt(entry.lastCas),
          nextUid: entry.nextUid,
        });
        return;
      }
      case 'dropBucket': {
        const b = buckets.get(entry.name);
        if (b !== undefined) docCount -= countDocs(b);
        buckets.delete(entry.name);
        return;
      }
      case 'scope': {
        const b = buckets.get(entry.bucket);
        if (b === undefined || b.scopes.has(entry.name)) return;
        b.scopes.set(entry.name, { name: entry.name, uid: entry.uid, collections: new Map() });
        b.nextUid = Math.max(b.nextUid, entry.uid + 1);
        return;
      }
      case 'collection': {
        const s = buckets.get(entry.bucket)?.scopes.get(entry.scope);
        if (s === undefined || s.collections.has(entry.name)) return;
        s.collections.set(entry.name, {
          name: entry.name,
          uid: entry.uid,
          maxTTL: entry.maxTTL,
          docs: new Map(),
        });
        const b = buckets.get(entry.bucket);
        if (b !== undefined) b.nextUid = Math.max(b.nextUid, entry.uid + 1);
        return;
      }
      case 'dropCollection': {
        const s = buckets.get(entry.bucket)?.scopes.get(entry.scope);
        const c = s?.collections.get(entry.name);
        if (s === undefined || c === undefined) return;
        docCount -= c.docs.size;
        s.collections.delete(entry.name);
        return;
      }
      case 'doc': {
        const r = entry.record as DocumentRecord;
        const b = buckets.get(r.bucket);
        const c = b?.scopes.get(r.scope)?.collections.get(r.collection);
        if (b === undefined || c === undefined) return;
        if (!c.docs.has(r.key)) docCount += 1;
        c.docs.set(r.key, Object.freeze(r));
        b.lastCas = maxBig(b.lastCas, BigInt(r.cas));
        return;
      }
    }
  };

  if (opts.dir !== undefined) {
    const opened = openClusterLog(opts.dir);
    log = opened.log;
    for (const entry of opened.entries) apply(entry);
    if (opened.entries.length === 0) log.append({ op: 'meta', uuid });
  }

  const snapshot = function* (): Generator<LogEntry> {
    yield { op: 'meta', uuid };
    for (const b of buckets.values()) {
      yield { op: 'bucket', ...b.settings, lastCas: b.lastCas.toString(), nextUid: b.nextUid };
      for (const s of b.scopes.values()) {
        yield { op: 'scope', bucket: b.settings.name, name: s.name, uid: s.uid };
        for (const c of s.collections.values()) {
          yield {
            op: 'collection',
            bucket: b.settings.name,
            scope: s.name,
            name: c.name,
            uid: c.uid,
            maxTTL: c.maxTTL,
          };
          for (const r of c.docs.values()) yield { op: 'doc', record: r };
        }
      }
    }
  };

  /** Applies `entry` in memory and, when persistent, appends it before the caller is answered. */
  const commit = (entry: LogEntry): void => {
    apply(entry);
    if (log === undefined) return;
    log.append(entry);
    if (log.lines > 2 * docCount + (opts.compactSlack ?? COMPACT_SLACK)) log.compact(snapshot());
  };

  const bucketOf = (name: string): BucketState => {
    const b = buckets.get(name);
    if (b === undefined) throw new DataError('BUCKET_NOT_FOUND', `bucket '${name}' does not exist`);
    return b;
  };
  const scopeOf = (bucket: string, scope: string): ScopeState => {
    const s = bucketOf(bucket).scopes.get(scope);
    if (s === undefined) throw new DataError('SCOPE_NOT_FOUND', `scope '${bucket}.${scope}' does not exist`);
    return s;
  };
  const collectionOf = (ref: Omit<DocumentRef, 'key'>): CollectionState => {
    const c = scopeOf(ref.bucket, ref.scope).collections.get(ref.collection);
    if (c === undefined) {
      throw new DataError(
        'COLLECTION_NOT_FOUND',
        `collection '${ref.bucket}.${ref.scope}.${ref.collection}' does not exist`,
      );
    }
    return c;
  };
  const nextCas = (b: BucketState): string => {
    // Couchbase CAS values are nanosecond hybrid logical clock readings: time-based, yet strictly
    // increasing per bucket even when the clock stands still or goes back.
    const fromClock = BigInt(opts.now().getTime()) * 1_000_000n;
    return maxBig(b.lastCas + 1n, fromClock).toString();
  };
  const nameCheck = (kind: string, name: string): void => {
    if (name.length === 0) throw new DataError('INVALID_ARGUMENT', `${kind} name must not be empty`);
  };
  const writeRecord = (record: DocumentRecord): DocumentRecord => {
    commit({ op: 'doc', record });
    return collectionOf(record).docs.get(record.key) as DocumentRecord;
  };
  /** JSON round trip: documents are JSON, and the stored copy must not alias the caller's object. */
  const jsonCopy = (value: unknown): unknown => {
    if (value === undefined) throw new DataError('INVALID_ARGUMENT', 'document value must be JSON');
    return JSON.parse(JSON.stringify(value));
  };

  const cluster: ClusterData = {
    get uuid() {
      return uuid;
    },
    listBuckets: () => [...buckets.values()].map((b) => ({ ...b.settings })),
    getBucket: (name) => {
      const b = buckets.get(name);
      return b === undefined ? undefined : { ...b.settings };
    },
    createBucket(spec) {
      nameCheck('bucket', spec.name);
      if (buckets.has(spec.name)) {
        throw new DataError('BUCKET_EXISTS', `bucket '${spec.name}' already exists`);
      }
      const settings: BucketSettings = {
        name: spec.name,
        bucketType: spec.bucketType ?? 'couchbase',
        ramQuotaMB: spec.ramQuotaMB ?? 100,
        uuid: hexId(),
      };
      commit({ op: 'bucket', ...settings, lastCas: '0', nextUid: FIRST_USER_UID });
      commit({ op: 'scope', bucket: spec.name, name: DEFAULT, uid: 0 });
      commit({ op: 'collection', bucket: spec.name, scope: DEFAULT, name: DEFAULT, uid: 0, maxTTL: 0 });
      return { ...settings };
    },
    deleteBucket(name) {
      bucketOf(name);
      commit({ op: 'dropBucket', name });
    },
    listScopes(bucket): ScopeInfo[] {
      return [...bucketOf(bucket).scopes.values()].map((s) => ({
        name: s.name,
        uid: s.uid,
        collections: [...s.collections.values()].map((c) => ({ name: c.name, uid: c.uid, maxTTL: c.maxTTL })),
      }));
    },
    createScope(bucket, scope) {
      nameCheck('scope', scope);
      const b = bucketOf(bucket);
      if (b.scopes.has(scope))
        throw new DataError('SCOPE_EXISTS', `scope '${bucket}.${scope}' already exists`);
      commit({ op: 'scope', bucket, name: scope, uid: b.nextUid });
    },
    createCollection(bucket, scope, collection, collOpts) {
      nameCheck('collection', collection);
      const b = bucketOf(bucket);
      const s = scopeOf(bucket, scope);
      if (s.collections.has(collection)) {
        throw new DataError(
          'COLLECTION_EXISTS',
          `collection '${bucket}.${scope}.${collection}' already exists`,
        );
      }
      const maxTTL = collOpts?.maxTTL ?? 0;
      if (!Number.isInteger(maxTTL) || maxTTL < 0) {
        throw new DataError('INVALID_ARGUMENT', 'maxTTL must be a non-negative integer');
      }
      commit({ op: 'collection', bucket, scope, name: collection, uid: b.nextUid, maxTTL });
    },
    dropCollection(bucket, scope, collection) {
      collectionOf({ bucket, scope, collection });
      // The bucket line records lastCas so that CAS stays monotonic after the drop and a reload.
      const b = bucketOf(bucket);
      commit({ op: 'dropCollection', bucket, scope, name: collection });
      if (log !== undefined) {
        log.append({ op: 'bucket', ...b.settings, lastCas: b.lastCas.toString(), nextUid: b.nextUid });
      }
    },
    upsertDocument(ref, value, docOpts) {
      const b = bucketOf(ref.bucket);
      const c = collectionOf(ref);
      const previous = c.docs.get(ref.key);
      let expiry = docOpts?.expiry ?? 0;
      const flags = docOpts?.flags ?? 0;
      if (!Number.isInteger(expiry) || expiry < 0) {
        throw new DataError('INVALID_ARGUMENT', 'expiry must be a non-negative integer');
      }
      if (c.maxTTL > 0) {
        // A collection's maxTTL caps every document's lifetime (and sets one when none is given).
        const cap = Math.floor(opts.now().getTime() / 1000) + c.maxTTL;
        expiry = expiry === 0 ? cap : Math.min(expiry, cap);
      }
      return writeRecord({
        bucket: ref.bucket,
        scope: ref.scope,
        collection: ref.collection,
        key: ref.key,
        value: jsonCopy(value),
        expiry,
        flags,
        cas: nextCas(b),
        revision: (previous?.revision ?? 0) + 1,
        deleted: false,
      });
    },
    getDocument(ref) {
      const r = collectionOf(ref).docs.get(ref.key);
      if (r === undefined || r.deleted || isExpired(r, opts.now().getTime())) return undefined;
      return r;
    },
    deleteDocument(ref) {
      const b = bucketOf(ref.bucket);
      const previous = cluster.getDocument(ref);
      if (previous === undefined) {
        throw new DataError(
          'DOCUMENT_NOT_FOUND',
          `document '${ref.key}' not found in ${ref.bucket}.${ref.scope}.${ref.collection}`,
        );
      }
      return writeRecord({
        ...previous,
        value: null,
        expiry: 0,
        cas: nextCas(b),
        revision: previous.revision + 1,
        deleted: true,
      });
    },
    listDocuments(bucket, listOpts) {
      const b = bucketOf(bucket);
      const nowMs = opts.now().getTime();
      const out: DocumentRecord[] = [];
      for (const s of sortedValues(b.scopes)) {
        if (listOpts?.scope !== undefined && s.name !== listOpts.scope) continue;
        for (const c of sortedValues(s.collections)) {
          if (listOpts?.collection !== undefined && c.name !== listOpts.collection) continue;
          const keys = [...c.docs.keys()].sort(compareStrings);
          for (const key of keys) {
            const r = c.docs.get(key) as DocumentRecord;
            if (listOpts?.includeDeleted !== true && (r.deleted || isExpired(r, nowMs))) continue;
            out.push(r);
          }
        }
      }
      return out;
    },
    restoreDocument(record) {
      const b = bucketOf(record.bucket);
      collectionOf(record);
      if (!Number.isInteger(record.revision) || record.revision < 1) {
        throw new DataError('INVALID_ARGUMENT', 'revision must be a positive integer');
      }
      return writeRecord({
        bucket: record.bucket,
        scope: record.scope,
        collection: record.collection,
        key: record.key,
        value: record.deleted ? null : jsonCopy(record.value),
        expiry: record.deleted ? 0 : record.expiry,
        flags: record.flags,
        cas: nextCas(b),
        revision: record.revision,
        deleted: record.deleted,
      });
    },
  };
  return cluster;
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function countDocs(b: BucketState): number {
  let n = 0;
  for (const s of b.scopes.values()) for (const c of s.collections.values()) n += c.docs.size;
  return n;
}

/** Code-unit order, the order Couchbase tools list keys in (not locale order). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedValues<T extends { name: string }>(map: Map<string, T>): T[] {
  return [...map.values()].sort((x, y) => compareStrings(x.name, y.name));
}
