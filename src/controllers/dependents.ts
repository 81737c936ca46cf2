import type { V1Secret } from '@kubernetes/client-node';
import type { ClaimIndex, ClaimingKind } from './claim-index.ts';
import { KIND_NAMES, type KindName, type KindQueues, type KindReflectors, type KindTypes } from './kinds.ts';
import { isTerminal } from './one-shot/status.ts';
import { type ReferenceIndex, repositoryIdTarget } from './reference-index.ts';
import type { References } from './references.ts';
import type { BackupPlanResource } from './resources.ts';
import { type ReadonlyDeep, type Reflector, splitKey } from './runtime/index.ts';
import { planClaim, repositoryClaim } from './server-owners.ts';

interface StatusFacts {
  metadata?: { generation?: number | undefined; deletionTimestamp?: unknown } | undefined;
  status?:
    | {
        state?: string | undefined;
        /** A BackupService's server profile: it decides which plan features may be sent. */
        profile?: string | undefined;
        planName?: string | undefined;
        conditions?: readonly { type: string; status: string }[] | undefined;
      }
    | undefined;
}

/** Whether an update of an object can change what the objects that reference it do (pure). */
export function dependentsCare(old: ReadonlyDeep<StatusFacts>, current: ReadonlyDeep<StatusFacts>): boolean {
  const ready = (o: ReadonlyDeep<StatusFacts>) =>
    o.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return (
    old.metadata?.generation !== current.metadata?.generation ||
    old.metadata?.deletionTimestamp !== current.metadata?.deletionTimestamp ||
    ready(old) !== ready(current) ||
    old.status?.state !== current.status?.state ||
    old.status?.profile !== current.status?.profile ||
    // A plan's published version: its repositories switch to it.
    old.status?.planName !== current.status?.planName
  );
}

/** Name of the object's namespace-local dependency lists that point at `kind`. */
const REF_FIELD: Partial<Record<KindName, keyof References>> = {
  services: 'services',
  plans: 'plans',
  repositories: 'repositories',
};

/** Enqueues every object of every kind whose references in `field` name `key`'s object in its namespace. */
function enqueueDependents(
  references: ReferenceIndex,
  queues: KindQueues,
  field: keyof References,
  key: string,
): void {
  const { namespace, name } = splitKey(key);
  for (const kind of KIND_NAMES) {
    for (const referrer of references.referrers(kind, namespace, `${field}:${name}`))
      queues[kind].add(`${namespace}/${referrer}`);
  }
}

/** Enqueues every object that reads Secret `key`, and every dependent of a service that reads it. */
export function enqueueSecretDependents(references: ReferenceIndex, queues: KindQueues, key: string): void {
  enqueueDependents(references, queues, 'secrets', key);
  // A service's Secrets are the credentials of every object that talks through it: their
  // refusals (a 403 on a write) are retried with the rotated Secret, not minutes later.
  const { namespace, name } = splitKey(key);
  for (const service of references.referrers('services', namespace, `secrets:${name}`))
    enqueueDependents(references, queues, 'services', `${namespace}/${service}`);
}

/**
 * Wires the cross-kind handlers: a change to a Secret, service, plan or repository re-reconciles
 * every object that references it (a service's Secret: the service's dependents too), and a run
 * that finishes re-reconciles its repository.
 */
export function wireDependents(
  reflectors: KindReflectors,
  secrets: Reflector<V1Secret>,
  queues: KindQueues,
  references: ReferenceIndex,
): void {
  // Secrets: any content change matters (rotation), so no generation filter.
  secrets.addHandler((type, key, obj, old) => {
    if (type === 'update' && old && JSON.stringify(old.data) === JSON.stringify(obj.data)) return;
    enqueueSecretDependents(references, queues, key);
  });
  for (const kind of ['services', 'plans', 'repositories'] as const) {
    const field = REF_FIELD[kind]!;
    // Dependents care about the spec and a few status facts (a plan becoming Ready lets its
    // repositories proceed), not about every status write (repository counts, timestamps).
    reflectors[kind].addHandler((type, key, obj, old) => {
      if (type === 'resync') return;
      if (type === 'update' && old && !dependentsCare(old, obj)) return;
      enqueueDependents(references, queues, field, key);
    });
  }
  // A run that finishes adds a backup: its repository refreshes its backup summary.
  reflectors.runs.addHandler((type, _key, obj, old) => {
    if (type !== 'update' || !old || old.status?.phase === obj.status?.phase) return;
    const ref = obj.spec.repository.repositoryRef;
    if (ref) queues.repositories.add(`${obj.metadata.namespace ?? ''}/${ref.name}`);
  });
}

