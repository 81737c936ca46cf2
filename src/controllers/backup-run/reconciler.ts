import { describeBackups } from '../backup-restore/restore-body.ts';
import { createOneShotReconciler } from '../one-shot/engine.ts';
import type { OneShotKind } from '../one-shot/kind.ts';
import { ONE_SHOT_REASONS } from '../one-shot/status.ts';
import type { ControllerDeps } from '../operator.ts';
import type { BackupRunResource } from '../resources.ts';
import type { Reconciler } from '../runtime/index.ts';
import { producedBackupName } from '../task-runs.ts';
import { runRequest } from './run-request.ts';

/** The BackupRun side of the shared one-shot flow. */
const runKind: OneShotKind<BackupRunResource> = {
  name: 'run',
  access: (deps) => deps.kinds.runs,
  source: (obj) => obj.spec.repository,
  requiresActive: true,
  matcher: (obj) => ({ type: obj.spec.type }),
  async prepare({ obj, client, repository, signal }) {
    const request = runRequest(obj.spec);
    if (request.type === 'BACKUP') {
      return {
        kind: 'ready',
        matcher: { type: 'BACKUP' },
        fields: {},
        what: request.full ? 'full backup' : 'backup',
        send: async (s) => (await client.backup(repository.id, { full: request.full, signal: s })).task_name,
      };
    }
    if (request.names.length > 0) {
      // The service accepts any name and only the task fails; refuse clearly before sending.
      const info = await client.getRepositoryInfo('active', repository.id, { signal });
      const names = info.backups.map((b) => b.date);
      const unknown = request.names.find((n) => !names.includes(n));
      if (unknown !== undefined) {
        return {
          kind: 'refuse',
          reason: ONE_SHOT_REASONS.backupNotFound,
          message: `Backup ${unknown} named in spec.merge is not in repository ${repository.id}; available: ${describeBackups(names)}. Create a new BackupRun with existing names.`,
        };
      }
    }
    return {
      kind: 'ready',
      matcher: { type: 'MERGE' },
      fields: {},
      what: 'merge',
      send: async (s) => (await client.merge(repository.id, request.body, { signal: s })).task_name,
    };
  },
  async onSucceeded({ obj, run, client, repository, signal }) {
    const named = producedBackupName(run);
    if (named) return { backupName: named };
    if (obj.spec.type !== 'BACKUP') return {};
    // No transfer description: the newest backup is the one this task wrote.
    const info = await client.getRepositoryInfo(repository.state, repository.id, { signal });
    const newest = info.backups[info.backups.length - 1]?.date;
    return newest ? { backupName: newest } : {};
  },
};

/**
 * The BackupRun reconciler: one backup or merge task per object, exactly once (see the shared
 * one-shot flow); records the name of the backup it produced.
 */
export function createBackupRunReconciler(deps: ControllerDeps): Reconciler {
  return createOneShotReconciler(deps, runKind);
}
