import {
  type BackupClient,
  type ClusterInfo,
  isNotFound,
  type Plan,
  type PlanBody,
} from '../../backup-api/index.ts';
import { servicePollIntervalAt } from '../backup-service/poll-interval.ts';
import { observationMaxAgeMs, pollSawCreation } from '../cluster-observations.ts';
import type { ControllerDeps } from '../operator.ts';
import type { BackupPlanResource } from '../resources.ts';
import { foreignPlanNames } from '../server-owners.ts';
import type { RolloutProgress, ServerVersion } from './rollout.ts';
import { versionNames } from './versions.ts';

type PlanObj = BackupPlanResource;

/** The plan on the server (or the body just written), the repositories using it, and its versions. */
export interface PlanObserved {
  /** The current version: the published one (`status.planName`), else the base; Observe: the base. */
  plan: Plan | PlanBody | undefined;
  /** Repository ids using the current version. */
  users: string[];
  /** Manage: every version of the plan that exists on the server, with its users. */
  versions: ServerVersion[];
}

/** Repository ids (active or paused) in a cluster observation that use `planName` (pure). */
export function usersIn(info: ClusterInfo | undefined, planName: string): string[] {
  return Object.entries(info?.active ?? {})
    .filter(([, repo]) => repo.plan_name === planName)
    .map(([id]) => id)
    .sort();
}

