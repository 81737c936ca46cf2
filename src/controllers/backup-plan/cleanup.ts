import { type BackupClient, isNotFound, serverText } from '../../backup-api/index.ts';
import type { ManagedCleanup } from '../engine/managed-kind.ts';
import type { ControllerDeps } from '../operator.ts';
import { OwnedByOtherError } from '../ownership.ts';
import type { BackupPlanResource } from '../resources.ts';
import { EventType } from '../runtime/index.ts';
import { assertPlanOwner } from '../server-owners.ts';
import { ConnectionError } from '../service-connections.ts';
import { currentVersion, planNameOf, publishedRollout } from './observe.ts';
import { isPlanInvalid, PlanWriteRefusedError } from './refusals.ts';
import { PLAN_EVENT_REASONS, PLAN_REASONS, planStatus } from './status.ts';
import { repositoriesUsing } from './writes.ts';

type PlanObj = BackupPlanResource;
type Status = NonNullable<PlanObj['status']>;

/**
 * Deletion of a BackupPlan: `Delete` removes the plan on the server; a refusal while a repository
 * uses it keeps the finalizer and is retried until the engine's deadline, so deleting a namespace
 * (plan and a Retain repository together) never hangs. The plan then stays on the server, which is
 * what the refusal protects anyway.
 */
export function createPlanCleanup(deps: ControllerDeps): ManagedCleanup<PlanObj, Status> {
  const seconds = () => Math.round(deps.timings.finalizerTimeoutMs / 1000);
  return {
    async run(obj, ctx) {
      const planName = planNameOf(obj);
      if (obj.spec.managementPolicy !== 'Manage' || obj.spec.deletionPolicy !== 'Delete') {
        return {
          type: EventType.Normal,
          reason: PLAN_EVENT_REASONS.retained,
          action: 'DeletePlan',
          note: `Plan ${planName} stays on the Backup Service (deletionPolicy Retain).`,
        };
      }
      const skipped = notOwned(deps, obj);
      if (skipped) return skipped;
      const { client } = deps.connections.get(obj.metadata.namespace ?? '', obj.spec.serviceRef.name);
      // Every version still on the server: the published one, older ones a rollout left, the base.
      const names = [...new Set([currentVersion(obj), ...(obj.status?.rollout?.retiring ?? []), planName])];
      for (const name of names) await deleteVersion(deps, obj, client, name, ctx.signal);
      return deletedEvent(names.join(', '));
    },
    problem(obj, err) {
      const planName = planNameOf(obj);
      if (err instanceof ConnectionError) {
        return {
          reason: PLAN_REASONS.serviceNotFound,
          message: `Cannot delete plan ${planName}: ${err.message}; giving up ${seconds()} s after the deletion request.`,
        };
      }
      if (err instanceof PlanWriteRefusedError) {
        return {
          reason: err.users.length > 0 ? PLAN_REASONS.planInUse : PLAN_REASONS.deleteFailed,
          message: err.message,
        };
      }
      return {
        reason: PLAN_REASONS.deleteFailed,
        message: `Cannot delete plan ${planName} yet: ${(err as Error).message}`,
      };
    },
    abandoned(obj, err, timeoutMs) {
      const why =
        err instanceof PlanWriteRefusedError && err.users.length > 0
          ? `the plan is still used by repository ${err.users.join(', ')}`
          : (err as Error).message;
      return {
        type: EventType.Warning,
        reason: PLAN_EVENT_REASONS.cleanupAbandoned,
        action: 'DeletePlan',
        note: `Gave up deleting plan ${planNameOf(obj)} on the Backup Service after ${Math.round(timeoutMs / 1000)} s; it may still exist there: ${why}`,
      };
    },
    status: (obj, result, now) =>
      planStatus(
        obj.status,
        {
          kind: 'delete-blocked',
          reason: result.reason as 'PlanInUse' | 'DeleteFailed' | 'ServiceNotFound',
          message: result.message,
        },
        // The version in use and the retiring ones stay published: the next attempt deletes them.
        {
          planName: currentVersion(obj),
          rollout: publishedRollout(obj),
          generation: obj.metadata.generation ?? 0,
          now,
        },
      ),
  };
}

/** Deletes one version of the plan; a refusal (in use) is explained and recorded. */
async function deleteVersion(
  deps: ControllerDeps,
  obj: PlanObj,
  client: BackupClient,
  planName: string,
  signal: AbortSignal,
): Promise<void> {
  try {
    await client.deletePlan(planName, { signal });
  } catch (err) {
    if (isNotFound(err)) return;
    if (!isPlanInvalid(err)) throw err;
    const users = await repositoriesUsing(client, planName, signal);
    const seconds = Math.round(deps.timings.finalizerTimeoutMs / 1000);
    const message =
      users.length > 0
        ? `The Backup Service refuses to delete plan ${planName} while repository ${users.join(', ')} uses it: ${serverText(err)}. Archive or delete the repository, or set deletionPolicy: Retain; the plan is left on the server ${seconds} s after the deletion request otherwise.`
        : `The Backup Service refused to delete plan ${planName}: ${serverText(err)}`;
    void deps.events.record(obj, {
      type: EventType.Warning,
      reason: users.length > 0 ? PLAN_EVENT_REASONS.inUse : PLAN_EVENT_REASONS.deleteFailed,
      action: 'DeletePlan',
      note: message,
    });
    throw new PlanWriteRefusedError(message, users, err);
  }
}

/** The Event of a deletion that leaves the server alone: another BackupPlan owns the plan. */
function notOwned(deps: ControllerDeps, obj: PlanObj) {
  try {
    assertPlanOwner(deps, obj);
    return undefined;
  } catch (err) {
    if (!(err instanceof OwnedByOtherError)) throw err;
    return {
      type: EventType.Normal,
      reason: PLAN_EVENT_REASONS.deletionSkipped,
      action: 'DeletePlan',
      note: `Plan ${planNameOf(obj)} is left on the Backup Service: BackupPlan ${err.owner} manages it.`,
    };
  }
}

const deletedEvent = (planName: string) => ({
  type: EventType.Normal,
  reason: PLAN_EVENT_REASONS.deleted,
  action: 'DeletePlan',
  note: `Deleted plan ${planName} on the Backup Service.`,
});
