import { CONDITION_TYPES } from '../../crds/index.ts';
import type { Result } from '../engine/managed-kind.ts';
import type { BackupPlanResource } from '../resources.ts';
import { type Condition, KStatusState, metaTime, setCondition, setKStatus } from '../runtime/index.ts';
import type { PlanDrift } from './desired.ts';
import type { PlanDetail } from './kind.ts';
import type { PlanAction, RolloutProgress } from './rollout.ts';

type Status = NonNullable<BackupPlanResource['status']>;

/** Condition reasons of BackupPlan (machine-readable, never reworded). */
export const PLAN_REASONS = {
  available: 'Available',
  upToDate: 'UpToDate',
  observed: 'Observed',
  driftDetected: 'DriftDetected',
  planNotFound: 'PlanNotFound',
  planRejected: 'PlanRejected',
  planInUse: 'PlanInUse',
  /** The plan needs a newer Couchbase Server than the BackupService runs (PRUNE before 8.0). */
  unsupportedByServer: 'UnsupportedByServer',
  serviceNotFound: 'ServiceNotFound',
  serviceNotReady: 'ServiceNotReady',
  serviceUnreachable: 'ServiceUnreachable',
  deleting: 'Deleting',
  deleteFailed: 'DeleteFailed',
  rollingOut: 'RollingOut',
  rolloutBlocked: 'RolloutBlocked',
  ownedByOther: 'OwnedByOther',
  unknown: 'Unknown',
} as const;

/** Event reasons of BackupPlan (machine-readable, never reworded). */
export const PLAN_EVENT_REASONS = {
  created: 'PlanCreated',
  updated: 'PlanUpdated',
  driftCorrected: 'DriftCorrected',
  adopted: 'PlanAdopted',
  driftDetected: 'DriftDetected',
  rejected: 'PlanRejected',
  inUse: 'PlanInUse',
  deleted: 'PlanDeleted',
  retained: 'PlanRetained',
  deleteFailed: 'DeleteFailed',
  cleanupAbandoned: 'CleanupAbandoned',
  rolloutStarted: 'RolloutStarted',
  repositorySwitched: 'RepositorySwitched',
  versionRetired: 'VersionRetired',
  rolloutCompleted: 'RolloutCompleted',
  deletionSkipped: 'DeletionSkipped',
} as const;

/** Why a plan is Stalled. */
type RejectedReason =
  | 'PlanRejected'
  | 'PlanInUse'
  | 'RolloutBlocked'
  | 'OwnedByOther'
  | 'UnsupportedByServer';
const REJECTED_REASONS: readonly string[] = [
  PLAN_REASONS.planInUse,
  PLAN_REASONS.rolloutBlocked,
  PLAN_REASONS.ownedByOther,
  PLAN_REASONS.unsupportedByServer,
] satisfies RejectedReason[];

/** What the status says about the plan's server-side version, besides the observation. */
export interface PlanStatusContext {
  /** The server plan repositories use (`status.planName`). */
  planName: string;
  generation: number;
  now: Date;
  /** An edit rolled out as a new version, while older versions remain. */
  rollout?: RolloutProgress | undefined;
}

/** The message of a rollout in progress (pure). */
export function rolloutMessage(planName: string, r: RolloutProgress): string {
  const pending = r.pending.length > 0 ? `; pending: ${r.pending.join(', ')}` : '';
  return `Rolling out plan ${planName} (the Backup Service does not edit a plan in use): ${r.switched.length} of ${r.switched.length + r.pending.length} repositories switched${pending}; older versions ${r.retiring.join(', ')} are deleted once unused.`;
}

/** What one reconcile learned and did; the whole input of {@link planStatus}. */
export type PlanObservation =
  /** The BackupService is missing or not Ready; the plan is not looked at. */
  | { kind: 'service-not-ready'; reason: 'ServiceNotFound' | 'ServiceNotReady'; message: string }
  /** A transient failure talking to the service (unreachable, 5xx, timeout). */
  | { kind: 'unreachable'; message: string }
  /** Manage: the server plan matches the spec (after a write when `wrote` is set). */
  | { kind: 'synced'; wrote: boolean }
  /** Manage + driftPolicy Report: the server plan differs and is left alone. */
  | { kind: 'drift'; drift: PlanDrift }
  /** Manage: the server refused the write (invalid body, or plan in use); no hot retry. */
  | { kind: 'rejected'; reason: RejectedReason; message: string; drift?: PlanDrift | undefined }
  /** Observe: the plan exists; `drift` when the fields the spec sets differ. */
  | { kind: 'observed'; description: string; drift?: PlanDrift | undefined }
  /** Observe: there is no such plan on the server. */
  | { kind: 'observe-missing'; message: string }
  /** Deletion with policy Delete is waiting (plan in use, service gone or failing). */
  | { kind: 'delete-blocked'; reason: 'PlanInUse' | 'DeleteFailed' | 'ServiceNotFound'; message: string };

/**
 * Computes the whole status of a BackupPlan from an observation (pure). `lastSyncedTime` changes
 * only when the operator wrote the plan, and conditions keep their transition times while their
 * status holds, so a reconcile that changes nothing computes the same status.
 */
