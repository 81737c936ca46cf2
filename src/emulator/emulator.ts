/**
 * createEmulator: the Backup Service emulator as an in-process HTTP server with real data.
 * Composition root of the service layer; the data layer comes from ./data.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { canWriteDataWith, DEFAULT_USERS, type EmulatorUser } from './auth.ts';
import { builtinPlans } from './builtin-plans.ts';
import { type ClockOptions, createClock, type EmulatorClock } from './clock.ts';
import type { ClusterData, CreateClusterData, OpenArchiveRepository } from './data/contract.ts';
import { createClusterData, openArchiveRepository } from './data/index.ts';
import { createFaults, type FaultSettingsInput, type Faults } from './faults.ts';
import { createRequestHandler } from './http-server.ts';
import { type Plan, type Profile, TASK_STATUS, ZERO_TIME } from './model.ts';
import { isCloudArchive } from './object-store/access.ts';
import { withObjectStore } from './object-store/cloud-archive.ts';
import { startLocationProber } from './object-store/location-health.ts';
import { createClusterView } from './repository-view.ts';
import { createRequestLog, type RequestLog } from './request-log.ts';
import { createRouter } from './router.ts';
import { clusterManagerRoutes } from './routes/cluster-manager.ts';
import { configRoutes } from './routes/config.ts';
import { emulatorRoutes } from './routes/emulator-api.ts';
import { planRoutes } from './routes/plans.ts';
import { rbacRoutes } from './routes/rbac.ts';
import { repositoryRoutes } from './routes/repositories.ts';
import { taskRoutes } from './routes/tasks.ts';
import { createScheduler } from './scheduler.ts';
import { createExclusive, type ServiceContext } from './service-context.ts';
import { openStore, type ServiceStore } from './store.ts';
import { DEFAULT_MIN_TASK_DURATION_MS, type TaskDurationSettings } from './task-duration.ts';
import { createTaskRunner } from './task-runner.ts';
import { createUserDirectory, type UserDirectory } from './users.ts';

export interface EmulatorOptions {
  /** 0 (default) = ephemeral port. */
  port?: number;
  host?: string;
  /** Where service state, cluster documents live (archives live where repositories say). */
  dataDir: string;
  profile?: Profile;
  /** Clock options, or a clock to share. Manual mode resumes from the persisted time on restart. */
  clock?: ClockOptions | EmulatorClock;
  /** Users at start (default admin:password, admin); the user API changes them at run time. */
  users?: EmulatorUser[];
  faults?: FaultSettingsInput;
  requestLogCapacity?: number;
  /**
   * Minimum emulated milliseconds every task stays `running` (default 3000, like a real backup of
   * an empty bucket); longer with more data. Tests that need speed ask for less, e.g. 0.
   */
  minTaskDurationMs?: number;
  /** Real milliseconds between location checks of object-store repositories (default 60 000; 0 = only on use). */
  locationCheckIntervalMs?: number;
  /** Replaces the data layer (tests of the service layer in isolation). */
  dataLayer?: { createClusterData: CreateClusterData; openArchiveRepository: OpenArchiveRepository };
}

export interface Emulator {
  /** Base URL, e.g. http://127.0.0.1:38211 (serves /api/v1, /_p/backup/api/v1, /pools, /_emulator). */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly profile: Profile;
  readonly clock: EmulatorClock;
  readonly faults: Faults;
  readonly data: ClusterData;
  readonly requestLog: RequestLog;
  /** Local users (also managed through `PUT|DELETE /settings/rbac/users/local/{name}`). */
  readonly users: UserDirectory;
  /** Task pacing; `minTaskDurationMs` may be changed at any time (the next task uses it). */
  readonly taskDuration: TaskDurationSettings;
  /** Service state (plans, repositories, history) for white-box assertions. */
  readonly store: ServiceStore;
  /** Resolves when no task is running or waiting. */
  idle(): Promise<void>;
  /** Stops the server (open connections are closed) and the clock's timers. */
  close(): Promise<void>;
}

const ORPHANED = 'task orphaned: the backup service restarted while the task was running';

const isClock = (c: EmulatorOptions['clock']): c is EmulatorClock =>
  c !== undefined && typeof (c as EmulatorClock).now === 'function';