/**
 * Re-enqueues the other claimants of a server object when a plan or repository that may own it goes
 * or changes its spec (any namespace: a claimant elsewhere may wait for this one, ownership.ts).
 */
export function wireOwnershipRequeues(
  reflectors: Pick<KindReflectors, ClaimingKind>,
  queues: Pick<KindQueues, ClaimingKind>,
  claims: ClaimIndex,
): void {
  const wire = <K extends ClaimingKind>(
    kind: K,
    claim: (o: ReadonlyDeep<KindTypes[K]>) => string | undefined,
  ) => {
    reflectors[kind].addHandler((type, key, obj, old) => {
      if (type === 'resync' || type === 'add') return;
      if (type === 'update' && old?.metadata.generation === obj.metadata.generation) return;
      const names = new Set([claim(obj), old ? claim(old) : undefined]);
      for (const name of names) {
        if (name === undefined) continue;
        for (const other of claims.claimants(kind, name)) if (other !== key) queues[kind].add(other);
      }
    });
  };
  wire('plans', planClaim);
  wire('repositories', repositoryClaim);
}

/**
 * Builds `ControllerDeps.repositoriesChanged`: enqueues the repositories of the service whose ids
 * changed, the service's plans, and the runs and restores that follow those repositories (from
 * the reference index: the cost is that of the objects enqueued, not of the namespace).
 */
export function createRepositoriesChanged(
  reflectors: KindReflectors,
  queues: KindQueues,
  references: ReferenceIndex,
): (serviceKey: string, ids: readonly string[]) => void {
  return (serviceKey, ids) => {
    if (ids.length === 0) return;
    const { namespace, name: serviceName } = splitKey(serviceKey);
    const changed = new Set(ids);
    const followers = new Set<string>();
    for (const name of references.referrers('repositories', namespace, `services:${serviceName}`)) {
      const repo = reflectors.repositories.store.get(`${namespace}/${name}`);
      if (!repo || !changed.has(repo.spec.repositoryId ?? repo.metadata.name)) continue;
      queues.repositories.add(`${namespace}/${name}`);
      for (const kind of ['runs', 'restores'] as const)
        for (const f of references.referrers(kind, namespace, `repositories:${name}`))
          followers.add(`${kind}/${f}`);
    }
    // A plan the server refused to change or delete while a repository used it, or one rolling a
    // new version out, can proceed once the repositories change. A settled plan cannot: enqueueing
    // every plan of the service on every poll with changes cost a reconcile per plan per poll.
    for (const plan of references.referrers('plans', namespace, `services:${serviceName}`)) {
      if (planAwaitsRepositories(reflectors.plans.store.get(`${namespace}/${plan}`)))
        queues.plans.add(`${namespace}/${plan}`);
    }
    for (const id of changed)
      for (const kind of ['runs', 'restores'] as const)
        for (const f of references.referrers(kind, namespace, repositoryIdTarget(serviceName, id)))
          followers.add(`${kind}/${f}`);
    for (const follower of followers) {
      const slash = follower.indexOf('/');
      const kind = follower.slice(0, slash) as 'runs' | 'restores';
      const key = `${namespace}/${follower.slice(slash + 1)}`;
      // A finished run or restore has nothing left to follow: no reconcile per poll.
      if (!isTerminal(reflectors[kind].store.get(key)?.status?.phase)) queues[kind].add(key);
    }
  };
}

/** Whether a plan's next step depends on which repositories use it (pure): refused, rolling out, deleting, not Ready. */
export function planAwaitsRepositories(plan: ReadonlyDeep<BackupPlanResource> | undefined): boolean {
  if (!plan) return false;
  const ready = plan.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  return (
    !ready ||
    plan.metadata.deletionTimestamp !== undefined ||
    plan.status?.refusal !== undefined ||
    plan.status?.rollout !== undefined
  );
}
