/**
 * Acknowledged service state and its persistence. Every mutation is written synchronously (temp
 * file + rename) before the route answers, so kill -9 after a 200 loses nothing. One small file
 * per plan, repository and history keeps writes O(entity), not O(state). Reads never touch disk.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan, RepositoryRecord, ServiceConfig, TaskRun } from './model.ts';

const MIB = 1024 * 1024;

/** Task history of one repository: two rotation segments, newest first (docs/backup-service-api.md §3.3 semantics). */
export interface HistoryLog {
  current: TaskRun[];
  previous: TaskRun[];
  currentBytes: number;
}

export interface NodeIdentity {
  uuid: string;
}

export interface ServiceStore {
  readonly node: NodeIdentity;
  readonly plans: Map<string, Plan>;
  /** Keyed by RepositoryRecord.key. */
  readonly repositories: Map<string, RepositoryRecord>;
  config: ServiceConfig;
  nodesThreads: Record<string, number> | undefined;
  /** Persisted emulated time of the last clock save (manual mode restarts from it). */
  readonly savedClockMs: number | undefined;
  /** Bumped on every mutation; caches of serialised views compare it. */
  version(): number;
  touch(): void;
  /** Sets and persists (also in the map). */
  savePlan(plan: Plan): void;
  deletePlan(name: string): void;
  saveRepository(rec: RepositoryRecord): void;
  deleteRepository(key: string): void;
  history(key: string): HistoryLog;
  /** Prepends a finished task and rotates by history_rotation_size. */
  appendHistory(key: string, run: TaskRun): void;
  saveConfig(): void;
  saveNodesThreads(): void;
  saveClock(ms: number): void;
}

function writeAtomic(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function readDir<T>(dir: string): T[] {
  const out: T[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    const v = readJson<T>(join(dir, f));
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** Opens (creating if needed) the store under `dir/service`. */
export function openStore(dir: string): ServiceStore {
  const root = join(dir, 'service');
  const dirs = {
    plans: join(root, 'plans'),
    repos: join(root, 'repositories'),
    history: join(root, 'history'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });

  const nodeFile = join(root, 'node.json');
  let node = readJson<NodeIdentity>(nodeFile);
  if (node === undefined) {
    node = { uuid: randomUUID().replaceAll('-', '') };
    writeAtomic(nodeFile, JSON.stringify(node));
  }
  const plans = new Map(readDir<Plan>(dirs.plans).map((p) => [p.name, p]));
  const repositories = new Map(readDir<RepositoryRecord>(dirs.repos).map((r) => [r.key, r]));
  const configFile = join(root, 'config.json');
  const threadsFile = join(root, 'nodes-threads.json');
  const clockFile = join(root, 'clock.json');
  let config = readJson<ServiceConfig>(configFile) ?? { history_rotation_size: 50 };
  let nodesThreads = readJson<Record<string, number>>(threadsFile);
  const savedClockMs = readJson<{ nowMs: number }>(clockFile)?.nowMs;
  const historyFile = (key: string): string => join(dirs.history, `${key}.json`);
  // Loaded eagerly so GET taskHistory never touches the disk.
  const histories = new Map<string, HistoryLog>();
  for (const key of repositories.keys()) {
    const log = readJson<HistoryLog>(historyFile(key));
    if (log !== undefined) histories.set(key, log);
  }
  let version = 0;

  const sizeOf = (run: TaskRun): number => Buffer.byteLength(JSON.stringify(run));

  const store: ServiceStore = {
    node,
    plans,
    repositories,
    get config() {
      return config;
    },
    set config(c) {
      config = c;
    },
    get nodesThreads() {
      return nodesThreads;
    },
    set nodesThreads(m) {
      nodesThreads = m;
    },
    savedClockMs,
    version: () => version,
    touch() {
      version++;
    },
    savePlan(plan) {
      plans.set(plan.name, plan);
      writeAtomic(join(dirs.plans, `${plan.name}.json`), JSON.stringify(plan));
      version++;
    },
    deletePlan(name) {
      plans.delete(name);
      rmSync(join(dirs.plans, `${name}.json`), { force: true });
      version++;
    },
    saveRepository(rec) {
      repositories.set(rec.key, rec);
      writeAtomic(join(dirs.repos, `${rec.key}.json`), JSON.stringify(rec));
      version++;
    },
    deleteRepository(key) {
      repositories.delete(key);
      rmSync(join(dirs.repos, `${key}.json`), { force: true });
      rmSync(historyFile(key), { force: true });
      histories.delete(key);
      version++;
    },
    history(key) {
      let log = histories.get(key);
      if (log === undefined) {
        log = { current: [], previous: [], currentBytes: 0 };
        histories.set(key, log);
      }
      return log;
    },
    appendHistory(key, run) {
      const log = store.history(key);
      log.current.unshift(run);
      log.currentBytes += sizeOf(run);
      // Rotation keeps two files, like the service's history.0/history.1 (§3.3).
      if (log.currentBytes > config.history_rotation_size * MIB) {
        log.previous = log.current;
        log.current = [];
        log.currentBytes = 0;
      }
      writeAtomic(historyFile(key), JSON.stringify(log));
      version++;
    },
    saveConfig() {
      writeAtomic(configFile, JSON.stringify(config));
      version++;
    },
    saveNodesThreads() {
      writeAtomic(threadsFile, JSON.stringify(nodesThreads ?? {}));
      version++;
    },
    saveClock(ms) {
      writeAtomic(clockFile, JSON.stringify({ nowMs: ms }));
    },
  };
  return store;
}
