/**
 * Who owns a server object, looked up in the informer caches (no request): see ownership.ts for the
 * rule. A non-owner is refused before it observes anything, so it never writes to the server, and
 * it is re-enqueued when a claimant goes (wireOwnershipRequeues in dependents.ts).
 */
import type { ControllerDeps } from './operator.ts';
import { claimantName, holdsServerObject, OwnedByOtherError, otherOwner, sameServer } from './ownership.ts';
import type { BackupPlanResource, BackupRepositoryResource, BackupServiceResource } from './resources.ts';
import type { ReadonlyDeep } from './runtime/index.ts';

type Kinds = Pick<ControllerDeps, 'kinds'>;
type Owners = Pick<ControllerDeps, 'kinds' | 'claims'>;
interface Claiming {
  metadata: ReadonlyDeep<BackupPlanResource['metadata']>;
  spec: { serviceRef: { name: string }; managementPolicy?: string | undefined };
  status?:
    | {
        conditions?: readonly { type: string; status: string; reason: string }[] | undefined;
        repo?: string | undefined;
      }
    | undefined;
}

/**
 * Whether an object has seen its server object, as its status shows (pure): a repository mirrors
 * the server's repository UUID (`status.repo`, kept while the service is unreachable); a plan has a
 * Synced verdict (True or False), not the Unknown of one that could not look. An object stuck on its
 * own BackupService (missing, wrong credentials) never reached the server and holds nothing.
 */
export function reachedServerObject(kind: 'plans' | 'repositories', o: Claiming): boolean {
  if (kind === 'repositories') return Boolean(o.status?.repo);
  const synced = o.status?.conditions?.find((c) => c.type === 'Synced');
  return synced !== undefined && synced.status !== 'Unknown';
}

/** The server plan a BackupPlan claims (its base name); Observe claims nothing. */
export const planClaim = (p: ReadonlyDeep<BackupPlanResource>): string | undefined =>
  p.spec.managementPolicy === 'Observe' ? undefined : (p.spec.planName ?? p.metadata.name);

/** The server repository a BackupRepository claims (its id); Observe claims nothing. */
export const repositoryClaim = (r: ReadonlyDeep<BackupRepositoryResource>): string | undefined =>
  r.spec.managementPolicy === 'Observe' ? undefined : (r.spec.repositoryId ?? r.metadata.name);

function serviceOf(deps: Kinds, obj: Claiming): ReadonlyDeep<BackupServiceResource> | undefined {
  return deps.kinds.services.store.get(`${obj.metadata.namespace ?? ''}/${obj.spec.serviceRef.name}`);
}

/** Objects of `all` (self included) that talk to the same Backup Service as `self`. */
export function onSameServer<T extends Claiming>(deps: Kinds, self: T, all: readonly T[]): T[] {
  const mine = serviceOf(deps, self);
  if (!mine) return [];
  return all.filter((o) => {
    const theirs = serviceOf(deps, o);
    return theirs !== undefined && sameServer(mine, theirs);
  });
}

function ownerOf<T extends Claiming>(
  deps: Owners,
  kind: 'plans' | 'repositories',
  self: T,
  claim: (o: T) => string | undefined,
): T | undefined {
  const key = claim(self);
  if (key === undefined) return undefined;
  const store = deps.kinds[kind].store as unknown as { get(key: string): T | undefined };
  const named = deps.claims.claimants(kind, key).flatMap((k) => store.get(k) ?? []);
  const claimants = onSameServer(deps, self, named);
  const meta = (o: T) => ({
    ...o.metadata,
    holds: holdsServerObject(o.status?.conditions) && reachedServerObject(kind, o),
  });
  const metas = claimants.map((c) => ({ obj: c, meta: meta(c) }));
  const owner = otherOwner(
    meta(self),
    metas.map((c) => c.meta),
  );
  return owner ? metas.find((c) => c.meta === owner)?.obj : undefined;
}

/** Throws {@link OwnedByOtherError} when another BackupPlan owns the server plan `plan` claims. */
export function assertPlanOwner(deps: Owners, plan: ReadonlyDeep<BackupPlanResource>): void {
  const owner = ownerOf(deps, 'plans', plan, planClaim);
  if (!owner) return;
  const name = claimantName(owner.metadata);
  throw new OwnedByOtherError(
    `Plan ${planClaim(plan)} on this Backup Service is managed by BackupPlan ${name} (it holds it, or is the oldest object claiming it); this object writes nothing and takes over when ${name} is gone.`,
    name,
  );
}

/** Throws {@link OwnedByOtherError} when another BackupRepository owns the repository `repo` claims. */
export function assertRepositoryOwner(deps: Owners, repo: ReadonlyDeep<BackupRepositoryResource>): void {
  const owner = ownerOf(deps, 'repositories', repo, repositoryClaim);
  if (!owner) return;
  const name = claimantName(owner.metadata);
  throw new OwnedByOtherError(
    `Repository ${repositoryClaim(repo)} on this Backup Service is managed by BackupRepository ${name} (it holds it, or is the oldest object claiming it); this object writes nothing and takes over when ${name} is gone.`,
    name,
  );
}

/**
 * Of `names`, those another BackupPlan on the same Backup Service claims as its plan name (from the
 * claim index: no scan of every plan): never taken for a version of `plan`.
 */
export function foreignPlanNames(
  deps: Owners,
  plan: ReadonlyDeep<BackupPlanResource>,
  names: readonly string[],
): Set<string> {
  const self = `${plan.metadata.namespace ?? ''}/${plan.metadata.name}`;
  const foreign = new Set<string>();
  for (const name of new Set(names)) {
    const others = deps.claims
      .claimants('plans', name)
      .filter((k) => k !== self)
      .flatMap((k) => deps.kinds.plans.store.get(k) ?? []);
    if (onSameServer(deps, plan, others).length > 0) foreign.add(name);
  }
  return foreign;
}
