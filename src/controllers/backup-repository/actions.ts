import {
  BACKUP_API_ERROR_CODES,
  type BackupClient,
  type CreateRepositoryBody,
  isBackupApiError,
  type RepositoryPathState,
  serverText,
} from '../../backup-api/index.ts';
import type { ObservedRepository } from '../cluster-observations.ts';
import type { ControllerDeps } from '../operator.ts';
import { readRepository } from '../repository-reads.ts';
import type { BackupRepositoryResource } from '../resources.ts';
import { secretValue } from '../secret-values.ts';
import { CONNECTION_ERROR_CODES, ConnectionError } from '../service-connections.ts';
import { archiveLocation, type RepositoryAction } from './desired.ts';
import { PlanChangeUnsupportedError } from './refusals.ts';
import { STATUS_EVENTS } from './status-events.ts';
import { TRIGGER_EVENTS } from './trigger-tokens.ts';

type Repo = BackupRepositoryResource;

/** Event reasons of BackupRepository (machine-readable, never reworded). */
export const REPOSITORY_EVENTS = {
  created: 'Created',
  imported: 'Imported',
  paused: 'Paused',
  resumed: 'Resumed',
  archived: 'Archived',
  planChanged: 'PlanChanged',
  driftCorrected: 'DriftCorrected',
  deleted: 'Deleted',
  retained: 'Retained',
  ...TRIGGER_EVENTS,
  ...STATUS_EVENTS,
  rejected: 'ServerRejected',
  stalled: 'Stalled',
  deletionAbandoned: 'DeletionAbandoned',
  deletionSkipped: 'DeletionSkipped',
} as const;

/** The Event reason of each successful action. */
export const ACTION_EVENT: Record<RepositoryAction['kind'], string> = {
  create: REPOSITORY_EVENTS.created,
  import: REPOSITORY_EVENTS.imported,
  archive: REPOSITORY_EVENTS.archived,
  'change-plan': REPOSITORY_EVENTS.planChanged,
  pause: REPOSITORY_EVENTS.paused,
  resume: REPOSITORY_EVENTS.resumed,
};

/** The group that holds the repository after each action. */
export const ACTION_PATH_STATE: Record<RepositoryAction['kind'], RepositoryPathState> = {
  create: 'active',
  import: 'imported',
  archive: 'archived',
  'change-plan': 'active',
  pause: 'active',
  resume: 'active',
};

/** What an action did, in words for its Event (pure). */
export function describeAction(a: RepositoryAction, id: string, archive: string): string {
  switch (a.kind) {
    case 'create':
      return `Created repository ${id} with plan ${a.plan} in ${archive}`;
    case 'import':
      return `Imported repository ${id} from ${archive}`;
    case 'archive':
      return `Archived repository ${id}`;
    case 'change-plan':
      return `Changed the plan of repository ${id} from ${a.from} to ${a.to}`;
    case 'pause':
      return `Paused repository ${id}`;
    case 'resume':
      return `Resumed repository ${id}`;
  }
}

/** Object-store fields of create/import; secret values go to the service and nowhere else. */
export function cloudFields(obj: Repo, secrets: ControllerDeps['secrets']): Partial<CreateRepositoryBody> {
  const os = obj.spec.storage.objectStore;
  if (!os) return {};
  const fields: Partial<CreateRepositoryBody> = { cloud_staging_dir: os.stagingDir };
  if (os.region !== undefined) fields.cloud_region = os.region;
  if (os.endpoint !== undefined) fields.cloud_endpoint = os.endpoint;
  if (os.forcePathStyle !== undefined) fields.cloud_force_path_style = os.forcePathStyle;
  if (os.credentialName !== undefined) fields.cloud_credential_name = os.credentialName;
  const ref = os.credentialsSecretRef;
  if (ref) {
    const ns = obj.metadata.namespace ?? '';
    const secret = secrets.get(`${ns}/${ref.name}`);
    if (!secret) {
      throw new ConnectionError(CONNECTION_ERROR_CODES.secretNotFound, `Secret ${ns}/${ref.name} not found`);
    }
    const value = (key: string) => secretValue(secret, key);
    const id = value(ref.idKey);
    const key = value(ref.keyKey);
    if (!id || !key) {
      throw new ConnectionError(
        CONNECTION_ERROR_CODES.secretKeyMissing,
        `Secret ${ns}/${ref.name} lacks key "${id ? ref.keyKey : ref.idKey}"`,
      );
    }
    fields.cloud_credentials_id = id;
    fields.cloud_credentials_key = key;
    const token = value(ref.refreshTokenKey);
    if (token) fields.cloud_credentials_refresh_token = token;
  }
  return fields;
}

