import type { ClusterInfo, Plan, Repository, RepositoryPathState } from '../backup-api/index.ts';

/** The last `GET /cluster/self` of one BackupService. */
export interface ClusterObservation {
  info: ClusterInfo;
  /** Clock time (ms) of the read. */
  at: number;
}

/**
 * How old a poll may be before what it said no longer counts as the service's state (pure): three
 * poll intervals and a margin, so one slow or failed poll never marks anything stale.
 */
export function observationMaxAgeMs(pollIntervalMs: number): number {
  return 3 * pollIntervalMs + 5_000;
}

/** True when `observation` is older than {@link observationMaxAgeMs} at `nowMs` (pure). */
export function isStale(observation: ClusterObservation, pollIntervalMs: number, nowMs: number): boolean {
  return nowMs - observation.at > observationMaxAgeMs(pollIntervalMs);
}

/**
 * Whether a poll taken at `pollAtMs` is newer than the object's creation (pure; creation times have
 * whole-second precision): an absence it shows then holds for what the object wants to adopt, and a
 * server repository created after it is found by the duplicate answer of the create.
 */
export function pollSawCreation(pollAtMs: number, creationTimestamp: unknown): boolean {
  const created =
    creationTimestamp instanceof Date ? creationTimestamp.getTime() : Date.parse(String(creationTimestamp));
  return !Number.isNaN(created) && pollAtMs > created + 1_000;
}

/** Where a repository was found in an observation. */
export interface ObservedRepository {
  state: RepositoryPathState;
  repository: Repository;
}

// Later groups overwrite earlier ones in repositoriesById().
const PRECEDENCE_LOW_TO_HIGH: readonly RepositoryPathState[] = ['archived', 'imported', 'active'];

/**
 * Latest cluster state per BackupService, shared between the BackupService reconciler (which
 * polls, one request per service per interval) and the repository and one-shot reconcilers (which
 * read from here instead of asking the service themselves): the steady-state cost stays
 * O(BackupServices), not O(repositories).
 */
export interface ClusterObservations {
  get(serviceKey: string): ClusterObservation | undefined;
  /** Records a poll; returns the repository ids whose entry appeared, changed or vanished. */
  record(serviceKey: string, info: ClusterInfo, at: number): string[];
  /**
   * A repository by id in the latest observation: in `state`'s group when given, else in
   * whichever group holds it (active first, then imported, then archived).
   */
  findRepository(serviceKey: string, id: string, state?: RepositoryPathState): ObservedRepository | undefined;
  /** Records a `GET /plan` of the service; returns the plan names that appeared, changed or vanished. */
  recordPlans(serviceKey: string, plans: readonly Plan[], at: number): string[];
  /**
   * A plan by name from the service's last `GET /plan` and when that was read; undefined when the
   * plans were never listed (the caller reads the plan itself).
   */
  findPlan(serviceKey: string, name: string): { plan: Plan | undefined; at: number } | undefined;
  forget(serviceKey: string): void;
}

/** Plan names whose definition differs between two listings (pure). */
export function changedPlanNames(
  previous: ReadonlyMap<string, Plan> | undefined,
  next: ReadonlyMap<string, Plan>,
): string[] {
  const changed = new Set<string>();
  for (const [name, plan] of next) {
    const old = previous?.get(name);
    if (!old || JSON.stringify(old) !== JSON.stringify(plan)) changed.add(name);
  }
  for (const name of previous?.keys() ?? []) if (!next.has(name)) changed.add(name);
  return [...changed].sort();
}

/** Every repository of an observation keyed by id; an id present in several groups resolves to active, then imported, then archived. */
export function repositoriesById(info: ClusterInfo): Map<string, ObservedRepository> {
  const byId = new Map<string, ObservedRepository>();
  for (const state of PRECEDENCE_LOW_TO_HIGH) {
    for (const [id, repository] of Object.entries(info[state] ?? {})) byId.set(id, { state, repository });
  }
  return byId;
}

/** Ids whose entry differs between two observations (pure). */
export function changedRepositoryIds(previous: ClusterInfo | undefined, next: ClusterInfo): string[] {
  const before = previous ? repositoriesById(previous) : new Map<string, ObservedRepository>();
  const after = repositoriesById(next);
  const changed = new Set<string>();
  for (const [id, entry] of after) {
    const old = before.get(id);
    if (
      !old ||
      old.state !== entry.state ||
      JSON.stringify(old.repository) !== JSON.stringify(entry.repository)
    ) {
      changed.add(id);
    }
  }
  for (const id of before.keys()) if (!after.has(id)) changed.add(id);
  return [...changed].sort();
}

/** Creates the in-memory observation store. */
export function createClusterObservations(): ClusterObservations {
  const latest = new Map<
    string,
    { observation: ClusterObservation; byId: Map<string, ObservedRepository> }
  >();
  const plans = new Map<string, { byName: Map<string, Plan>; at: number }>();
  return {
    get: (serviceKey) => latest.get(serviceKey)?.observation,
    record(serviceKey, info, at) {
      const changed = changedRepositoryIds(latest.get(serviceKey)?.observation.info, info);
      latest.set(serviceKey, { observation: { info, at }, byId: repositoriesById(info) });
      return changed;
    },
    findRepository(serviceKey, id, state) {
      const entry = latest.get(serviceKey);
      if (!entry) return undefined;
      if (!state) return entry.byId.get(id);
      const repository = entry.observation.info[state]?.[id];
      return repository ? { state, repository } : undefined;
    },
    recordPlans(serviceKey, listed, at) {
      const byName = new Map(listed.map((p) => [p.name, p] as const));
      const changed = changedPlanNames(plans.get(serviceKey)?.byName, byName);
      plans.set(serviceKey, { byName, at });
      return changed;
    },
    findPlan(serviceKey, name) {
      const entry = plans.get(serviceKey);
      return entry ? { plan: entry.byName.get(name), at: entry.at } : undefined;
    },
    forget(serviceKey) {
      latest.delete(serviceKey);
      plans.delete(serviceKey);
    },
  };
}
