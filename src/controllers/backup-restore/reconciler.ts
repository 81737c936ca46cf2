import { clusterManagerAddress } from '../one-shot/cluster-address.ts';
import { readBasicAuth } from '../one-shot/credentials.ts';
import { createOneShotReconciler } from '../one-shot/engine.ts';
import type { OneShotKind } from '../one-shot/kind.ts';
import { ONE_SHOT_REASONS } from '../one-shot/status.ts';
import type { ControllerDeps } from '../operator.ts';
import type { BackupRestoreResource } from '../resources.ts';
import type { Reconciler } from '../runtime/index.ts';
import { describeBackups, resolveRange, restoreBody } from './restore-body.ts';

/** The BackupRestore side of the shared one-shot flow. */
const restoreKind: OneShotKind<BackupRestoreResource> = {
  name: 'restore',
  access: (deps) => deps.kinds.restores,
  source: (obj) => obj.spec.source,
  requiresActive: false,
  matcher: (obj) => ({ type: 'RESTORE', target: obj.status?.targetCluster }),
  failureHint: (obj) =>
    obj.spec.target
      ? `Check that ${obj.spec.target.address} is reachable from the Backup Service and that Secret ${obj.spec.target.credentialsSecretRef.name} holds a user allowed to write data there.`
      : 'Check the credentials of the BackupService: they are used on the target cluster too.',
  async prepare({ obj, client, service, repository, deps, signal }) {
    const namespace = obj.metadata.namespace ?? '';
    const spec = obj.spec;
    const endpoint = service.spec.endpoints[0] ?? '';
    const address = spec.target
      ? spec.target.address
      : (service.spec.clusterAddress ?? clusterManagerAddress(endpoint));
    if (!address) {
      return {
        kind: 'refuse',
        reason: ONE_SHOT_REASONS.targetInvalid,
        message: `Cannot derive the cluster-manager address from endpoint ${endpoint} of BackupService ${service.metadata.name}; set spec.clusterAddress on the BackupService or spec.target.address in a new BackupRestore.`,
      };
    }
    const ref = spec.target ? spec.target.credentialsSecretRef : service.spec.credentialsSecretRef;
    const auth = readBasicAuth(deps.secrets, namespace, ref);
    if (auth.kind === 'missing') {
      return { kind: 'waiting', reason: 'SecretNotFound', message: `${auth.message}; waiting for it.` };
    }
    const info = await client.getRepositoryInfo(repository.state, repository.id, { signal });
    const names = info.backups.map((b) => b.date);
    const range = resolveRange(spec, names);
    if (range.kind === 'no-backups') {
      return {
        kind: 'refuse',
        reason: ONE_SHOT_REASONS.noBackups,
        message: `Repository ${repository.id} has no backups to restore; take a backup first (a BackupRun), then create a new BackupRestore.`,
      };
    }
    if (range.kind === 'unknown-backup') {
      return {
        kind: 'refuse',
        reason: ONE_SHOT_REASONS.backupNotFound,
        message: `Backup ${range.name} (spec.${range.field}) is not in repository ${repository.id}; available: ${describeBackups(names)}. Create a new BackupRestore with one of these names or "latest".`,
      };
    }
    const body = restoreBody(spec, {
      target: address,
      user: auth.user,
      password: auth.password,
      start: range.start,
      end: range.end,
    });
    return {
      kind: 'ready',
      matcher: { type: 'RESTORE', target: address },
      fields: { targetCluster: address },
      what: `restore into ${address}`,
      send: async (s) =>
        (await client.restore(repository.state, repository.id, body, { signal: s })).task_name,
    };
  },
};

/**
 * The BackupRestore reconciler: one restore task per object, exactly once (see the shared
 * one-shot flow), into the BackupService's own cluster unless `spec.target` names another.
 */
export function createBackupRestoreReconciler(deps: ControllerDeps): Reconciler {
  return createOneShotReconciler(deps, restoreKind);
}
