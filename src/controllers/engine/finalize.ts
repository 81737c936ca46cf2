import { type ReconcileContext, type ReconcileOutcome, removeFinalizer } from '../runtime/index.ts';
import { deletionDeadlinePassed } from './deletion-deadline.ts';
import type { EngineCore } from './engine-core.ts';
import type { ManagedObject } from './managed-kind.ts';

/** First and longest pause between two cleanup attempts while deletion waits (doubling). */
const CLEANUP_RETRY_BASE_MS = 500;
const CLEANUP_RETRY_MAX_MS = 30_000;

/** The pause before cleanup attempt `attempt + 1` (pure): doubling, never past the deadline. */
export function cleanupRetryMs(attempt: number, untilDeadlineMs: number): number {
  const backoff = Math.min(CLEANUP_RETRY_MAX_MS, CLEANUP_RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.max(CLEANUP_RETRY_BASE_MS, Math.min(backoff, untilDeadlineMs + 100));
}

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
  // A status write or a poll re-enqueues the object: the backoff still holds.
  const wait = core.cleanupWaitMs(obj, deps.clock.now());
  if (cleanup && wait > 0) return { requeueAfterMs: wait };
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
        const delay = cleanupRetryMs(core.cleanupAttempt(obj), since + deps.finalizerTimeoutMs - nowMs);
        core.cleanupNotBefore(obj, nowMs + delay);
        return { requeueAfterMs: delay };
      }
      core.record(obj, cleanup.abandoned(obj, err, deps.finalizerTimeoutMs));
    }
  }
  await removeFinalizer(kind.client, obj, kind.finalizer);
  core.cleanupDone(obj);
  kind.forget?.(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
  return undefined;
}
