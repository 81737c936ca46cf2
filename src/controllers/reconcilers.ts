import { createBackupServiceReconciler } from './backup-service/reconciler.ts';
import type { ReconcilerFactories } from './operator.ts';

/** The reconciler of every kind the operator manages. */
export const allReconcilers: ReconcilerFactories = {
  services: createBackupServiceReconciler,
};
