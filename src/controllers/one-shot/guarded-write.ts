import type { KubernetesObject } from '@kubernetes/client-node';
import { type CustomResourceClient, mergePatchBetween } from '../runtime/index.ts';

type WithStatus = KubernetesObject & { status?: unknown };

/**
 * The status merge patch from `obj`'s status to `status` (with observedGeneration), carrying
 * `obj`'s resourceVersion: the apiserver applies it only if nobody wrote the object since `obj`
 * was read and answers 409 otherwise. Undefined when nothing changes (pure).
 */
export function guardedStatusPatch(obj: WithStatus, status: object): object | undefined {
  const desired = { ...status, observedGeneration: obj.metadata?.generation };
  const patch = mergePatchBetween(obj.status ?? {}, desired);
  if (patch === undefined) return undefined;
  return { metadata: { resourceVersion: obj.metadata?.resourceVersion }, status: patch };
}

/**
 * Writes `status` only when it differs and only onto the version of the object that was read
 * (a stale read or a competing replica gets a 409, which the controller retries quietly). Returns
 * the written object, or `obj` when nothing changed.
 *
 * Why guarded: the one-shot kinds decide "send the request" from status; two writers that both
 * read "not sent" must not both record an intent.
 */
export async function writeStatusGuarded<T extends WithStatus>(
  client: Pick<CustomResourceClient<T>, 'patchStatus'>,
  obj: T,
  status: object,
): Promise<T> {
  const body = guardedStatusPatch(obj, status);
  if (body === undefined) return obj;
  return await client.patchStatus(obj.metadata?.namespace ?? '', obj.metadata?.name ?? '', body);
}
