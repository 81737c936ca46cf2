/** What route modules share: state, data layer, clock, runner, scheduler, faults and settings. */
import type { EmulatorClock } from './clock.ts';
import type { ClusterData, OpenArchiveRepository } from './data/contract.ts';
import type { Faults } from './faults.ts';
import type { Plan, Profile } from './model.ts';
import type { ClusterView } from './repository-view.ts';
import type { RequestLog } from './request-log.ts';
import type { SelfAddress } from './restore-target.ts';
import type { Scheduler } from './scheduler.ts';
import type { ServiceStore } from './store.ts';
import type { TaskDurationSettings } from './task-duration.ts';
import type { TaskRunner } from './task-runner.ts';
import type { UserDirectory } from './users.ts';

export interface ServiceContext {
  profile: Profile;
  store: ServiceStore;
  data: ClusterData;
  openArchive: OpenArchiveRepository;
  clock: EmulatorClock;
  runner: TaskRunner;
  scheduler: Scheduler;
  faults: Faults;
  view: ClusterView;
  requestLog: RequestLog;
  /** Local users; the user API changes them at run time. */
  users: UserDirectory;
  builtins: ReadonlyMap<string, Plan>;
  self(): SelfAddress;
  planOf(name: string): Plan | undefined;
  /** Runs mutations one at a time so check-then-write sequences cannot interleave. */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T>;
  /** Resolves when no task is running or waiting. */
  idle(): Promise<void>;
  /** Task pacing, changeable at run time. */
  taskDuration: TaskDurationSettings;
}

/** A serialising lock: each call starts after the previous one settled. */
export function createExclusive(): <T>(fn: () => Promise<T> | T) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T> | T): Promise<T> => {
    const run = tail.then(fn);
    tail = run.catch(() => undefined);
    return run;
  };
}
