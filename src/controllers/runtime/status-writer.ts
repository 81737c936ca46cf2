import type { KubernetesObject } from '@kubernetes/client-node';
import type { CustomResourceClient } from './kube-client.ts';

/** Deep equality of JSON values, ignoring object key order; `undefined` members count as absent. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return (
    ka.length === kb.length &&
    ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

/**
 * The RFC 7386 merge patch that turns `current` into `desired`: changed members are set, members
 * missing from `desired` become `null` (deleted), arrays are replaced whole. `undefined` when equal.
 */
export function mergePatchBetween(current: unknown, desired: unknown): unknown {
  if (jsonEqual(current, desired)) return undefined;
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(current) || !isObj(desired)) return desired === undefined ? null : desired;
  const patch: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(current), ...Object.keys(desired)])) {
    const sub = mergePatchBetween(current[key], desired[key]);
    if (sub !== undefined) patch[key] = sub;
  }
  return patch;
}

/** What {@link computeStatusPatch} decided. */
export type StatusPatch = { changed: false } | { changed: true; body: { status: unknown } };

/**
 * Pure part of the status write: the desired status always carries `observedGeneration` =
 * `metadata.generation`; the patch is empty when it deep-equals the current status.
 */
export function computeStatusPatch(
  obj: KubernetesObject & { status?: unknown },
  status: object,
): StatusPatch {
  const desired = { ...status, observedGeneration: obj.metadata?.generation };
  const patch = mergePatchBetween(obj.status ?? {}, desired);
  if (patch === undefined) return { changed: false };
  return { changed: true, body: { status: patch } };
}

/**
 * Writes `status` to the object's `/status` subresource with a JSON merge patch, only when it differs
 * from the cached object's status. Returns whether a write happened.
 *
 * Why skip equal writes: every write bumps resourceVersion and comes back as a watch event; writing
 * unconditionally turns each reconcile into the trigger of the next one.
 *
 * Caveats: the comparison is against `obj` (usually the cached copy); a stale cache causes a redundant
 * but harmless write. Pass the freshest object you have.
 */
export async function writeStatus<T extends KubernetesObject & { status?: unknown }>(
  client: Pick<CustomResourceClient<T>, 'patchStatus'>,
  obj: T,
  status: object,
): Promise<boolean> {
  const patch = computeStatusPatch(obj, status);
  if (!patch.changed) return false;
  await client.patchStatus(obj.metadata?.namespace ?? '', obj.metadata?.name ?? '', patch.body);
  return true;
}
