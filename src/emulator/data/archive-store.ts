/**
 * The on-disk format of a backup repository:
 *
 *   <archive>/.backup                          marks the directory as a backup archive (cbbackupmgr does so)
 *   <archive>/<repo>/backup-meta.json          repository marker
 *   <archive>/<repo>/<backup name>/manifest.json
 *   <archive>/<repo>/<backup name>/data/<bucket>/<scope>/<collection>.jsonl   one document per line
 *
 * A backup is written into a hidden temporary directory and renamed into place when complete, so a
 * directory with a backup name is always a complete backup (a crash leaves only hidden debris,
 * cleaned up by {@link recoverRepository}).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { compareBackupNames, parseBackupName } from './backup-names.ts';
import { DataError } from './errors.ts';

export const MANIFEST_FILE = 'manifest.json';
export const REPO_META_FILE = 'backup-meta.json';
export const ARCHIVE_MARKER = '.backup';
const TMP_PREFIX = '.tmp-';
const TRASH_PREFIX = '.trash-';
/**
 * Tags the hidden work directories of this process, so that recovery (run when any repository object
 * is opened) never touches work in progress of another repository object in the same process, only
 * debris of processes that are gone. Immutable: fixed when the module loads.
 */
const PROCESS_TAG = `${process.pid}x${randomBytes(4).toString('hex')}`;

const collectionManifestSchema = z.object({
  name: z.string(),
  uid: z.number(),
  maxTTL: z.number(),
  mutations: z.number(),
  tombstones: z.number(),
  /** Data file relative to the backup directory; absent when the collection had nothing to store. */
  file: z.string().optional(),
});

const bucketManifestSchema = z.object({
  name: z.string(),
  uuid: z.string(),
  bucketType: z.enum(['couchbase', 'ephemeral', 'memcached']),
  ramQuotaMB: z.number(),
  /**
   * The sequence point this backup covers: every mutation of the bucket with a CAS up to this value
   * is in this backup or an older one of the chain. The next incremental backup takes what is above.
   */
  casHighWater: z.string(),
  scopes: z.array(
    z.object({
      name: z.string(),
      uid: z.number(),
      collections: z.array(collectionManifestSchema),
    }),
  ),
});

export const backupManifestSchema = z.object({
  version: z.literal(1),
  name: z.string(),
  type: z.enum(['FULL', 'INCR', 'MERGE - FULL', 'MERGE - INCR']),
  source: z.string(),
  range: z.array(z.string()).optional(),
  /** When the backup (or merge) was taken, ISO 8601. */
  created: z.string(),
  source_cluster_uuid: z.string(),
  buckets: z.array(bucketManifestSchema),
});

export type BackupManifest = z.infer<typeof backupManifestSchema>;
export type BucketManifest = z.infer<typeof bucketManifestSchema>;
export type CollectionManifest = z.infer<typeof collectionManifestSchema>;

/** One document version as stored in a backup (its keyspace is the file it lives in). */
export const storedDocumentSchema = z.object({
  key: z.string(),
  value: z.unknown(),
  expiry: z.number(),
  flags: z.number(),
  cas: z.string(),
  revision: z.number(),
  deleted: z.boolean(),
});
export type StoredDocument = z.infer<typeof storedDocumentSchema> & { value: unknown };

/** Documents of one backup to write, by bucket → scope → collection. */
export type BackupData = Map<string, Map<string, Map<string, StoredDocument[]>>>;

/** Encodes a bucket/scope/collection name as one safe path segment. */
export function encodeSegment(name: string): string {
  return encodeURIComponent(name).replace(/^\./, '%2E');
}

/** Backup names of a repository directory, oldest first. */
export async function listBackupNames(repoDir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(repoDir, { withFileTypes: true });
  } catch (err) {
    throw unusable(repoDir, err);
  }
  return entries
    .filter((e) => e.isDirectory() && parseBackupName(e.name) !== undefined)
    .map((e) => e.name)
    .sort(compareBackupNames);
}

