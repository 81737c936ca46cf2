import { createManagedReconciler } from '../engine/managed-reconciler.ts';
import type { ControllerDeps } from '../operator.ts';
import type { Reconciler } from '../runtime/index.ts';
import { createBackupServiceKind } from './kind.ts';

/** The BackupService reconciler: the managed-resource engine driving {@link createBackupServiceKind}. */
export function createBackupServiceReconciler(deps: ControllerDeps): Reconciler {
  return createManagedReconciler(createBackupServiceKind(deps), {
    events: deps.events,
    clock: deps.clock,
    finalizerTimeoutMs: deps.timings.finalizerTimeoutMs,
  });
}
