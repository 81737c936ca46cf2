/**
 * One owner per server object (a plan name, a repository id) per Backup Service. Ownership is
 * decided from the Kubernetes objects in the informer caches, level-triggered: of every object that
 * claims the same server object on the same Backup Service, in any namespace, the one that already
 * holds it wins, then the oldest (by creationTimestamp, then uid); the others write nothing and wait.
 * An object holds its server object once its status carries a Synced condition that is not an
 * ownership refusal and shows it reached the server object (server-owners.ts): the incumbent keeps
 * it against an older newcomer (creation times have whole
 * seconds, and an object stuck on its own BackupService may be older than the one that created the
 * server object). No lease or annotation is needed: status and creation times live in the API
 * server, so every replica and every restart computes the same owner from the same caches.
 */
import type { Refusal } from './engine/refusal-memory.ts';
import type { ReadonlyDeep } from './runtime/index.ts';

/** The object metadata ownership is decided from. */
export interface ClaimantMeta {
  namespace?: string | undefined;
  name: string;
  uid?: string | undefined;
  creationTimestamp?: unknown;
  /** True when its status says it holds the server object (see {@link holdsServerObject}). */
  holds?: boolean | undefined;
}

/**
 * Whether an object's status says it holds its server object (pure): it has reconciled as an owner
 * (a Synced condition) and is not refused as a non-owner.
 */
export function holdsServerObject(
  conditions: ReadonlyDeep<{ type: string; reason: string }[]> | undefined,
): boolean {
  return (
    (conditions ?? []).some((c) => c.type === 'Synced') &&
    !(conditions ?? []).some((c) => c.reason === OWNED_BY_OTHER)
  );
}

/** The BackupService fields that identify the Backup Service behind it. */
export interface ServiceIdentityFacts {
  spec: { endpoints: readonly string[] };
  status?: { nodes?: readonly { uuid: string }[] | undefined } | undefined;
}

const timeOf = (t: unknown): number => {
  const ms = t instanceof Date ? t.getTime() : Date.parse(String(t));
  // An object not yet stamped (never from the API server) sorts last.
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
};

/** Orders claimants: holders first, then oldest first by creationTimestamp (whole seconds), then uid (pure). */
export function claimOrder(a: ClaimantMeta, b: ClaimantMeta): number {
  if (Boolean(a.holds) !== Boolean(b.holds)) return a.holds ? -1 : 1;
  const byTime = timeOf(a.creationTimestamp) - timeOf(b.creationTimestamp);
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime < 0 ? -1 : 1;
  const ua = a.uid ?? '';
  const ub = b.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/** The owner among claimants: the oldest (pure); undefined when there are none. */
export function ownerAmong<T extends ClaimantMeta>(claimants: readonly T[]): T | undefined {
  return [...claimants].sort(claimOrder)[0];
}

const normalEndpoint = (e: string) => e.trim().toLowerCase().replace(/\/+$/, '');

/**
 * What identifies the Backup Service a BackupService object talks to (pure): its endpoints and the
 * node UUIDs its last poll saw. Two BackupServices (in one namespace or two) that share any of them
 * talk to the same Backup Service.
 */
export function serviceIdentity(service: ReadonlyDeep<ServiceIdentityFacts>): string[] {
  return [
    ...service.spec.endpoints.map((e) => `endpoint:${normalEndpoint(e)}`),
    ...(service.status?.nodes ?? []).map((n) => `node:${n.uuid}`),
  ];
}

/** True when two BackupServices talk to the same Backup Service (pure). */
export function sameServer(
  a: ReadonlyDeep<ServiceIdentityFacts>,
  b: ReadonlyDeep<ServiceIdentityFacts>,
): boolean {
  const mine = new Set(serviceIdentity(a));
  return serviceIdentity(b).some((id) => mine.has(id));
}

/** `namespace/name` of a claimant, as messages name the owner. */
export const claimantName = (c: ClaimantMeta): string => `${c.namespace ?? ''}/${c.name}`;

/**
 * The owner when it is another object (pure): `claimants` are every object that claims the same
 * server object on the same Backup Service, `self` included or not.
 */
export function otherOwner<T extends ClaimantMeta>(
  self: ClaimantMeta,
  claimants: readonly T[],
): T | undefined {
  const owner = ownerAmong([...claimants.filter((c) => !isSame(c, self)), self as T]);
  return owner && !isSame(owner, self) ? owner : undefined;
}

const isSame = (a: ClaimantMeta, b: ClaimantMeta) =>
  a.uid !== undefined && b.uid !== undefined
    ? a.uid === b.uid
    : a.namespace === b.namespace && a.name === b.name;

/** Condition reason of an object whose server object another object owns (every kind). */
export const OWNED_BY_OTHER = 'OwnedByOther';

/**
 * How often a refused claimant looks again by itself. The owner's deletion and spec changes
 * re-enqueue it at once; this bounds the wait when the owner stops counting in other ways (its
 * BackupService now points at another cluster, its status lost the server object).
 */
export const OWNERSHIP_RECHECK_MS = 60_000;

/** Another object owns the server object this one claims: nothing is written, this one waits. */
export class OwnedByOtherError extends Error {
  override readonly name = 'OwnedByOtherError';
  /** `namespace/name` of the owner. */
  readonly owner: string;
  constructor(message: string, owner: string) {
    super(message);
    this.owner = owner;
  }
}

/**
 * The refusal of a claimant another object owns, or undefined for any other error: it waits
 * quietly; the owner's deletion or spec change re-enqueues it (dependents.ts) and a slow re-check
 * covers the rest.
 */
export function ownedByOtherRefusal(err: unknown): Refusal | undefined {
  if (!(err instanceof OwnedByOtherError)) return undefined;
  return {
    reason: OWNED_BY_OTHER,
    message: err.message,
    waiting: true,
    recheckAfterMs: OWNERSHIP_RECHECK_MS,
  };
}
