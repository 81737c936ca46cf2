import { type ReconcileContext, type ReconcileOutcome, removeFinalizer } from '../runtime/index.ts';
import { deletionDeadlinePassed } from './deletion-deadline.ts';
import type { EngineCore } from './engine-core.ts';
import type { ManagedObject } from './managed-kind.ts';

/** Shortest and longest pause between two cleanup attempts while deletion waits. */
const CLEANUP_RETRY_MIN_MS = 500;
const CLEANUP_RETRY_MAX_MS = 30_000;

/**
 * Deletion of an object that carries the finalizer: the kind's cleanup, then the finalizer goes.
 * While the cleanup fails, status says why and the object is looked at again, never past the
 * deadline; at the deadline the engine gives up with the kind's Warning and removes the finalizer,
 * so deleting a namespace never hangs on a Backup Service that is gone.
 */
export async function finalizeManaged<T extends ManagedObject, O, A, D, S extends object>(
  core: EngineCore<T, O, A, D, S>,
  obj: T,
  ctx: ReconcileContext,
): Promise<ReconcileOutcome | undefined> {
  const { kind, deps } = core;
  const cleanup = kind.cleanup;
  if (cleanup) {
    try {
      core.record(obj, await cleanup.run(obj, ctx));
    } catch (err) {
      const nowMs = deps.clock.now();
      if (!deletionDeadlinePassed(obj, deps.finalizerTimeoutMs, nowMs)) {
        ctx.log.info({ err }, 'cleanup cannot finish yet');
        const status = cleanup.status(
          obj,
          { kind: 'deleting', ...cleanup.problem(obj, err) },
          new Date(nowMs),
        );
        await core.write(obj, status, obj.status?.refusal);
        const since = Date.parse(obj.metadata.deletionTimestamp as unknown as string);
        const remaining = since + deps.finalizerTimeoutMs - nowMs;
        return {
          requeueAfterMs: Math.max(CLEANUP_RETRY_MIN_MS, Math.min(CLEANUP_RETRY_MAX_MS, remaining + 100)),
        };
      }
      core.record(obj, cleanup.abandoned(obj, err, deps.finalizerTimeoutMs));
    }
  }
  await removeFinalizer(kind.client, obj, kind.finalizer);
  kind.forget?.(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
  return undefined;
}
