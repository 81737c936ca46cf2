/**
 * An object-store repository: the filesystem archive's logic run on a copy in the staging
 * directory, with the store as the only source of truth. Each operation pulls the repository's
 * objects first and, when it changed something, pushes the result back; a second emulator (another
 * cluster) importing the same `s3://` location therefore sees every backup the first one made.
 */
import { join } from 'node:path';
import { ARCHIVE_MARKER, REPO_META_FILE } from '../data/archive-store.ts';
import {
  type ArchiveRepository,
  DATA_ERROR_CODES,
  type OpenArchiveOptions,
  type OpenArchiveRepository,
} from '../data/contract.ts';
import { DataError } from '../data/errors.ts';
import { parseS3Location, type S3Location } from './access.ts';
import { pull, push } from './mirror.ts';
import { connectObjectStore, type ObjectStore, ObjectStoreError } from './object-store-client.ts';

/** Where the staged copy of an archive lives: `<staging>/<bucket>/<prefix>`. */
export const stagedArchiveDir = (stagingDir: string, loc: S3Location): string =>
  join(stagingDir, loc.bucket, ...(loc.prefix === '' ? [] : loc.prefix.split('/')));

/** Opens (or creates) the repository `repo` of an object-store archive. */
export async function openCloudArchiveRepository(
  opts: OpenArchiveOptions,
  openLocal: OpenArchiveRepository,
): Promise<ArchiveRepository> {
  const report = opts.onLocationCheck ?? (() => {});
  try {
    const repository = await open(opts, openLocal, report);
    report(undefined);
    return repository;
  } catch (err) {
    if (err instanceof ObjectStoreError) report(err.message);
    throw err;
  }
}

async function open(
  opts: OpenArchiveOptions,
  openLocal: OpenArchiveRepository,
  report: (issue: string | undefined) => void,
): Promise<ArchiveRepository> {
  const { archive, repo } = opts;
  const loc = parseS3Location(archive);
  if (loc === undefined) {
    // The emulator speaks S3 only; Azure and GCP archives fail their location check.
    throw new ObjectStoreError(`archive location '${archive}' is not a reachable S3 location`);
  }
  if (opts.cloud === undefined) {
    throw new ObjectStoreError(`archive location '${archive}' has no object-store credentials`);
  }
  if (repo.length === 0 || repo === '.' || repo === '..' || /[/\\]/.test(repo)) {
    throw new DataError(
      DATA_ERROR_CODES.invalidArgument,
      `repository name '${repo}' is not a single path segment`,
    );
  }
  const store = await connectObjectStore(loc, opts.cloud);
  const stagedArchive = stagedArchiveDir(opts.cloud.stagingDir, loc);
  const stagedRepo = join(stagedArchive, repo);
  const remoteRepo = `${repo}/`;

  // Reachability and permission first: a list answers NoSuchBucket, AccessDenied or a network error.
  const top = await store.list('', 1);
  let local: ArchiveRepository;
  if (opts.create) {
    if (top.size > 0 && !(await store.exists(ARCHIVE_MARKER))) {
      throw new DataError(
        DATA_ERROR_CODES.archiveUnusable,
        `archive location '${archive}' is a non-empty location that is not an archive`,
      );
    }
    await store.put(ARCHIVE_MARKER, Buffer.from(`${JSON.stringify({ version: 1 })}\n`));
    local = await openLocal({ archive: stagedArchive, repo, create: true });
    await push(store, remoteRepo, stagedRepo, new Map());
  } else {
    if (!(await store.exists(`${remoteRepo}${REPO_META_FILE}`))) {
      throw new DataError(
        DATA_ERROR_CODES.archiveUnusable,
        `repository '${repo}' does not exist in archive '${archive}'`,
      );
    }
    await pull(store, remoteRepo, stagedRepo);
    local = await openLocal({ archive: stagedArchive, repo, create: false });
  }
  return cloudRepository({ archive, repo, store, local, stagedRepo, remoteRepo, report });
}

function cloudRepository(args: {
  archive: string;
  repo: string;
  store: ObjectStore;
  local: ArchiveRepository;
  stagedRepo: string;
  remoteRepo: string;
  report: (issue: string | undefined) => void;
}): ArchiveRepository {
  const { store, local, stagedRepo, remoteRepo, report } = args;
  // One operation at a time: a pull must not replace files under a running backup.
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };
  // Every request outcome is a location check: success clears an issue, a refusal records it.
  const checked = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      const result = await work();
      report(undefined);
      return result;
    } catch (err) {
      if (err instanceof ObjectStoreError) report(err.message);
      throw err;
    }
  };
  const reading = <T>(work: () => Promise<T>): Promise<T> =>
    exclusive(() =>
      checked(async () => {
        await pull(store, remoteRepo, stagedRepo);
        return work();
      }),
    );
  const writing = <T>(work: () => Promise<T>): Promise<T> =>
    exclusive(() =>
      checked(async () => {
        const remote = await pull(store, remoteRepo, stagedRepo);
        try {
          return await work();
        } finally {
          // Also after a failed operation: what it completed (or cleaned up) reaches the store.
          await push(store, remoteRepo, stagedRepo, remote);
        }
      }),
    );

  return {
    archive: args.archive,
    repo: args.repo,
    listBackups: () => reading(() => local.listBackups()),
    backup: (o) => writing(() => local.backup(o)),
    merge: (o) => writing(() => local.merge(o)),
    restore: (o) => reading(() => local.restore(o)),
    examine: (o) => reading(() => local.examine(o)),
    info: (o) => reading(() => local.info(o)),
    deleteBackup: (name) => writing(() => local.deleteBackup(name)),
    close: () => store.close(),
    removeAll: () =>
      exclusive(() =>
        checked(async () => {
          const remote = await store.list(remoteRepo);
          const keys = [...remote.keys()];
          // Manifests first, so that nothing half deleted looks like a complete backup.
          const order = [
            ...keys.filter((k) => k.endsWith('/manifest.json')),
            ...keys.filter((k) => !k.endsWith('/manifest.json')),
          ];
          for (const key of order) await store.delete(key);
          await local.removeAll();
        }),
      ),
  };
}

/** Probes an object-store location: undefined when reachable, else the reason. */
export async function checkCloudLocation(opts: OpenArchiveOptions): Promise<string | undefined> {
  const loc = parseS3Location(opts.archive);
  if (loc === undefined || opts.cloud === undefined)
    return `archive location '${opts.archive}' is not a reachable S3 location`;
  let store: ObjectStore | undefined;
  try {
    store = await connectObjectStore(loc, opts.cloud);
    if (!(await store.exists(`${opts.repo}/${REPO_META_FILE}`))) {
      return `repository '${opts.repo}' does not exist in archive '${opts.archive}'`;
    }
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    store?.close();
  }
}

/** Wraps a filesystem archive opener so that `s3://`, `az://` and `gs://` archives go to the object store. */
export function withObjectStore(
  openLocal: OpenArchiveRepository,
  isCloud: (archive: string) => boolean,
): OpenArchiveRepository {
  return (opts) => (isCloud(opts.archive) ? openCloudArchiveRepository(opts, openLocal) : openLocal(opts));
}
