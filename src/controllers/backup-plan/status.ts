import { CONDITION_TYPES } from '../../crds/index.ts';
import type { Result } from '../engine/managed-kind.ts';
import type { BackupPlanResource } from '../resources.ts';
import { type Condition, KStatusState, metaTime, setCondition, setKStatus } from '../runtime/index.ts';
import type { PlanDrift } from './desired.ts';
import type { PlanAction, PlanDetail } from './kind.ts';

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
} as const;

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
  | {
      kind: 'rejected';
      reason: 'PlanRejected' | 'PlanInUse' | 'UnsupportedByServer';
      message: string;
      drift?: PlanDrift | undefined;
    }
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
  ctx: { planName: string; generation: number; now: Date },
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
      const message = `Plan ${ctx.planName} on the Backup Service matches the spec.`;
      synced('True', PLAN_REASONS.upToDate, message);
      kstatus(KStatusState.Ready, PLAN_REASONS.available, message);
      if (obs.wrote) next.lastSyncedTime = metaTime(now);
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
      return result.detail.kind === 'synced' ? { kind: 'synced', wrote } : result.detail;
    case 'refused': {
      const { reason, message } = result.refusal;
      if (reason === PLAN_REASONS.serviceNotFound || reason === PLAN_REASONS.serviceNotReady) {
        return { kind: 'service-not-ready', reason, message };
      }
      return {
        kind: 'rejected',
        reason:
          reason === PLAN_REASONS.planInUse || reason === PLAN_REASONS.unsupportedByServer
            ? reason
            : PLAN_REASONS.planRejected,
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
  ctx: { planName: string; generation: number; now: Date },
): Status {
  return planStatus(previous, planObservationOf(result, wrote), ctx);
}