/** Starts an emulator; resolves once it listens. */
export async function createEmulator(options: EmulatorOptions): Promise<Emulator> {
  const profile = options.profile ?? '7.6';
  const host = options.host ?? '127.0.0.1';
  const store = openStore(options.dataDir);
  let clock: EmulatorClock;
  if (isClock(options.clock)) {
    clock = options.clock;
  } else {
    const clockOptions = { ...(options.clock ?? {}) };
    if (clockOptions.mode === 'manual' && store.savedClockMs !== undefined)
      clockOptions.start = store.savedClockMs;
    clock = createClock(clockOptions);
  }
  const layer = options.dataLayer ?? { createClusterData, openArchiveRepository };
  // s3:// archives are staged copies of objects in a store; the filesystem archive does the rest.
  const openArchive = withObjectStore(layer.openArchiveRepository, isCloudArchive);
  const data = await layer.createClusterData({
    dir: join(options.dataDir, 'cluster'),
    now: () => clock.now(),
  });
  const faults = createFaults(options.faults);
  const requestLog = createRequestLog(options.requestLogCapacity);
  const users = createUserDirectory(options.users ?? DEFAULT_USERS, clock.now().toISOString());
  const builtins = new Map<string, Plan>(builtinPlans(profile).map((p) => [p.name, p]));
  const planOf = (name: string): Plan | undefined => builtins.get(name) ?? store.plans.get(name);
  let address = { host, port: 0, clusterUrl: '' };
  const taskDuration: TaskDurationSettings = {
    minTaskDurationMs: options.minTaskDurationMs ?? DEFAULT_MIN_TASK_DURATION_MS,
  };

  const runner = createTaskRunner({
    store,
    clock,
    data,
    openArchive,
    faults,
    self: () => address,
    canWriteData: (user, password) => canWriteDataWith(users.verify(user, password)?.roles ?? []),
    minTaskDurationMs: () => taskDuration.minTaskDurationMs,
  });
  const scheduler = createScheduler({ store, clock, runner, faults, planOf });

  // Tasks that were running when the process died are orphans: record them failed (docs/backup-service-api.md §6.5).
  const nowIso = clock.now().toISOString();
  for (const rec of store.repositories.values()) {
    const orphans = [...Object.values(rec.running_tasks), ...Object.values(rec.running_one_off)];
    if (orphans.length === 0) continue;
    for (const run of orphans) {
      run.status = TASK_STATUS.failed;
      run.end = nowIso;
      run.error = ORPHANED;
      run.error_code = 1;
      for (const n of run.node_runs) {
        if (n.end === ZERO_TIME) n.end = nowIso;
        n.status = TASK_STATUS.failed;
        n.error = ORPHANED;
        n.error_code = 1;
      }
      store.appendHistory(rec.key, run);
    }
    rec.running_tasks = {};
    rec.running_one_off = {};
    store.saveRepository(rec);
  }
  // Schedules whose time passed while the emulator was down continue at their next slot.
  for (const rec of store.repositories.values()) {
    if (rec.state !== 'active') continue;
    scheduler.resume(rec);
    store.saveRepository(rec);
  }

  const exclusive = createExclusive();
  const ctx: ServiceContext = {
    profile,
    store,
    data,
    openArchive,
    clock,
    runner,
    scheduler,
    faults,
    view: createClusterView(store, data, planOf),
    requestLog,
    users,
    builtins,
    self: () => address,
    planOf,
    exclusive,
    idle: () => runner.idle(),
    taskDuration,
  };
  const router = createRouter([
    ...planRoutes(ctx),
    ...configRoutes(ctx),
    ...repositoryRoutes(ctx),
    ...taskRoutes(ctx),
    ...clusterManagerRoutes(ctx),
    ...rbacRoutes(ctx),
    ...emulatorRoutes(ctx),
  ]);

  // Persist manual time after every move so a restart resumes where the test left it.
  const originalAdvance = clock.advance;
  const originalSet = clock.set;
  const persisting: EmulatorClock = {
    ...clock,
    advance: async (ms) => {
      await originalAdvance(ms);
      store.saveClock(clock.nowMs());
    },
    set: async (t) => {
      await originalSet(t);
      store.saveClock(clock.nowMs());
    },
  };
  ctx.clock = persisting;

  const prober = startLocationProber(store, options.locationCheckIntervalMs ?? 60_000);
  const server: Server = createServer(createRequestHandler(ctx, router));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  address = { host, port, clusterUrl: url };

  return {
    url,
    port,
    host,
    profile,
    clock: persisting,
    faults,
    data,
    requestLog,
    taskDuration,
    users,
    store,
    idle: () => runner.idle(),
    async close() {
      scheduler.stop();
      runner.stop();
      prober.stop();
      clock.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