export function planStatus(
  previous: Status | undefined,
  obs: PlanObservation,
  ctx: PlanStatusContext,
): Status {
  const { generation: observedGeneration, now } = ctx;
  let conditions = (previous?.conditions ?? []) as Condition[];
  const synced = (status: Condition['status'], reason: string, message: string) => {
    conditions = setCondition(
      conditions,
      { type: CONDITION_TYPES.Synced, status, reason, message, observedGeneration },
      now,
    );
  };
  const kstatus = (state: KStatusState, reason: string, message: string) => {
    conditions = setKStatus(conditions, { state, reason, message, observedGeneration }, now);
  };
  const next: Status = { ...previous, planName: ctx.planName };
  delete next.drift;
  delete next.rollout;
  if (ctx.rollout) next.rollout = ctx.rollout;

  switch (obs.kind) {
    case 'service-not-ready':
      synced('Unknown', obs.reason, obs.message);
      kstatus(KStatusState.Reconciling, obs.reason, obs.message);
      break;
    case 'unreachable': {
      const message = `The Backup Service cannot be reached: ${obs.message}`;
      synced('Unknown', PLAN_REASONS.serviceUnreachable, message);
      kstatus(KStatusState.Reconciling, PLAN_REASONS.serviceUnreachable, message);
      break;
    }
    case 'synced': {
      if (obs.wrote) next.lastSyncedTime = metaTime(now);
      if (ctx.rollout) {
        // The new version exists and matches the spec: repositories can use it while it rolls out.
        const message = rolloutMessage(ctx.planName, ctx.rollout);
        synced('False', PLAN_REASONS.rollingOut, message);
        kstatus(KStatusState.Ready, PLAN_REASONS.rollingOut, message);
        break;
      }
      const message = `Plan ${ctx.planName} on the Backup Service matches the spec.`;
      synced('True', PLAN_REASONS.upToDate, message);
      kstatus(KStatusState.Ready, PLAN_REASONS.available, message);
      break;
    }
    case 'drift': {
      const message = `Plan ${ctx.planName} differs from the spec (driftPolicy Report, not corrected): ${obs.drift.summary}`;
      synced('False', PLAN_REASONS.driftDetected, message);
      // The plan exists and repositories can use it; the user chose to tolerate the difference.
      kstatus(KStatusState.Ready, PLAN_REASONS.driftDetected, message);
      next.drift = obs.drift;
      break;
    }
    case 'rejected':
      synced('False', obs.reason, obs.message);
      kstatus(KStatusState.Stalled, obs.reason, obs.message);
      if (obs.drift) next.drift = obs.drift;
      break;
    case 'observed':
      if (obs.drift) {
        const message = `Plan ${ctx.planName} differs from the spec (managementPolicy Observe, never written): ${obs.drift.summary}`;
        synced('False', PLAN_REASONS.driftDetected, message);
        next.drift = obs.drift;
      } else {
        synced('True', PLAN_REASONS.observed, `Plan ${ctx.planName} is observed read-only.`);
      }
      kstatus(
        KStatusState.Ready,
        PLAN_REASONS.observed,
        `Plan ${ctx.planName} exists (observed, never written): ${obs.description}`,
      );
      break;
    case 'observe-missing':
      synced('Unknown', PLAN_REASONS.planNotFound, obs.message);
      // Not Stalled: the plan may be created on the server later, and the next poll will see it.
      kstatus(KStatusState.Reconciling, PLAN_REASONS.planNotFound, obs.message);
      break;
    case 'delete-blocked':
      kstatus(KStatusState.Reconciling, obs.reason, obs.message);
      break;
  }
  return { ...next, conditions };
}

/** The observation {@link planStatus} takes, from how a reconcile of the engine ended (pure). */
export function planObservationOf(result: Result<PlanAction, PlanDetail>, wrote: boolean): PlanObservation {
  switch (result.kind) {
    case 'done':
      return result.detail.kind === 'synced' || result.detail.kind === 'rolling-out'
        ? { kind: 'synced', wrote }
        : result.detail;
    case 'refused': {
      const { reason, message } = result.refusal;
      if (reason === PLAN_REASONS.serviceNotFound || reason === PLAN_REASONS.serviceNotReady) {
        return { kind: 'service-not-ready', reason, message };
      }
      return {
        kind: 'rejected',
        reason: REJECTED_REASONS.includes(reason) ? (reason as RejectedReason) : PLAN_REASONS.planRejected,
        message,
        drift: result.action?.kind === 'replace' ? result.action.drift : undefined,
      };
    }
    case 'unavailable':
      return { kind: 'unreachable', message: (result.error as Error)?.message ?? String(result.error) };
    case 'acting':
      return { kind: 'synced', wrote };
    case 'deleting':
      return {
        kind: 'delete-blocked',
        reason: result.reason as 'PlanInUse' | 'DeleteFailed' | 'ServiceNotFound',
        message: result.message,
      };
  }
}

/** The whole status of a BackupPlan after one reconcile of the engine (pure). */
export function planStatusFor(
  previous: Status | undefined,
  result: Result<PlanAction, PlanDetail>,
  wrote: boolean,
  ctx: PlanStatusContext,
): Status {
  return planStatus(previous, planObservationOf(result, wrote), ctx);
}
