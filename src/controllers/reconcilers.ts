import { createBackupPlanReconciler } from './backup-plan/reconciler.ts';
import { createBackupRepositoryReconciler } from './backup-repository/reconciler.ts';
import { createBackupRestoreReconciler } from './backup-restore/reconciler.ts';
import { createBackupRunReconciler } from './backup-run/reconciler.ts';
import { createBackupServiceReconciler } from './backup-service/reconciler.ts';
import type { ReconcilerFactories } from './operator.ts';

/** The reconciler of every kind the operator manages. */
export const allReconcilers: ReconcilerFactories = {
  services: createBackupServiceReconciler,
  plans: createBackupPlanReconciler,
  repositories: createBackupRepositoryReconciler,
  runs: createBackupRunReconciler,
  restores: createBackupRestoreReconciler,
};
