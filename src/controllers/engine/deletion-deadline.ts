import type { KubernetesObject } from '@kubernetes/client-node';
import type { ReadonlyDeep } from '../runtime/index.ts';

/**
 * True when a deletion has waited longer than `timeoutMs` (pure). A finalizer whose Backup Service
 * or Secret is gone must not block namespace deletion forever: after this the reconciler gives up
 * on the server-side cleanup, records a Warning Event, and removes the finalizer.
 */
export function deletionDeadlinePassed(
  obj: ReadonlyDeep<KubernetesObject> | KubernetesObject,
  timeoutMs: number,
  now: number,
): boolean {
  const since = obj.metadata?.deletionTimestamp;
  if (!since) return false;
  return now - new Date(since as unknown as string).getTime() > timeoutMs;
}
