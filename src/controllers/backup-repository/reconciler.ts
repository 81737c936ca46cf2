import { createManagedReconciler } from '../engine/managed-reconciler.ts';
import type { ControllerDeps } from '../operator.ts';
import type { Reconciler } from '../runtime/index.ts';
import { createBackupRepositoryKind } from './kind.ts';

/** The BackupRepository reconciler: the managed-resource engine driving {@link createBackupRepositoryKind}. */
export function createBackupRepositoryReconciler(deps: ControllerDeps): Reconciler {
  return createManagedReconciler(createBackupRepositoryKind(deps), {
    events: deps.events,
    clock: deps.clock,
    finalizerTimeoutMs: deps.timings.finalizerTimeoutMs,
  });
}
