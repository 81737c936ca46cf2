import type { Refusal } from '../engine/refusal-memory.ts';
import type { BackupPlanResource } from '../resources.ts';
import { type EventInput, EventType } from '../runtime/index.ts';
import { comparePlan, toPlanBody } from './desired.ts';
import type { PlanObserved } from './observe.ts';
import { planNameOf } from './observe.ts';
import type { PlanAction } from './rollout.ts';
import { PLAN_EVENT_REASONS } from './status.ts';

type PlanObj = BackupPlanResource;

/**
 * The Normal Event of a plan write; none for a replace the server turned down because a repository
 * the last poll did not show uses the plan (the version still differs: the edit is rolled out).
 */
export function planActedEvent(
  obj: PlanObj,
  action: PlanAction,
  observed?: PlanObserved,
): EventInput | undefined {
  const planName = planNameOf(obj);
  switch (action.kind) {
    case 'create':
      if (
        action.name !== planName &&
        observed?.versions.some((v) => v.name !== action.name && v.users.length > 0)
      ) {
        return {
          type: EventType.Normal,
          reason: PLAN_EVENT_REASONS.rolloutStarted,
          action: 'RolloutPlan',
          note: `The Backup Service does not edit a plan in use: created plan ${action.name} with the new spec; each repository on an older version is switched to it, and the older versions are deleted once unused.`,
        };
      }
      return {
        type: EventType.Normal,
        reason: PLAN_EVENT_REASONS.created,
        action: 'CreatePlan',
        note: `Created plan ${action.name} on the Backup Service.`,
      };
    case 'replace': {
      const written = observed?.versions.find((v) => v.name === action.name);
      if (written && comparePlan(toPlanBody(obj.spec), written.plan).diff) return undefined;
      return replacedEvent(obj, action);
    }
    case 'switch':
      return {
        type: EventType.Normal,
        reason: PLAN_EVENT_REASONS.repositorySwitched,
        action: 'RolloutPlan',
        note: `Switched repository ${action.repository} from plan ${action.from} to ${action.to}.`,
      };
    case 'retire':
      return {
        type: EventType.Normal,
        reason: PLAN_EVENT_REASONS.versionRetired,
        action: 'RolloutPlan',
        note: `Deleted plan ${action.name}, an older version of this plan that no repository uses any more.`,
      };
  }
}

function replacedEvent(obj: PlanObj, action: Extract<PlanAction, { kind: 'replace' }>): EventInput {
  // A spec the operator has not acted on yet is an update; otherwise someone changed the server.
  const firstSight = obj.status?.planName === undefined;
  const specChanged = obj.status?.observedGeneration !== obj.metadata.generation;
  return {
    type: EventType.Normal,
    reason: specChanged || firstSight ? PLAN_EVENT_REASONS.updated : PLAN_EVENT_REASONS.driftCorrected,
    action: 'ReplacePlan',
    note: `Replaced plan ${action.name} on the Backup Service: ${action.drift.summary}`,
  };
}

/** The Warning Event of a refused plan write (none for a plan that waits for its service). */
export function planRefusedEvent(
  _obj: PlanObj,
  refusal: Refusal,
  action: PlanAction | undefined,
): EventInput | undefined {
  if (!action) return undefined;
  const reason =
    refusal.reason === 'PlanInUse'
      ? PLAN_EVENT_REASONS.inUse
      : refusal.reason === 'RolloutBlocked' || refusal.reason === 'UnsupportedByServer'
        ? refusal.reason
        : PLAN_EVENT_REASONS.rejected;
  const verb = { create: 'CreatePlan', replace: 'ReplacePlan', switch: 'RolloutPlan', retire: 'RolloutPlan' };
  return { type: EventType.Warning, reason, action: verb[action.kind], note: refusal.message };
}
