import { constants } from 'node:fs';
import { access, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import {
  ARCHIVE_MARKER,
  type BackupData,
  type BackupManifest,
  type BucketManifest,
  listBackupNames,
  REPO_META_FILE,
  readCollection,
  readManifest,
  recoverRepository,
  replaceBackup,
  type StoredDocument,
  writeBackup,
} from './archive-store.ts';
import { backupInfoFromDisk } from './backup-info.ts';
import { nextBackupName } from './backup-names.ts';
import { compareStrings, isExpired } from './cluster-data.ts';
import type { ArchiveRepository, BackupType, ClusterData, ExamineEntry, RepositoryInfo } from './contract.ts';
import { DataError } from './errors.ts';
import { splitKeyspacePath } from './keyspaces.ts';
import { createProgressMeter } from './progress.ts';
import { restoreBackups } from './restore.ts';

export interface OpenArchiveRepositoryOptions {
  /** Absolute path of the archive (shared by repositories). */
  archive: string;
  /** Repository directory name inside the archive (the repository's UUID in the Backup Service). */
  repo: string;
  /** true: create `<archive>/<repo>/` when missing; false: it must exist (import). */
  create: boolean;
}

/** Opens (or creates) one repository of an archive on disk. */
export async function openArchiveRepository(opts: OpenArchiveRepositoryOptions): Promise<ArchiveRepository> {
  const { archive, repo } = opts;
  if (!isAbsolute(archive)) {
    throw new DataError('ARCHIVE_UNUSABLE', `archive location '${archive}' is not an absolute path`);
  }
  if (repo.length === 0 || repo === '.' || repo === '..' || /[/\\]/.test(repo)) {
    throw new DataError('INVALID_ARGUMENT', `repository name '${repo}' is not a single path segment`);
  }
  const repoDir = join(archive, repo);
  if (opts.create) await prepareArchive(archive, repoDir, repo);
  else await requireDirectory(repoDir);
  await recoverRepository(repoDir);

  // One operation at a time per repository: backup names and merges must not interleave.
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  const manifestsOf = (names: readonly string[]): Promise<BackupManifest[]> =>
    Promise.all(names.map((n) => readManifest(repoDir, n)));

  const resolveRange = async (start: string | undefined, end: string | undefined): Promise<string[]> => {
    const names = await listBackupNames(repoDir);
    if (names.length === 0) throw new DataError('NO_BACKUPS', 'the repository has no backups');
    const from = start === undefined || start === '' ? 0 : names.indexOf(start);
    const to = end === undefined || end === '' ? names.length - 1 : names.indexOf(end);
    if (from < 0) throw notFound(start as string);
    if (to < 0) throw notFound(end as string);
    if (from > to)
      throw new DataError('INVALID_RANGE', `start backup '${start}' is newer than end backup '${end}'`);
    return names.slice(from, to + 1);
  };

  const repository: ArchiveRepository = {
    archive,
    repo,
    listBackups: () => listBackupNames(repoDir),

    backup: (backupOpts) =>
      exclusive(async () => {
        const { cluster } = backupOpts;
        const names = await listBackupNames(repoDir);
        const last = names.at(-1);
        const previous = last === undefined ? undefined : await readManifest(repoDir, last);
        // The first backup of a repository is always full, whatever was asked (as cbbackupmgr does).
        const full = backupOpts.full || previous === undefined;
        const buckets = selectBuckets(cluster, backupOpts.bucket);
        const meter = createProgressMeter(buckets.length, backupOpts.onProgress);
        const nowMs = backupOpts.now.getTime();
        const data: BackupData = new Map();
        const bucketManifests: BucketManifest[] = [];
        for (const name of buckets) {
          const settings = cluster.getBucket(name);
          if (settings === undefined)
            throw new DataError('BUCKET_NOT_FOUND', `bucket '${name}' does not exist`);
          const before = previous?.buckets.find((b) => b.name === name && b.uuid === settings.uuid);
          const since = full || before === undefined ? undefined : BigInt(before.casHighWater);
          let high = since ?? 0n;
          const perScope = new Map<string, Map<string, StoredDocument[]>>();
          for (const r of cluster.listDocuments(name, { includeDeleted: true })) {
            const cas = BigInt(r.cas);
            if (cas > high) high = cas;
            const gone = r.deleted || isExpired(r, nowMs);
            if (since === undefined ? gone : cas <= since) continue;
            const perCollection = getOrInsert(perScope, r.scope, () => new Map());
            const docs = getOrInsert(perCollection, r.collection, () => []);
            // An expired document reaches backups as the deletion the expiry pager turns it into.
            docs.push({
              key: r.key,
              value: gone ? null : r.value,
              expiry: gone ? 0 : r.expiry,
              flags: r.flags,
              cas: r.cas,
              revision: r.revision,
              deleted: gone,
            });
          }
          data.set(name, perScope);
          bucketManifests.push({
            name,
            uuid: settings.uuid,
            bucketType: settings.bucketType,
            ramQuotaMB: settings.ramQuotaMB,
            casHighWater: high.toString(),
            scopes: cluster
              .listScopes(name)
              .sort((a, b) => compareStrings(a.name, b.name))
              .map((s) => ({
                name: s.name,
                uid: s.uid,
                collections: s.collections
                  .slice()
                  .sort((a, b) => compareStrings(a.name, b.name))
                  .map((c) => ({ name: c.name, uid: c.uid, maxTTL: c.maxTTL, mutations: 0, tombstones: 0 })),
              })),
          });
          meter.advance(1);
        }
        const manifest: BackupManifest = {
          version: 1,
          name: nextBackupName(backupOpts.now, names),
          type: full ? 'FULL' : 'INCR',
          source: backupOpts.source,
          created: backupOpts.now.toISOString(),
          source_cluster_uuid: cluster.uuid,
          buckets: bucketManifests,
        };
        await writeBackup(repoDir, manifest, data);
        const info = await backupInfoFromDisk(repoDir, manifest);
        meter.done();
        return info;
      }),

    merge: (mergeOpts) =>
      exclusive(async () => {
        const names = await resolveRange(mergeOpts.start, mergeOpts.end);
        if (names.length < 2) {
          throw new DataError('INVALID_RANGE', 'a merge needs a range of at least two backups');
        }
        const manifests = await manifestsOf(names);
        const first = manifests[0] as BackupManifest;
        const last = manifests.at(-1) as BackupManifest;
        const startsFull = first.type === 'FULL' || first.type === 'MERGE - FULL';
        const type: BackupType = startsFull ? 'MERGE - FULL' : 'MERGE - INCR';
        let total = 0;
        for (const m of manifests) for (const b of m.buckets) total += countDocs(b);
        const meter = createProgressMeter(total, mergeOpts.onProgress);

        // Union of keyspaces; the newest backup's view of a bucket wins for its settings.
        const buckets = new Map<string, BucketManifest>();
        const collected = new Map<string, Map<string, Map<string, Map<string, StoredDocument>>>>();
        for (const m of manifests) {
          for (const b of m.buckets) {
            const prior = buckets.get(b.name);
            const merged: BucketManifest = {
              ...b,
              casHighWater: maxCas(prior?.casHighWater, b.casHighWater),
              scopes: mergeScopes(prior?.scopes ?? [], b.scopes),
            };
            buckets.set(b.name, merged);
            const perScope = getOrInsert(collected, b.name, () => new Map());
            for (const s of b.scopes) {
              const perCollection = getOrInsert(perScope, s.name, () => new Map());
              for (const c of s.collections) {
                const docs = getOrInsert(perCollection, c.name, () => new Map());
                // Later backups overwrite earlier versions of a key.
                for (const d of await readCollection(repoDir, m.name, c)) docs.set(d.key, d);
                meter.advance(c.mutations + c.tombstones);
              }
            }
          }
        }
        const data: BackupData = new Map();
        for (const [bucket, perScope] of collected) {
          const outScopes = new Map<string, Map<string, StoredDocument[]>>();
          for (const [scope, perCollection] of perScope) {
            const outCollections = new Map<string, StoredDocument[]>();
            for (const [collection, docs] of perCollection) {
              const keys = [...docs.keys()].sort(compareStrings);
              const out: StoredDocument[] = [];
              for (const key of keys) {
                const d = docs.get(key) as StoredDocument;
                // Tombstones only matter against older data; a range starting at a full backup has none.
                if (d.deleted && startsFull) continue;
                out.push(d);
              }
              outCollections.set(collection, out);
            }
            outScopes.set(scope, outCollections);
          }
          data.set(bucket, outScopes);
        }
        const manifest: BackupManifest = {
          version: 1,
          // The merged backup takes the name of the newest backup in the range, so names still sort
          // in the order of the data they hold.
          name: last.name,
          type,
          source: 'Merge',
          range: names,
          created: mergeOpts.now.toISOString(),
          source_cluster_uuid: last.source_cluster_uuid,
          buckets: [...buckets.values()],
        };
        await replaceBackup(repoDir, manifest, data, names);
        const info = await backupInfoFromDisk(repoDir, manifest);
        meter.done();
        return info;
      }),

    restore: (restoreOpts) =>
      exclusive(async () => {
        const names = await resolveRange(restoreOpts.options.start, restoreOpts.options.end);
        const run = {
          repoDir,
          backups: await manifestsOf(names),
          target: restoreOpts.target,
          options: restoreOpts.options,
          now: restoreOpts.now,
        };
        return restoreBackups(
          restoreOpts.onProgress === undefined ? run : { ...run, onProgress: restoreOpts.onProgress },
        );
      }),

    examine: (examineOpts) =>
      exclusive(async () => {
        const path = splitKeyspacePath(examineOpts.dataPath);
        if (path.length !== 1 && path.length !== 3) {
          throw new DataError(
            'INVALID_ARGUMENT',
            `data_path '${examineOpts.dataPath}' is not bucket[.scope.collection]`,
          );
        }
        if (path.some((p) => p.length === 0)) {
          throw new DataError('INVALID_ARGUMENT', `data_path '${examineOpts.dataPath}' has an empty part`);
        }
        const [bucket = '', scope = '_default', collection = '_default'] = path;
        const all = await listBackupNames(repoDir);
        const names =
          examineOpts.backups === undefined || examineOpts.backups === ''
            ? all
            : examineOpts.backups.split(',').map((n) => {
                const name = n.trim();
                if (!all.includes(name)) throw notFound(name);
                return name;
              });
        const ordered = all.filter((n) => names.includes(n));
        const entries: ExamineEntry[] = [];
        for (const name of ordered) {
          const manifest = await readManifest(repoDir, name);
          const b = manifest.buckets.find((x) => x.name === bucket);
          if (b !== undefined && path.length === 1 && isCollectionAware(b)) {
            throw new DataError(
              'INVALID_ARGUMENT',
              'examining a collection aware backup at the bucket or scope level is unsupported',
            );
          }
          const c = b?.scopes.find((s) => s.name === scope)?.collections.find((x) => x.name === collection);
          const doc =
            c === undefined
              ? undefined
              : (await readCollection(repoDir, name, c)).find((d) => d.key === examineOpts.key);
          if (doc === undefined) {
            entries.push({ backup: name, event_type: 'not_found' });
            continue;
          }
          entries.push({
            backup: name,
            event_type: doc.deleted ? 'deletion' : 'mutation',
            document: {
              key: doc.key,
              value: doc.value,
              metadata: {
                flags: doc.flags,
                expiry: doc.expiry,
                cas: doc.cas,
                revseqno: doc.revision,
                // 1 = JSON; a tombstone carries no body.
                datatype: doc.deleted ? 0 : 1,
              },
              deleted: doc.deleted,
            },
          });
        }
        return entries;
      }),

    info: (infoOpts) =>
      exclusive(async () => {
        const names = await listBackupNames(repoDir);
        const limit = infoOpts?.limit ?? 0;
        const offset = infoOpts?.offset ?? 0;
        if (!isCount(limit) || !isCount(offset)) {
          throw new DataError('INVALID_ARGUMENT', 'limit and offset must be non-negative integers');
        }
        const infos = await Promise.all(
          names.map(async (n) => backupInfoFromDisk(repoDir, await readManifest(repoDir, n))),
        );
        const page = limit === 0 ? infos.slice(offset) : infos.slice(offset, offset + limit);
        let size = 0;
        for (const i of infos) size += i.size;
        size += await fileSize(join(repoDir, REPO_META_FILE));
        const result: RepositoryInfo = { name: repo, size, count: infos.length, backups: page };
        return result;
      }),

    deleteBackup: (name) =>
      exclusive(async () => {
        const names = await listBackupNames(repoDir);
        if (!names.includes(name)) throw notFound(name);
        await rm(join(repoDir, name), { recursive: true, force: true });
      }),

    removeAll: () =>
      exclusive(async () => {
        await rm(repoDir, { recursive: true, force: true });
      }),
  };
  return repository;
}

async function prepareArchive(archive: string, repoDir: string, repo: string): Promise<void> {
  let entries: string[] | undefined;
  try {
    const s = await stat(archive);
    if (!s.isDirectory())
      throw new DataError('ARCHIVE_UNUSABLE', `archive location '${archive}' is not a directory`);
    entries = await readdir(archive);
  } catch (err) {
    if (err instanceof DataError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw unusable(archive, err);
  }
  // cbbackupmgr refuses to turn a directory holding other things into an archive.
  if (entries !== undefined && entries.length > 0 && !entries.includes(ARCHIVE_MARKER)) {
    throw new DataError(
      'ARCHIVE_UNUSABLE',
      `archive location '${archive}' is a non-empty directory that is not an archive`,
    );
  }
  try {
    await mkdir(repoDir, { recursive: true });
    await access(archive, constants.W_OK);
    if (entries === undefined || !entries.includes(ARCHIVE_MARKER)) {
      await writeFile(join(archive, ARCHIVE_MARKER), `${JSON.stringify({ version: 1 })}\n`);
    }
    if ((await fileSize(join(repoDir, REPO_META_FILE))) === 0) {
      await writeFile(join(repoDir, REPO_META_FILE), `${JSON.stringify({ version: 1, repo })}\n`);
    }
  } catch (err) {
    throw unusable(archive, err);
  }
}

async function requireDirectory(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch (err) {
    throw unusable(dir, err);
  }
  throw new DataError('ARCHIVE_UNUSABLE', `'${dir}' is not a directory`);
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function selectBuckets(cluster: ClusterData, bucket: string | undefined): string[] {
  if (bucket !== undefined) {
    if (cluster.getBucket(bucket) === undefined) {
      throw new DataError('BUCKET_NOT_FOUND', `bucket '${bucket}' does not exist`);
    }
    return [bucket];
  }
  // Memcached buckets hold no persistent data; cbbackupmgr skips them.
  return cluster
    .listBuckets()
    .filter((b) => b.bucketType !== 'memcached')
    .map((b) => b.name)
    .sort(compareStrings);
}

/** The value at `key`, inserting `make()` first when absent. */
function getOrInsert<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

function countDocs(b: BucketManifest): number {
  let n = 0;
  for (const s of b.scopes) for (const c of s.collections) n += c.mutations + c.tombstones;
  return n;
}

function maxCas(a: string | undefined, b: string): string {
  if (a === undefined) return b;
  return BigInt(a) > BigInt(b) ? a : b;
}

function mergeScopes(
  older: BucketManifest['scopes'],
  newer: BucketManifest['scopes'],
): BucketManifest['scopes'] {
  const byName = new Map<string, BucketManifest['scopes'][number]>();
  for (const s of [...older, ...newer]) {
    const prior = byName.get(s.name);
    const collections = new Map((prior?.collections ?? []).map((c) => [c.name, c]));
    for (const c of s.collections) collections.set(c.name, c);
    byName.set(s.name, {
      name: s.name,
      uid: s.uid,
      collections: [...collections.values()]
        .sort((x, y) => compareStrings(x.name, y.name))
        .map((c) => ({ name: c.name, uid: c.uid, maxTTL: c.maxTTL, mutations: 0, tombstones: 0 })),
    });
  }
  return [...byName.values()].sort((x, y) => compareStrings(x.name, y.name));
}

function isCollectionAware(b: BucketManifest): boolean {
  return b.scopes.some((s) => s.name !== '_default' || s.collections.some((c) => c.name !== '_default'));
}

function isCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

function notFound(name: string): DataError {
  return new DataError('BACKUP_NOT_FOUND', `backup '${name}' is not one of the backups in this repository`);
}

function unusable(path: string, err: unknown): DataError {
  return new DataError(
    'ARCHIVE_UNUSABLE',
    `archive location '${path}' is unusable: ${(err as Error).message}`,
  );
}
