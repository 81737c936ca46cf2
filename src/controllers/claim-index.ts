import type { KindReflectors, KindTypes } from './kinds.ts';
import { objectKey, type ReadonlyDeep } from './runtime/index.ts';
import { planClaim, repositoryClaim } from './server-owners.ts';

/** The kinds whose objects claim a server object (ownership.ts). */
export type ClaimingKind = 'plans' | 'repositories';

/** Which cached objects, in any namespace, claim a server plan name or repository id. */
export interface ClaimIndex {
  /** `namespace/name` of every object of `kind` that claims `claim` (unsorted). */
  claimants(kind: ClaimingKind, claim: string): readonly string[];
}

const CLAIMS: { [K in ClaimingKind]: (o: ReadonlyDeep<KindTypes[K]>) => string | undefined } = {
  plans: planClaim,
  repositories: repositoryClaim,
};

/**
 * Creates a {@link ClaimIndex} over the plan and repository caches, kept current by their
 * reflectors, so that an ownership check costs the claimants of one name, not a scan of every
 * object (a cold sync of N repositories would be O(N²) otherwise).
 */
export function createClaimIndex(reflectors: Pick<KindReflectors, ClaimingKind>): ClaimIndex {
  // `kind|claim` → keys; `kind|key` → the claim it is indexed under.
  const byClaim = new Map<string, Set<string>>();
  const indexed = new Map<string, string>();
  const unindex = (kind: ClaimingKind, key: string) => {
    const claim = indexed.get(`${kind}|${key}`);
    if (claim === undefined) return;
    indexed.delete(`${kind}|${key}`);
    const keys = byClaim.get(`${kind}|${claim}`);
    keys?.delete(key);
    if (keys?.size === 0) byClaim.delete(`${kind}|${claim}`);
  };
  const index = <K extends ClaimingKind>(kind: K, key: string, obj: ReadonlyDeep<KindTypes[K]>) => {
    const claim = CLAIMS[kind](obj);
    if (indexed.get(`${kind}|${key}`) === claim) return;
    unindex(kind, key);
    if (claim === undefined) return;
    indexed.set(`${kind}|${key}`, claim);
    const keys = byClaim.get(`${kind}|${claim}`) ?? new Set<string>();
    byClaim.set(`${kind}|${claim}`, keys);
    keys.add(key);
  };
  const wire = <K extends ClaimingKind>(kind: K) => {
    const reflector = reflectors[kind];
    for (const obj of reflector.store.list() as ReadonlyDeep<KindTypes[K]>[])
      index(kind, objectKey(obj as never), obj);
    reflector.addHandler((type, key, obj) => {
      if (type === 'delete') unindex(kind, key);
      else index(kind, key, obj as ReadonlyDeep<KindTypes[K]>);
    });
  };
  wire('plans');
  wire('repositories');
  return { claimants: (kind, claim) => [...(byClaim.get(`${kind}|${claim}`) ?? [])] };
}
