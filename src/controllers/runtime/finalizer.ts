import type { KubernetesObject } from '@kubernetes/client-node';
import { isInvalid } from './errors.ts';
import type { CustomResourceClient, JsonPatchOp } from './kube-client.ts';
import type { ReadonlyDeep } from './store.ts';

type Obj = ReadonlyDeep<KubernetesObject> | KubernetesObject;

/** True when `obj` carries `finalizer`. */
export function hasFinalizer(obj: Obj, finalizer: string): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}

/** True when the object is being deleted (deletionTimestamp set). */
export function isDeleting(obj: Obj): boolean {
  return Boolean(obj.metadata?.deletionTimestamp);
}

/**
 * JSON patch adding `finalizer`, conditional on the finalizer list being exactly what we saw (kube-rs):
 * a `test` of the whole list (or of its absence) precedes the `add`.
 */
export function addFinalizerPatch(obj: Obj, finalizer: string): JsonPatchOp[] {
  const current = obj.metadata?.finalizers ?? [];
  if (current.length === 0) {
    return [
      { op: 'test', path: '/metadata/finalizers', value: null },
      { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
    ];
  }
  return [
    { op: 'test', path: '/metadata/finalizers', value: [...current] },
    { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
  ];
}

/** JSON patch removing `finalizer` at the index we saw it, conditional on it still being there. */
export function removeFinalizerPatch(obj: Obj, finalizer: string): JsonPatchOp[] {
  const index = obj.metadata?.finalizers?.indexOf(finalizer) ?? -1;
  if (index < 0) return [];
  return [
    { op: 'test', path: `/metadata/finalizers/${index}`, value: finalizer },
    { op: 'remove', path: `/metadata/finalizers/${index}` },
  ];
}

/** A lost finalizer race; `code` 409 so the controller retries it quietly with backoff. */
export class FinalizerConflictError extends Error {
  override readonly name = 'FinalizerConflictError';
  readonly code = 409;
}

async function patchOrConflict(
  client: Pick<CustomResourceClient<KubernetesObject>, 'jsonPatch'>,
  obj: Obj,
  ops: JsonPatchOp[],
) {
  try {
    await client.jsonPatch(obj.metadata?.namespace ?? '', obj.metadata?.name ?? '', ops);
  } catch (err) {
    // A failed `test` op is answered with 422 Invalid: someone changed the list since our read.
    if (isInvalid(err)) throw new FinalizerConflictError('finalizers changed concurrently', { cause: err });
    throw err;
  }
}

/**
 * Adds our finalizer if missing. Returns true when it patched: the caller should return and let the
 * resulting watch event start the next reconcile.
 *
 * Guarantees: the patch applies only if the finalizer list is unchanged since `obj` was read, so two
 * writers never lose each other's finalizers.
 * Assumptions: `obj` is not being deleted (adding a finalizer to a deleting object is refused by the
 * apiserver anyway).
 * Caveats: a concurrent change surfaces as {@link FinalizerConflictError} (status 409, retried
 * quietly); a 422 for any other reason (e.g. an invalid finalizer name) is reported the same way.
 */
export async function ensureFinalizer(
  client: Pick<CustomResourceClient<KubernetesObject>, 'jsonPatch'>,
  obj: Obj,
  finalizer: string,
): Promise<boolean> {
  if (hasFinalizer(obj, finalizer)) return false;
  await patchOrConflict(client, obj, addFinalizerPatch(obj, finalizer));
  return true;
}

/**
 * Removes our finalizer once cleanup is done. Returns true when it patched.
 *
 * Guarantees: only our entry is removed, and only if it is still at the index we saw.
 * Assumptions: the external cleanup finished successfully before this call; after it, the apiserver
 * may delete the object at once and the reconciler will not see it again.
 * Caveats: as {@link ensureFinalizer}. A 404 (object already gone) is not an error.
 */
export async function removeFinalizer(
  client: Pick<CustomResourceClient<KubernetesObject>, 'jsonPatch'>,
  obj: Obj,
  finalizer: string,
): Promise<boolean> {
  const ops = removeFinalizerPatch(obj, finalizer);
  if (ops.length === 0) return false;
  try {
    await patchOrConflict(client, obj, ops);
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) return false;
    throw err;
  }
  return true;
}
