import { createManagedReconciler } from '../engine/managed-reconciler.ts';
import type { ControllerDeps } from '../operator.ts';
import type { Reconciler } from '../runtime/index.ts';
import { createBackupPlanKind } from './kind.ts';

/** The BackupPlan reconciler: the managed-resource engine driving {@link createBackupPlanKind}. */
export function createBackupPlanReconciler(deps: ControllerDeps): Reconciler {
  return createManagedReconciler(createBackupPlanKind(deps), {
    events: deps.events,
    clock: deps.clock,
    finalizerTimeoutMs: deps.timings.finalizerTimeoutMs,
  });
}