/**
 * Performs one action on the service. A create refused as a duplicate (someone created it since
 * the last poll) and a plan change on a route the server lacks are told apart with one read.
 */
export async function performAction(args: {
  client: BackupClient;
  obj: Repo;
  id: string;
  action: RepositoryAction;
  observed: ObservedRepository | undefined;
  deps: Pick<ControllerDeps, 'secrets' | 'crashPoint'>;
  signal: AbortSignal;
}): Promise<void> {
  const { client, obj, id, action, observed, deps, signal } = args;
  const archive = archiveLocation(obj.spec);
  try {
    switch (action.kind) {
      case 'create':
        await client.createRepository(
          id,
          {
            plan: action.plan,
            archive,
            ...(obj.spec.bucket !== undefined ? { bucket_name: obj.spec.bucket } : {}),
            ...cloudFields(obj, deps.secrets),
          },
          { signal },
        );
        return;
      case 'import':
        await client.importRepository(
          { id, repo: obj.spec.import?.repo ?? '', archive, ...cloudFields(obj, deps.secrets) },
          { signal },
        );
        return;
      case 'archive':
        await client.archiveRepository(id, id, { signal });
        return;
      case 'pause':
        await client.pauseRepository(id, { signal });
        return;
      case 'resume':
        await client.resumeRepository(id, { signal });
        return;
      case 'change-plan':
        await changePlan(client, id, action, observed, deps, signal);
        return;
    }
  } catch (err) {
    if (!isBackupApiError(err)) throw err;
    if (
      (action.kind === 'create' || action.kind === 'import') &&
      err.code === BACKUP_API_ERROR_CODES.invalid
    ) {
      if (await readRepository(client, ACTION_PATH_STATE[action.kind], id, signal)) {
        // A transient error: the next reconcile adopts what is there.
        throw new Error(`repository ${id} appeared while it was being created`, { cause: err });
      }
    }
    if (action.kind === 'change-plan' && err.code === BACKUP_API_ERROR_CODES.notFound) {
      // 404 is either an unknown route (old server) or a vanished repository (transient).
      if (await readRepository(client, 'active', id, signal)) {
        throw new PlanChangeUnsupportedError(
          `This Backup Service cannot change the plan of an existing repository (${serverText(err)}); the repository keeps plan ${action.from}. Recreate it under another repositoryId to use ${action.to}`,
          { cause: err },
        );
      }
    }
    throw err;
  }
}

/** The service changes the plan of a paused repository (as its own test runner does it). */
export async function changePlan(
  client: BackupClient,
  id: string,
  action: Extract<RepositoryAction, { kind: 'change-plan' }>,
  observed: ObservedRepository | undefined,
  deps: Pick<ControllerDeps, 'crashPoint'>,
  signal: AbortSignal,
): Promise<void> {
  const wasPaused = observed?.repository.state === 'paused';
  if (!wasPaused) await client.pauseRepository(id, { signal });
  deps.crashPoint('repository:plan-change-paused');
  try {
    await client.changeRepositoryPlan(id, action.to, { signal });
  } catch (err) {
    if (!wasPaused && action.resume) await client.resumeRepository(id, { signal }).catch(() => {});
    throw err;
  }
  if (action.resume) await client.resumeRepository(id, { signal });
}
