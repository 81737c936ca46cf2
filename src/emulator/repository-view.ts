/**
 * Public JSON views of repositories and the cluster (docs/backup-service-api.md §2.2, §2.5). `GET /cluster/self` is the
 * operator's polling call, so its body is serialised once per state change and reused.
 */
import { constants, gzipSync } from 'node:zlib';
import type { ClusterData } from './data/contract.ts';
import type { PathState, Plan, RepositoryRecord, TaskRun } from './model.ts';
import { locationHealth } from './object-store/location-health.ts';
import type { ServiceStore } from './store.ts';

export type PublicRepository = Record<string, unknown>;

/**
 * Health as the service reports it: the archive location must pass its check (object stores) and
 * the repository's bucket must exist with the same UUID.
 */
export function healthOf(
  rec: RepositoryRecord,
  data: ClusterData,
): { healthy: boolean; health_issue?: string } {
  if (rec.location_issue !== undefined) return locationHealth(rec.location_issue);
  return bucketHealthOf(rec, data);
}

/** The bucket check alone (what a backup trigger refuses on, §5.9). */
export function bucketHealthOf(
  rec: RepositoryRecord,
  data: ClusterData,
): { healthy: boolean; health_issue?: string } {
  if (rec.bucket === undefined) return { healthy: true };
  const bucket = data.getBucket(rec.bucket.name);
  if (bucket === undefined)
    return { healthy: false, health_issue: 'cannot verify bucket exists: element not found' };
  if (bucket.uuid !== rec.bucket.uuid) {
    return {
      healthy: false,
      health_issue: `cannot verify bucket exists: bucket UUIDs don't match \`${rec.bucket.uuid}\` != \`${bucket.uuid}\``,
    };
  }
  return { healthy: true };
}

const nonEmpty = (m: Record<string, TaskRun>): boolean => Object.keys(m).length > 0;

/** The repository as GET returns it: `scheduled` only while active (§6.2), running maps when non-empty. */
export function publicRepository(
  rec: RepositoryRecord,
  data: ClusterData,
  planOf: (name: string) => Plan | undefined,
): PublicRepository {
  const out: PublicRepository = {
    id: rec.id,
    plan_name: rec.plan_name,
    state: rec.state,
    archive: rec.archive,
    repo: rec.repo,
  };
  if (rec.bucket !== undefined) out.bucket = rec.bucket;
  if (rec.state === 'active') {
    const scheduled: Record<string, unknown> = {};
    for (const task of planOf(rec.plan_name)?.tasks ?? []) {
      const next = rec.next_runs[task.name];
      if (next !== undefined)
        scheduled[task.name] = { name: task.name, task_type: task.task_type, next_run: next };
    }
    out.scheduled = scheduled;
  }
  if (nonEmpty(rec.running_tasks)) out.running_tasks = rec.running_tasks;
  if (nonEmpty(rec.running_one_off)) out.running_one_off = rec.running_one_off;
  out.version = rec.version;
  out.health = healthOf(rec, data);
  out.creation_time = rec.creation_time;
  out.update_time = rec.update_time;
  if (rec.cloud_info !== undefined) out.cloud_info = rec.cloud_info;
  return out;
}

/** The path state a record is listed under (paused repositories live under `active`). */
export function pathStateOf(rec: RepositoryRecord): PathState {
  return rec.state === 'paused' ? 'active' : rec.state;
}

/** A serialised JSON body and, computed on first demand, its gzip encoding. */
export interface CachedBody {
  buffer: Buffer;
  gzip(): Buffer;
}

export interface ClusterView {
  /** Serialised `GET /cluster/self` body, cached until the state or the buckets change. */
  clusterJson(): CachedBody;
  find(state: PathState, id: string): RepositoryRecord | undefined;
  list(state: PathState): RepositoryRecord[];
}

/** Creates the cached cluster view over the store. */
export function createClusterView(
  store: ServiceStore,
  data: ClusterData,
  planOf: (name: string) => Plan | undefined,
): ClusterView {
  let cacheKey = '';
  let cacheBody: CachedBody = { buffer: Buffer.alloc(0), gzip: () => Buffer.alloc(0) };
  // Index by path state and id, rebuilt lazily when the store version moves.
  let indexVersion = -1;
  let index = new Map<string, RepositoryRecord>();

  const reindex = (): void => {
    if (indexVersion === store.version()) return;
    index = new Map();
    for (const rec of store.repositories.values()) index.set(`${pathStateOf(rec)}/${rec.id}`, rec);
    indexVersion = store.version();
  };

  return {
    clusterJson() {
      const buckets = data
        .listBuckets()
        .map((b) => `${b.name}:${b.uuid}`)
        .join(',');
      const key = `${store.version()}|${buckets}`;
      if (key !== cacheKey) {
        const groups: Record<PathState, Record<string, PublicRepository>> = {
          active: {},
          archived: {},
          imported: {},
        };
        for (const rec of store.repositories.values()) {
          groups[pathStateOf(rec)][rec.id] = publicRepository(rec, data, planOf);
        }
        const buffer = Buffer.from(JSON.stringify({ name: 'self', ...groups }));
        let gz: Buffer | undefined;
        cacheBody = {
          buffer,
          gzip: () => {
            gz ??= gzipSync(buffer, { level: constants.Z_BEST_SPEED });
            return gz;
          },
        };
        cacheKey = key;
      }
      return cacheBody;
    },
    find(state, id) {
      reindex();
      return index.get(`${state}/${id}`);
    },
    list(state) {
      return [...store.repositories.values()].filter((r) => pathStateOf(r) === state);
    },
  };
}
