/**
 * Runs backup, merge, restore and prune tasks through the data layer and keeps their records:
 * a running entry in the repository's `running_one_off` / `running_tasks`, then a history entry
 * (docs/backup-service-api.md §6.5). One task runs per repository at a time; tasks submitted meanwhile wait in order
 * (status `waiting`), the single-backup-node behaviour of §6.3.
 */
import { randomUUID } from 'node:crypto';
import type { EmulatorClock } from './clock.ts';
import type {
  ArchiveRepository,
  BackupInfo,
  ClusterData,
  OpenArchiveRepository,
  RestoreOptions,
} from './data/contract.ts';
import type { Faults } from './faults.ts';
import {
  type MergeOptions,
  type RepositoryRecord,
  type RunType,
  TASK_STATUS,
  type TaskRun,
  ZERO_TIME,
} from './model.ts';
import { cloudOpenOptions } from './object-store/location-health.ts';
import { type CanWriteData, resolveRestoreTarget, type SelfAddress } from './restore-target.ts';
import { computeExpiry } from './retention.ts';
import { backupNameTime, mergeWindow } from './schedule.ts';
import type { ServiceStore } from './store.ts';
import { pacedProgress, realWaitMs, taskDurationMs } from './task-duration.ts';

export type TaskSpec =
  | { type: 'BACKUP'; full: boolean }
  | { type: 'MERGE'; start?: string; end?: string; window?: MergeOptions }
  | { type: 'RESTORE'; target: string; user: string; password: string; options: RestoreOptions }
  | { type: 'PRUNE' };

export interface TaskRunnerDeps {
  store: ServiceStore;
  clock: EmulatorClock;
  data: ClusterData;
  openArchive: OpenArchiveRepository;
  faults: Faults;
  self: () => SelfAddress;
  canWriteData: CanWriteData;
  /** The minimum emulated milliseconds a task stays running (read at each task start). */
  minTaskDurationMs: () => number;
}

export interface TaskRunner {
  /** Queues a task; resolves when it has finished (done or failed). */
  submit(key: string, name: string, spec: TaskSpec, scheduled: boolean): Promise<void>;
  /** Whether a task of that name is running or waiting on the repository. */
  has(key: string, name: string): boolean;
  /** The archive handle of a repository (opened once, then cached). */
  archiveOf(rec: RepositoryRecord): Promise<ArchiveRepository>;
  forget(key: string): void;
  /** Resolves when no task is running or waiting anywhere. */
  idle(): Promise<void>;
  /**
   * Stops pacing: tasks still running end without writing anything, as when the process dies
   * (the next start reports them orphaned).
   */
  stop(): void;
}

interface Job {
  name: string;
  spec: TaskSpec;
  scheduled: boolean;
  done: () => void;
}

interface RepoQueue {
  running: boolean;
  pending: Job[];
  names: Set<string>;
}

/** Error text → task failure; data-layer errors keep their message. */
class TaskFailure extends Error {}

/** The runner was stopped while a task ran: nothing more is written. */
class RunnerStopped extends Error {}

/** What one task did: node-run stats and the documents it moved (which set its duration). */
interface Outcome {
  stats: Record<string, unknown> | undefined;
  items: number;
}

const itemsOf = (info: BackupInfo): number => info.buckets.reduce((n, b) => n + b.items, 0);

