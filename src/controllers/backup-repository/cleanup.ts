import { serverText } from '../../backup-api/index.ts';
import type { ManagedCleanup } from '../engine/managed-kind.ts';
import type { ControllerDeps } from '../operator.ts';
import { OwnedByOtherError } from '../ownership.ts';
import { locateRepository } from '../repository-reads.ts';
import type { BackupRepositoryResource } from '../resources.ts';
import { EventType, KStatusState } from '../runtime/index.ts';
import { assertRepositoryOwner } from '../server-owners.ts';
import { ConnectionError } from '../service-connections.ts';
import { REPOSITORY_EVENTS } from './actions.ts';
import { immutableMismatches, REPOSITORY_REASONS as R, repositoryId } from './desired.ts';
import { blockedOutcome, withConditions } from './status.ts';

type Repo = BackupRepositoryResource;

/** The owner (`namespace/name`) when another BackupRepository owns the server repository. */
function ownerElsewhere(deps: ControllerDeps, obj: Repo): string | undefined {
  try {
    assertRepositoryOwner(deps, obj);
    return undefined;
  } catch (err) {
    if (err instanceof OwnedByOtherError) return err.owner;
    throw err;
  }
}
type Status = NonNullable<Repo['status']>;

const policyOf = (obj: Repo) =>
  obj.spec.managementPolicy === 'Observe' ? 'Retain' : obj.spec.deletionPolicy;

/**
 * Deletion of a BackupRepository by its deletionPolicy: Retain leaves it, Archive archives it, Delete
 * archives then deletes it (backup data only with removeData). A server repository that is not the
 * one the object describes is left untouched.
 */
export function createRepositoryCleanup(deps: ControllerDeps): ManagedCleanup<Repo, Status> {
  const event = (obj: Repo, type: EventType, reason: string, note: string) =>
    void deps.events.record(obj, { type, reason, action: 'Delete', note });
  return {
    async run(obj, ctx) {
      const id = repositoryId(obj);
      const policy = policyOf(obj);
      const done = (type: EventType, reason: string, note: string) => ({
        type,
        reason,
        action: 'Delete',
        note,
      });
      if (policy === 'Retain') {
        return done(
          EventType.Normal,
          REPOSITORY_EVENTS.retained,
          `Repository ${id} stays on the Backup Service (deletionPolicy Retain)`,
        );
      }
      const owner = ownerElsewhere(deps, obj);
      if (owner) {
        return done(
          EventType.Normal,
          REPOSITORY_EVENTS.deletionSkipped,
          `Repository ${id} is left on the Backup Service: BackupRepository ${owner} manages it`,
        );
      }
      const { client } = deps.connections.get(obj.metadata.namespace ?? '', obj.spec.serviceRef.name);
      const { signal } = ctx;
      let found = await locateRepository(client, id, signal);
      const mismatches = found ? immutableMismatches(obj.spec, found) : [];
      if (mismatches.length > 0) {
        return done(
          EventType.Warning,
          REPOSITORY_EVENTS.deletionSkipped,
          `Repository ${id} on the Backup Service is not the one this object describes (${mismatches.join('; ')}); left untouched`,
        );
      }
      if (found?.state === 'active') {
        await client.archiveRepository(id, id, { signal });
        event(
          obj,
          EventType.Normal,
          REPOSITORY_EVENTS.archived,
          `Archived repository ${id} (deletionPolicy ${policy})`,
        );
        found = { state: 'archived', repository: found.repository };
      }
      if (policy === 'Delete' && found && found.state !== 'active') {
        const removeData = found.state === 'archived' && obj.spec.removeData;
        await client.deleteRepository(found.state, id, {
          signal,
          ...(removeData ? { removeRepository: true } : {}),
        });
        return done(
          EventType.Normal,
          REPOSITORY_EVENTS.deleted,
          `Deleted repository ${id} from the Backup Service; backup data ${removeData ? 'removed' : 'kept in storage'}`,
        );
      }
      return undefined;
    },
    problem: (obj, err) => ({
      reason: err instanceof ConnectionError ? err.code : R.deletionRejected,
      message: `Cannot clean up repository ${repositoryId(obj)} (deletionPolicy ${policyOf(obj)}): ${serverText(err)}`,
    }),
    abandoned: (obj, err, timeoutMs) => ({
      type: EventType.Warning,
      reason: REPOSITORY_EVENTS.deletionAbandoned,
      action: 'Delete',
      note: `Gave up cleaning up repository ${repositoryId(obj)} on the Backup Service after ${Math.round(timeoutMs / 1000)} s: ${serverText(err)}`,
    }),
    status: (obj, result, now) =>
      withConditions(
        { ...obj.status },
        blockedOutcome(KStatusState.Reconciling, result.reason, result.message),
        obj.metadata.generation ?? 0,
        now,
      ),
  };
}
