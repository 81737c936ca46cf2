/**
 * Fires plan tasks of active repositories at their next_run (docs/backup-service-api.md §6.3). One clock timer per
 * (repository, task); each firing first computes and persists the following next_run, then runs
 * the task unless it is still running (a new instance of a running task is not started, §6.3) or
 * the service is paused (tasks due while the leader is lost are skipped).
 */
import type { EmulatorClock } from './clock.ts';
import type { Faults } from './faults.ts';
import type { Plan, RepositoryRecord, TaskTemplate } from './model.ts';
import { isCloudArchive } from './object-store/access.ts';
import { nextRun, nextRunAfter } from './schedule.ts';
import type { ServiceStore } from './store.ts';
import type { TaskRunner, TaskSpec } from './task-runner.ts';

export interface SchedulerDeps {
  store: ServiceStore;
  clock: EmulatorClock;
  runner: TaskRunner;
  faults: Faults;
  planOf: (name: string) => Plan | undefined;
}

export interface Scheduler {
  /** Fresh next_runs for a new (or re-planned) repository; runs start_now tasks. */
  initialise(rec: RepositoryRecord): void;
  /** Resume: keep each next_run that is still ahead, else the next slot on its sequence (§5.8). */
  resume(rec: RepositoryRecord): void;
  /** (Re)arms the timers of a repository from its state and next_runs. */
  sync(rec: RepositoryRecord): void;
  cancel(key: string): void;
  stop(): void;
}

/** The task spec of a plan task template. */
export function specOf(task: TaskTemplate): TaskSpec {
  switch (task.task_type) {
    case 'BACKUP':
      return { type: 'BACKUP', full: task.full_backup === true };
    case 'MERGE':
      return { type: 'MERGE', window: task.merge_options ?? { offset_start: 0, offset_end: 0 } };
    case 'PRUNE':
      return { type: 'PRUNE' };
  }
}

/** Creates the scheduler. */
export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { store, clock, runner, faults } = deps;
  const timers = new Map<string, Array<() => void>>();

  const cancel = (key: string): void => {
    for (const c of timers.get(key) ?? []) c();
    timers.delete(key);
  };

  const fire = async (key: string, task: TaskTemplate, firedAt: Date): Promise<void> => {
    const rec = store.repositories.get(key);
    if (rec === undefined || rec.state !== 'active') return;
    rec.next_runs[task.name] = nextRun(task.schedule, firedAt).toISOString();
    store.saveRepository(rec);
    arm(rec, task);
    if (faults.get().servicePaused || runner.has(key, task.name)) return;
    // Merges scheduled on cloud repositories are skipped (§6.3).
    if (task.task_type === 'MERGE' && isCloudArchive(rec.archive)) return;
    const done = runner.submit(key, task.name, specOf(task), true);
    // Manual time waits for each task so an advance is deterministic; real time must not
    // hold every other schedule back while one task runs.
    if (clock.mode === 'manual') await done;
  };

  const arm = (rec: RepositoryRecord, task: TaskTemplate): void => {
    const next = rec.next_runs[task.name];
    if (next === undefined) return;
    const key = rec.key;
    const cancelTimer = clock.at(Date.parse(next), (at) => fire(key, task, at));
    const list = timers.get(key) ?? [];
    list.push(cancelTimer);
    timers.set(key, list);
  };

  const tasksOf = (rec: RepositoryRecord): TaskTemplate[] => deps.planOf(rec.plan_name)?.tasks ?? [];

  const sync = (rec: RepositoryRecord): void => {
    cancel(rec.key);
    if (rec.state !== 'active') return;
    for (const task of tasksOf(rec)) arm(rec, task);
  };

  return {
    initialise(rec) {
      const now = clock.now();
      rec.next_runs = {};
      for (const task of tasksOf(rec)) rec.next_runs[task.name] = nextRun(task.schedule, now).toISOString();
      sync(rec);
      for (const task of tasksOf(rec)) {
        if (task.schedule.start_now && rec.state === 'active') {
          void runner.submit(rec.key, task.name, specOf(task), true);
        }
      }
    },
    resume(rec) {
      const now = clock.now();
      for (const task of tasksOf(rec)) {
        const saved = rec.next_runs[task.name];
        rec.next_runs[task.name] = (
          saved === undefined
            ? nextRun(task.schedule, now)
            : nextRunAfter(task.schedule, new Date(saved), now)
        ).toISOString();
      }
      sync(rec);
    },
    sync,
    cancel,
    stop() {
      for (const key of [...timers.keys()]) cancel(key);
    },
  };
}
