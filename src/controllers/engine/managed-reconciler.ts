import {
  ensureFinalizer,
  hasFinalizer,
  isDeleting,
  type ReconcileOutcome,
  type Reconciler,
  removeFinalizer,
} from '../runtime/index.ts';
import { createEngineCore } from './engine-core.ts';
import { finalizeManaged } from './finalize.ts';
import type { EngineDeps, ManagedKind, ManagedObject } from './managed-kind.ts';
import { reconcileLive } from './reconcile-live.ts';

/**
 * The managed-resource engine for long-lived kinds (crossplane-runtime's managed reconciler in
 * spirit; the contract is in docs/architecture.md). The kind gives a session per reconcile (observe
 * with GETs, decide purely, act with one write, compute status purely) and policies (classify a
 * refusal, Events, cleanup); the engine owns the control flow once:
 * - finalizer and deletion deadline, with the kind's Events (`finalize.ts`);
 * - one memory of refusals, keyed by generation, action and observation, persisted in
 *   `status.refusal` so that it survives restarts and leader handover, with a re-check time for
 *   refusals the user can fix outside the spec (`refusal-memory.ts`);
 * - the status write (only when changed) and Events on transitions (`engine-core.ts`);
 * - one result policy: a transient error is thrown after the status says so (the queue backs off,
 *   jittered); a refusal is written to status and ends as a bounded requeue (its re-check) or a
 *   `TerminalError` (only a change helps) (`reconcile-live.ts`).
 */
export function createManagedReconciler<T extends ManagedObject, O, A, D, S extends object>(
  kind: ManagedKind<T, O, A, D, S>,
  deps: EngineDeps,
): Reconciler {
  const core = createEngineCore(kind, deps);
  return async (req, ctx) => {
    const obj = kind.store.get(req.key) as T | undefined;
    if (!obj) {
      core.forget(req.key);
      kind.forget?.(req.key);
      return undefined;
    }
    const gate = kind.gate?.(obj, deps.clock.now());
    if (gate && 'skip' in gate) return gate.skip;
    let outcome: ReconcileOutcome | undefined;
    if (isDeleting(obj)) {
      outcome = hasFinalizer(obj, kind.finalizer) ? await finalizeManaged(core, obj, ctx) : undefined;
    } else if (kind.wantsFinalizer(obj) && !hasFinalizer(obj, kind.finalizer)) {
      await ensureFinalizer(kind.client, obj, kind.finalizer);
      // Go on with the finalizer in place (a queue round trip less per new object, which a cold
      // sync of thousands feels); the watch event of the patch then finds nothing left to do.
      const finalizers = [...(obj.metadata.finalizers ?? []), kind.finalizer];
      outcome = await reconcileLive(core, { ...obj, metadata: { ...obj.metadata, finalizers } }, ctx);
    } else if (!kind.wantsFinalizer(obj) && hasFinalizer(obj, kind.finalizer)) {
      // The resulting watch event starts the next reconcile.
      await removeFinalizer(kind.client, obj, kind.finalizer);
      outcome = {};
    } else {
      outcome = await reconcileLive(core, obj, ctx);
    }
    gate?.passed(outcome ?? {});
    return outcome;
  };
}