const RUN_TYPE: Record<TaskSpec['type'], RunType> = {
  BACKUP: 'BACKUP',
  MERGE: 'MERGE',
  RESTORE: 'RESTORE',
  PRUNE: 'PRUNE',
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** A wait that does not keep the process alive (an emulator closed mid-task must not linger). */
const sleepUnref = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** How often a paced task's progress moves, at most: twenty steps per task. */
const PROGRESS_STEPS = 20;
const MIN_PROGRESS_STEP_MS = 50;

/** Creates the task runner. */
export function createTaskRunner(deps: TaskRunnerDeps): TaskRunner {
  const { store, clock, data, faults } = deps;
  const queues = new Map<string, RepoQueue>();
  const archives = new Map<string, Promise<ArchiveRepository>>();
  let active = 0;
  let idleWaiters: Array<() => void> = [];
  let stopped = false;

  const queueOf = (key: string): RepoQueue => {
    let q = queues.get(key);
    if (q === undefined) {
      q = { running: false, pending: [], names: new Set() };
      queues.set(key, q);
    }
    return q;
  };

  const archiveOf = (rec: RepositoryRecord): Promise<ArchiveRepository> => {
    let a = archives.get(rec.key);
    if (a === undefined) {
      a = deps.openArchive({
        archive: rec.archive,
        repo: rec.repo,
        create: false,
        ...cloudOpenOptions(rec, store),
      });
      a.catch(() => archives.delete(rec.key));
      archives.set(rec.key, a);
    }
    return a;
  };

  const runningMap = (rec: RepositoryRecord, scheduled: boolean): Record<string, TaskRun> =>
    scheduled ? rec.running_tasks : rec.running_one_off;

  const newRun = (name: string, spec: TaskSpec, status: TaskRun['status']): TaskRun => {
    const run: TaskRun = {
      task_name: name,
      status,
      start: clock.now().toISOString(),
      end: ZERO_TIME,
      node_runs: [],
      error_code: 0,
      type: RUN_TYPE[spec.type],
    };
    if (spec.type === 'RESTORE') run.target_cluster = spec.target;
    return run;
  };

  const transferStats = (description: string, buckets: Record<string, unknown>, now: Date) => ({
    id: randomUUID(),
    current_transfer: 1,
    total_transfers: 1,
    transfers: [{ description, stats: { buckets, complete: true }, progress: 100, eta: now.toISOString() }],
    progress: 100,
    eta: now.toISOString(),
  });

  const backupStats = (info: BackupInfo, verb: string, now: Date) =>
    transferStats(
      `${verb} ${info.date}`,
      Object.fromEntries(
        info.buckets.map((b) => [
          b.name,
          {
            total_items: b.items,
            total_vbuckets: 1024,
            vbuckets_complete: 1024,
            bytes_received: b.size,
            failover_logs_received: 1024,
            complete: true,
          },
        ]),
      ),
      now,
    );

  // The work of one task; returns node-run stats, throws on failure.
  const execute = async (
    rec: RepositoryRecord,
    spec: TaskSpec,
    now: Date,
    onProgress: (p: number) => void,
  ): Promise<Outcome> => {
    const archive = await archiveOf(rec);
    switch (spec.type) {
      case 'BACKUP': {
        if (rec.bucket !== undefined) {
          const bucket = data.getBucket(rec.bucket.name);
          if (bucket === undefined || bucket.uuid !== rec.bucket.uuid) {
            throw new TaskFailure(
              `failed bucket check for bucket '${rec.bucket.name}': ${
                bucket === undefined
                  ? 'element not found'
                  : `bucket UUIDs don't match \`${rec.bucket.uuid}\` != \`${bucket.uuid}\``
              }`,
            );
          }
        }
        const info = await archive.backup({
          cluster: data,
          ...(rec.bucket === undefined ? {} : { bucket: rec.bucket.name }),
          full: spec.full,
          now,
          source: deps.self().clusterUrl,
          onProgress,
        });
        return { stats: backupStats(info, 'Backing up to', now), items: itemsOf(info) };
      }
      case 'MERGE': {
        const names = await archive.listBackups();
        let start = spec.start;
        let end = spec.end;
        for (const n of [start, end]) {
          if (n !== undefined && n !== '' && !names.includes(n)) {
            throw new TaskFailure(`backup ${n} is not one of the backups in this repository`);
          }
        }
        if (spec.window !== undefined) {
          const w = mergeWindow(spec.window, now);
          const inWindow = names.filter((n) => {
            const t = backupNameTime(n);
            return t >= w.from && t <= w.to;
          });
          // Nothing to combine: the merge completes without touching the archive.
          if (inWindow.length < 2) return { stats: undefined, items: 0 };
          start = inWindow[0];
          end = inWindow[inWindow.length - 1];
        }
        const info = await archive.merge({
          ...(start ? { start } : {}),
          ...(end ? { end } : {}),
          now,
          onProgress,
        });
        return { stats: backupStats(info, 'Merging to', now), items: itemsOf(info) };
      }
      case 'RESTORE': {
        const target = resolveRestoreTarget(spec.target, deps.self());
        if (target === undefined) {
          throw new TaskFailure(`could not connect to cluster ${spec.target}: connection refused`);
        }
        if (!deps.canWriteData(spec.user, spec.password)) {
          throw new TaskFailure(
            `failed to connect to cluster ${spec.target}: authentication failed for user '${spec.user}'`,
          );
        }
        const names = await archive.listBackups();
        for (const n of [spec.options.start, spec.options.end]) {
          if (n !== undefined && n !== '' && !names.includes(n)) {
            throw new TaskFailure(`backup ${n} is not one of the backups in this repository`);
          }
        }
        const result = await archive.restore({ target: data, options: spec.options, now, onProgress });
        const stats = transferStats(
          `Restoring ${result.backups.join(', ')}`,
          Object.fromEntries(Object.entries(result.restored).map(([b, r]) => [b, { ...r, complete: true }])),
          now,
        );
        const items = Object.values(result.restored).reduce((n, r) => n + r.mutations + r.deletions, 0);
        return { stats, items };
      }
      case 'PRUNE': {
        const info = await archive.info();
        const expiry = computeExpiry(info.backups, rec.retention, now.getTime());
        for (const name of expiry.deletable) await archive.deleteBackup(name);
        return { stats: { pruned: expiry.deletable }, items: 0 };
      }
    }
  };

  const finishIdle = (): void => {
    if (active === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  };

  // Holds a task running until `totalMs` real ms after it started, moving its progress.
  const pace = async (nodeRun: TaskRun['node_runs'][number], startedReal: number, totalMs: number) => {
    if (totalMs <= 0) return;
    const step = Math.max(MIN_PROGRESS_STEP_MS, totalMs / PROGRESS_STEPS);
    for (;;) {
      if (stopped) throw new RunnerStopped();
      const elapsed = performance.now() - startedReal;
      if (elapsed >= totalMs) return;
      const progress = pacedProgress(elapsed, totalMs);
      if (progress !== nodeRun.progress) {
        nodeRun.progress = progress;
        store.touch();
      }
      await sleepUnref(Math.min(step, totalMs - elapsed));
    }
  };

  const runJob = async (key: string, job: Job): Promise<void> => {
    const rec = store.repositories.get(key);
    if (rec === undefined) return;
    const map = runningMap(rec, job.scheduled);
    const run = map[job.name] ?? newRun(job.name, job.spec, TASK_STATUS.running);
    const now = clock.now();
    run.status = TASK_STATUS.running;
    run.start = clock.now().toISOString();
    const nodeRun: TaskRun['node_runs'][number] = {
      node_id: store.node.uuid,
      status: TASK_STATUS.running,
      start: run.start,
      end: ZERO_TIME,
      progress: 0,
      error_code: 0,
    };
    run.node_runs = [nodeRun];
    map[job.name] = run;
    store.saveRepository(rec);

    let error: string | undefined;
    let outcome: Outcome | undefined;
    const startedReal = performance.now();
    const minMs = deps.minTaskDurationMs();
    try {
      const delay = faults.get().taskDelayMs;
      if (delay > 0) await sleep(delay);
      const injected = faults.takeTaskFailure(rec.id);
      if (injected !== undefined) throw new TaskFailure(injected);
      outcome = await execute(rec, job.spec, now, (p) => {
        // A paced task shows its progress from the pacing below, not the instant work.
        if (minMs > 0) return;
        nodeRun.progress = Math.max(0, Math.min(100, p));
        store.touch();
      });
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    // Failures take the minimum too: a real task fails after starting cbbackupmgr.
    const total = realWaitMs(taskDurationMs(minMs, outcome?.items ?? 0), clock.mode, clock.scale());
    try {
      await pace(nodeRun, startedReal, total);
    } catch (err) {
      if (err instanceof RunnerStopped) return;
      throw err;
    }
    const stats = outcome?.stats;

    const end = clock.now().toISOString();
    const status = error === undefined ? TASK_STATUS.done : TASK_STATUS.failed;
    nodeRun.status = status;
    nodeRun.end = end;
    if (error === undefined) nodeRun.progress = 100;
    if (stats !== undefined) nodeRun.stats = stats;
    run.status = status;
    run.end = end;
    if (error !== undefined) {
      nodeRun.error = error;
      nodeRun.error_code = 1;
      run.error = error;
      run.error_code = 1;
    }
    // The record may have been archived (same key) or deleted while the task ran.
    const current = store.repositories.get(key);
    if (current !== undefined) {
      delete runningMap(current, job.scheduled)[job.name];
      store.appendHistory(key, run);
      store.saveRepository(current);
    }
  };

  const pump = (key: string): void => {
    const q = queueOf(key);
    if (q.running) return;
    const job = q.pending.shift();
    if (job === undefined) {
      queues.delete(key);
      return;
    }
    q.running = true;
    void runJob(key, job)
      .catch(() => undefined)
      .finally(() => {
        q.running = false;
        q.names.delete(job.name);
        active--;
        job.done();
        pump(key);
        finishIdle();
      });
  };

  return {
    submit(key, name, spec, scheduled) {
      const rec = store.repositories.get(key);
      if (rec === undefined) return Promise.resolve();
      const q = queueOf(key);
      const map = runningMap(rec, scheduled);
      map[name] = newRun(name, spec, q.running ? TASK_STATUS.waiting : TASK_STATUS.running);
      // Persisted before the trigger answers 200, so a restart can report it orphaned.
      store.saveRepository(rec);
      active++;
      q.names.add(name);
      return new Promise<void>((resolve) => {
        q.pending.push({ name, spec, scheduled, done: resolve });
        pump(key);
      });
    },
    has: (key, name) => queues.get(key)?.names.has(name) ?? false,
    archiveOf,
    forget(key) {
      void archives.get(key)?.then(
        (a) => a.close?.(),
        () => {},
      );
      archives.delete(key);
    },
    idle: () => (active === 0 ? Promise.resolve() : new Promise((r) => idleWaiters.push(r))),
    stop() {
      stopped = true;
      for (const a of archives.values())
        void a.then(
          (h) => h.close?.(),
          () => {},
        );
    },
  };
}
