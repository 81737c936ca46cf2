/**
 * Keeps a repository's directory in the staging area and its objects in the store in step, as
 * cbbackupmgr's cloud backups stage locally and transfer to and from the object store: `pull`
 * before each operation makes the local copy what the store holds, `push` after a change makes
 * the store what the local copy holds.
 *
 * Crash order: data files are uploaded before the backup's manifest and a deleted backup loses its
 * manifest first, so a backup whose manifest is missing in the store is incomplete and `pull` leaves
 * it out (as the filesystem archive hides unfinished backups in hidden directories).
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { MANIFEST_FILE } from '../data/archive-store.ts';
import { parseBackupName } from '../data/backup-names.ts';
import type { ListedObject, ObjectStore } from './object-store-client.ts';

// Work in progress of the filesystem archive (temporary and trash directories) never leaves the stage.
const isWorkInProgress = (rel: string): boolean =>
  rel.split('/').some((s) => s.startsWith('.tmp-') || s.startsWith('.trash-'));

const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');

/** Files under `dir` as '/'-separated relative paths (none when `dir` does not exist). */
async function localFiles(dir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) =>
      join(e.parentPath, e.name)
        .slice(dir.length + 1)
        .split(sep)
        .join('/'),
    )
    .filter((rel) => !isWorkInProgress(rel));
}

/** Objects of complete backups and the repository's own files; incomplete backups are left out. */
function completeObjects(remote: Map<string, ListedObject>): Map<string, ListedObject> {
  const out = new Map<string, ListedObject>();
  for (const [rel, o] of remote) {
    const top = rel.split('/')[0] ?? '';
    if (isWorkInProgress(rel)) continue;
    if (parseBackupName(top) !== undefined && !remote.has(`${top}/${MANIFEST_FILE}`)) continue;
    out.set(rel, o);
  }
  return out;
}

/**
 * Makes `localDir` hold exactly the complete objects under `remoteDir` (a prefix ending in '/').
 * Returns what the store holds there, for the next `push`.
 */
export async function pull(
  store: ObjectStore,
  remoteDir: string,
  localDir: string,
): Promise<Map<string, ListedObject>> {
  const remote = await store.list(remoteDir);
  const relative = new Map<string, ListedObject>();
  for (const [rel, o] of remote) relative.set(rel.slice(remoteDir.length), o);
  const wanted = completeObjects(relative);
  await mkdir(localDir, { recursive: true });
  const local = await localFiles(localDir);
  const tops = new Set([...wanted.keys()].map((rel) => rel.split('/')[0]));
  for (const rel of local) {
    if (wanted.has(rel)) continue;
    const top = rel.split('/')[0] ?? rel;
    // A backup the store no longer holds goes as a whole directory, so it stops being listed.
    await rm(join(localDir, tops.has(top) ? rel : top), { recursive: true, force: true });
  }
  for (const [rel, o] of wanted) {
    const path = join(localDir, rel);
    const have = await readFile(path).catch(() => undefined);
    if (have !== undefined && md5(have) === o.etag) continue;
    const body = await store.get(`${remoteDir}${rel}`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
  }
  return relative;
}

/** Uploads what changed in `localDir` since `remote` was listed, then deletes what went away. */
export async function push(
  store: ObjectStore,
  remoteDir: string,
  localDir: string,
  remote: Map<string, ListedObject>,
): Promise<void> {
  const local = await localFiles(localDir);
  const present = new Set(local);
  const isManifest = (rel: string) => rel.endsWith(`/${MANIFEST_FILE}`);
  // Data before manifests: a backup is visible in the store only once all of it is there.
  const ordered = [...local.filter((r) => !isManifest(r)), ...local.filter(isManifest)];
  for (const rel of ordered) {
    const body = await readFile(join(localDir, rel));
    if (remote.get(rel)?.etag === md5(body)) continue;
    await store.put(`${remoteDir}${rel}`, body);
  }
  const gone = [...remote.keys()].filter((rel) => !present.has(rel) && !isWorkInProgress(rel));
  // Manifests first: a backup that is half deleted is incomplete, never a backup with holes.
  for (const rel of [...gone.filter(isManifest), ...gone.filter((r) => !isManifest(r))]) {
    await store.delete(`${remoteDir}${rel}`);
  }
}