export const planNameOf = (obj: Pick<PlanObj, 'spec' | 'metadata'>) => obj.spec.planName ?? obj.metadata.name;
export const serviceKeyOf = (obj: PlanObj) => `${obj.metadata.namespace ?? ''}/${obj.spec.serviceRef.name}`;
const uidOf = (obj: PlanObj) => obj.metadata.uid ?? `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;

/** The rollout status published last, as the rollout's own type (pure). */
export function publishedRollout(obj: Pick<PlanObj, 'status'>): RolloutProgress | undefined {
  const r = obj.status?.rollout;
  if (!r) return undefined;
  return {
    serverPlanName: r.serverPlanName,
    retiring: [...(r.retiring ?? [])],
    switched: [...(r.switched ?? [])],
    pending: [...(r.pending ?? [])],
  };
}

/** The server name of the version repositories use now (pure): published, else the base. */
export function currentVersion(obj: Pick<PlanObj, 'spec' | 'metadata' | 'status'>): string {
  if (obj.spec.managementPolicy !== 'Manage') return planNameOf(obj);
  return obj.status?.planName ?? planNameOf(obj);
}

/**
 * Reads a plan's versions from the service's last `GET /plan` and `GET /cluster/self` (one GET of
 * the current version only when that listing is stale, or older than the object), corrected by what
 * this process wrote since: plans written or deleted, repositories switched, users a refused write
 * found. That memory only bridges the time to the next poll; everything else comes from the server.
 */
export function createPlanReader(deps: ControllerDeps) {
  /** Per plan UID: plans this process wrote (null: deleted), until a listing newer than the write. */
  const written = new Map<string, Map<string, { at: number; plan: PlanBody | null }>>();
  /** Per plan UID: repositories this process switched, until a poll newer than the switch. */
  const moved = new Map<string, Map<string, { at: number; to: string }>>();
  /** Per plan UID: the users a refused write found with its own read, until a newer poll. */
  const refused = new Map<string, { at: number; name: string; users: readonly string[] }>();

  const pollOf = (obj: PlanObj) =>
    servicePollIntervalAt(deps.kinds.services.store, serviceKeyOf(obj), deps.timings.servicePollIntervalMs);
  const entry = <V>(map: Map<string, Map<string, V>>, obj: PlanObj) => {
    const inner = map.get(uidOf(obj)) ?? new Map<string, V>();
    map.set(uidOf(obj), inner);
    return inner;
  };

  /** Repository ids using `name`: the poll, corrected by our switches and a refused write's read. */
  const usersOf = (obj: PlanObj, name: string): string[] => {
    const observation = deps.observations.get(serviceKeyOf(obj));
    const fresh = refused.get(uidOf(obj));
    if (fresh && fresh.name === name && (!observation || observation.at < fresh.at)) return [...fresh.users];
    const users = new Set(usersIn(observation?.info, name));
    for (const [id, m] of moved.get(uidOf(obj)) ?? []) {
      if (observation && observation.at > m.at) continue;
      if (m.to === name) users.add(id);
      else users.delete(id);
    }
    return [...users].sort();
  };

  /** A plan by name from a fresh listing (with our newer writes); undefined when it must be read. */
  const listed = (
    obj: PlanObj,
    name: string,
    confirm: boolean,
  ): { plan: Plan | PlanBody | undefined } | undefined => {
    const found = deps.observations.findPlan(serviceKeyOf(obj), name);
    if (!found || deps.clock.now() - found.at > observationMaxAgeMs(pollOf(obj))) return undefined;
    const mine = written.get(uidOf(obj))?.get(name);
    // Our own write is newer than a listing made before it.
    if (mine && mine.at >= found.at) return { plan: mine.plan ?? undefined };
    // The current version's absence, and a presence in a listing older than the object (deleted and
    // applied again), are confirmed with one GET before anything is created.
    if (!confirm || (found.plan && pollSawCreation(found.at, obj.metadata.creationTimestamp))) {
      return { plan: found.plan };
    }
    return undefined;
  };

  const serverPlan = async (obj: PlanObj, name: string, client: BackupClient, signal: AbortSignal) => {
    const hit = listed(obj, name, name === currentVersion(obj));
    if (hit) return hit.plan;
    return await client.getPlan(name, { signal }).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
  };

  /** The names whose versions are looked at: just the current one under Observe. */
  const namesOf = (obj: PlanObj): string[] => {
    if (obj.spec.managementPolicy !== 'Manage') return [currentVersion(obj)];
    const base = planNameOf(obj);
    const names = versionNames({
      base,
      generation: obj.metadata.generation ?? 0,
      published: { planName: obj.status?.planName, retiring: obj.status?.rollout?.retiring },
      foreign: new Set(),
    });
    // A name another BackupPlan of the same server claims is never ours (its own base is: ownership).
    const foreign = foreignPlanNames(deps, obj, names);
    return names.filter((n) => n === base || !foreign.has(n));
  };

  return {
    pollOf,
    /** Reads the plan's current version and (Manage) every version on the server. */
    async observe(obj: PlanObj, client: BackupClient, signal: AbortSignal): Promise<PlanObserved> {
      const versions: ServerVersion[] = [];
      for (const name of namesOf(obj)) {
        const plan = await serverPlan(obj, name, client, signal);
        if (plan) versions.push({ name, plan, users: usersOf(obj, name) });
      }
      const current = versions.find((v) => v.name === currentVersion(obj));
      return {
        plan: current?.plan,
        users: usersOf(obj, currentVersion(obj)),
        versions: obj.spec.managementPolicy === 'Manage' ? versions : [],
      };
    },
    /** Remembers a plan this process wrote (null: deleted). */
    wrote: (obj: PlanObj, name: string, plan: PlanBody | null) =>
      entry(written, obj).set(name, { at: deps.clock.now(), plan }),
    /** Remembers a repository this process switched to `to`. */
    switched: (obj: PlanObj, repository: string, to: string) =>
      entry(moved, obj).set(repository, { at: deps.clock.now(), to }),
    /** Remembers the users a refused write of `name` found, read at `at`. */
    refusedWith: (obj: PlanObj, name: string, at: number, users: readonly string[]) =>
      refused.set(uidOf(obj), { at, name, users }),
    /** Drops the memory of plans no longer in the cache. */
    forget(live: ReadonlySet<string>) {
      for (const map of [written, moved, refused])
        for (const uid of map.keys()) if (!live.has(uid)) map.delete(uid);
    },
    uidOf,
  };
}

/** The reader {@link createPlanReader} builds. */
export type PlanReader = ReturnType<typeof createPlanReader>;