/** Reads and validates a backup's manifest. */
export async function readManifest(repoDir: string, name: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await readFile(join(repoDir, name, MANIFEST_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DataError(
        'BACKUP_NOT_FOUND',
        `backup '${name}' is not one of the backups in this repository`,
      );
    }
    throw unusable(repoDir, err);
  }
  const parsed = backupManifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new DataError(
      'ARCHIVE_UNUSABLE',
      `backup '${name}' has an unreadable manifest: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

/** Reads one collection's documents from a backup (in key order); [] when it stored none. */
export async function readCollection(
  repoDir: string,
  name: string,
  collection: CollectionManifest,
): Promise<StoredDocument[]> {
  if (collection.file === undefined) return [];
  const text = await readFile(join(repoDir, name, collection.file), 'utf8');
  const out: StoredDocument[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const parsed = storedDocumentSchema.safeParse(JSON.parse(line));
    if (!parsed.success) {
      throw new DataError('ARCHIVE_UNUSABLE', `backup '${name}' has a corrupt file ${collection.file}`);
    }
    out.push(parsed.data as StoredDocument);
  }
  return out;
}

/**
 * Writes a complete backup: data files first, the manifest last, all inside a hidden directory that
 * is renamed to `name` at the end. `manifest` gets each collection's counts and file filled in.
 */
export async function writeBackup(
  repoDir: string,
  manifest: BackupManifest,
  data: BackupData,
  onCollectionWritten?: (documents: number) => void,
): Promise<void> {
  const tmp = join(repoDir, `${TMP_PREFIX}${PROCESS_TAG}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    for (const bucket of manifest.buckets) {
      for (const scope of bucket.scopes) {
        const dir = join('data', encodeSegment(bucket.name), encodeSegment(scope.name));
        let made = false;
        for (const collection of scope.collections) {
          const docs = data.get(bucket.name)?.get(scope.name)?.get(collection.name) ?? [];
          let tombstones = 0;
          for (const d of docs) if (d.deleted) tombstones++;
          collection.mutations = docs.length - tombstones;
          collection.tombstones = tombstones;
          delete collection.file;
          if (docs.length === 0) continue;
          if (!made) {
            await mkdir(join(tmp, dir), { recursive: true });
            made = true;
          }
          const file = join(dir, `${encodeSegment(collection.name)}.jsonl`);
          await writeFile(join(tmp, file), `${docs.map((d) => JSON.stringify(d)).join('\n')}\n`);
          collection.file = file;
          onCollectionWritten?.(docs.length);
        }
      }
    }
    await writeFile(join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 1));
    await rename(tmp, join(repoDir, manifest.name));
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Replaces backup `name` by the complete backup in `tmpName`'s place, then deletes `obsolete`.
 * The old directory is first renamed aside so that a crash never leaves neither version in place.
 */
export async function replaceBackup(
  repoDir: string,
  manifest: BackupManifest,
  data: BackupData,
  obsolete: readonly string[],
  onCollectionWritten?: (documents: number) => void,
): Promise<void> {
  const trash = join(repoDir, `${TRASH_PREFIX}${PROCESS_TAG}-${manifest.name}`);
  const target = join(repoDir, manifest.name);
  const staged = { ...manifest, name: `${TMP_PREFIX}${PROCESS_TAG}-stage-${randomBytes(4).toString('hex')}` };
  await writeBackup(repoDir, staged, data, onCollectionWritten);
  // writeBackup filled counts and files into staged's (shared) bucket objects; fix the name only.
  await writeFile(join(repoDir, staged.name, MANIFEST_FILE), JSON.stringify(manifest, null, 1));
  await rm(trash, { recursive: true, force: true });
  await rename(target, trash);
  await rename(join(repoDir, staged.name), target);
  await rm(trash, { recursive: true, force: true });
  for (const name of obsolete) {
    if (name !== manifest.name) await rm(join(repoDir, name), { recursive: true, force: true });
  }
}

/**
 * Finishes or undoes work a crash interrupted: puts back a backup renamed aside by a merge whose
 * replacement never arrived, drops temporary directories, and deletes backups that a completed
 * merge already absorbed.
 */
export async function recoverRepository(repoDir: string): Promise<void> {
  const entries = await readdir(repoDir, { withFileTypes: true });
  const names = new Set(entries.filter((e) => e.isDirectory()).map((e) => e.name));
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    if (
      e.name.startsWith(`${TMP_PREFIX}${PROCESS_TAG}-`) ||
      e.name.startsWith(`${TRASH_PREFIX}${PROCESS_TAG}-`)
    ) {
      continue;
    }
    if (e.name.startsWith(TRASH_PREFIX)) {
      const rest = e.name.slice(TRASH_PREFIX.length);
      const original = rest.slice(rest.indexOf('-') + 1);
      if (names.has(original)) await rm(join(repoDir, e.name), { recursive: true, force: true });
      else await rename(join(repoDir, e.name), join(repoDir, original));
    } else if (e.name.startsWith(TMP_PREFIX)) {
      await rm(join(repoDir, e.name), { recursive: true, force: true });
    }
  }
  for (const name of await listBackupNames(repoDir)) {
    const manifest = await readManifest(repoDir, name).catch(() => undefined);
    for (const absorbed of manifest?.range ?? []) {
      if (absorbed !== name) await rm(join(repoDir, absorbed), { recursive: true, force: true });
    }
  }
}

/** Total size in bytes of the regular files under `dir`, and per first-level path under `data/`. */
export async function directorySizes(
  dir: string,
): Promise<{ total: number; perBucket: Map<string, number> }> {
  const perBucket = new Map<string, number>();
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  await Promise.all(
    entries
      .filter((e) => e.isFile())
      .map(async (e) => {
        const full = join(e.parentPath, e.name);
        const size = (await stat(full)).size;
        total += size;
        const rel = full.slice(dir.length + 1).split(/[\\/]/);
        if (rel[0] === 'data' && rel[1] !== undefined)
          perBucket.set(rel[1], (perBucket.get(rel[1]) ?? 0) + size);
      }),
  );
  return { total, perBucket };
}

function unusable(path: string, err: unknown): DataError {
  return new DataError('ARCHIVE_UNUSABLE', `cannot read ${path}: ${(err as Error).message}`);
}
