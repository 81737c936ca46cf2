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
interface Claiming {
  metadata: ReadonlyDeep<BackupPlanResource['metadata']>;
  spec: { serviceRef: { name: string }; managementPolicy?: string | undefined };
  status?: { conditions?: readonly { type: string; reason: string }[] | undefined } | undefined;
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
  deps: Kinds,
  self: T,
  all: readonly T[],
  claim: (o: T) => string | undefined,
): T | undefined {
  const key = claim(self);
  if (key === undefined) return undefined;
  const claimants = onSameServer(
    deps,
    self,
    all.filter((o) => claim(o) === key),
  );
  const meta = (o: T) => ({ ...o.metadata, holds: holdsServerObject(o.status?.conditions) });
  const metas = claimants.map((c) => ({ obj: c, meta: meta(c) }));
  const owner = otherOwner(
    meta(self),
    metas.map((c) => c.meta),
  );
  return owner ? metas.find((c) => c.meta === owner)?.obj : undefined;
}

/** Throws {@link OwnedByOtherError} when another BackupPlan owns the server plan `plan` claims. */
export function assertPlanOwner(deps: Kinds, plan: ReadonlyDeep<BackupPlanResource>): void {
  const all = deps.kinds.plans.store.list() as ReadonlyDeep<BackupPlanResource>[];
  const owner = ownerOf(deps, plan, all, planClaim);
  if (!owner) return;
  const name = claimantName(owner.metadata);
  throw new OwnedByOtherError(
    `Plan ${planClaim(plan)} on this Backup Service is managed by BackupPlan ${name} (it holds it, or is the oldest object claiming it); this object writes nothing and takes over when ${name} is gone.`,
    name,
  );
}

/** Throws {@link OwnedByOtherError} when another BackupRepository owns the repository `repo` claims. */
export function assertRepositoryOwner(deps: Kinds, repo: ReadonlyDeep<BackupRepositoryResource>): void {
  const all = deps.kinds.repositories.store.list() as ReadonlyDeep<BackupRepositoryResource>[];
  const owner = ownerOf(deps, repo, all, repositoryClaim);
  if (!owner) return;
  const name = claimantName(owner.metadata);
  throw new OwnedByOtherError(
    `Repository ${repositoryClaim(repo)} on this Backup Service is managed by BackupRepository ${name} (it holds it, or is the oldest object claiming it); this object writes nothing and takes over when ${name} is gone.`,
    name,
  );
}

/**
 * Plan names other BackupPlans on the same Backup Service claim or still use (their base names,
 * published and retiring versions): never taken for a version of `plan`.
 */
export function foreignPlanNames(deps: Kinds, plan: ReadonlyDeep<BackupPlanResource>): Set<string> {
  const all = deps.kinds.plans.store.list() as ReadonlyDeep<BackupPlanResource>[];
  const names = new Set<string>();
  for (const other of onSameServer(deps, plan, all)) {
    if (other.metadata.namespace === plan.metadata.namespace && other.metadata.name === plan.metadata.name)
      continue;
    names.add(other.spec.planName ?? other.metadata.name);
    if (other.status?.planName) names.add(other.status.planName);
    for (const n of other.status?.rollout?.retiring ?? []) names.add(n);
  }
  return names;
}
