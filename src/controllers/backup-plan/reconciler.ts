import {
  BACKUP_API_ERROR_CODES,
  type BackupApiError,
  type BackupClient,
  type ClusterInfo,
  isBackupApiError,
  isNotFound,
  type Plan,
} from '../../backup-api/index.ts';
import { CONDITION_TYPES } from '../../crds/index.ts';
import { servicePollIntervalMs } from '../backup-service/poll-interval.ts';
import { deletionDeadlinePassed } from '../engine/deletion-deadline.ts';
import type { ControllerDeps } from '../operator.ts';
import type { BackupPlanResource, BackupServiceResource } from '../resources.ts';
import { FINALIZER } from '../resources.ts';
import {
  createBackoff,
  EventType,
  EXTERNAL_API_BACKOFF,
  ensureFinalizer,
  findCondition,
  hasFinalizer,
  isDeleting,
  type ReconcileContext,
  type ReconcileOutcome,
  type Reconciler,
  removeFinalizer,
  writeStatus,
} from '../runtime/index.ts';
import { ConnectionError } from '../service-connections.ts';
import { comparePlan, describePlan, observeScope, type PlanDrift, toPlanBody, usesPrune } from './desired.ts';
import { createPollGate } from './poll-gate.ts';
import { PLAN_REASONS, type PlanObservation, planStatus } from './status.ts';

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

/**
 * How long a server rejection is remembered: the same write is not repeated for the same spec and
 * server plan before this (or a spec change) — Stalled means no hot retry.
 */
const REJECTION_RECHECK_MS = 10 * 60_000;
/** Short pause when the server's answer contradicts our last read (a concurrent create or delete). */
const RACE_RETRY_MS = 1_000;

type Outcome = ReconcileOutcome;

/** `namespace/name` of the plan's BackupService. */
function serviceKeyOf(obj: BackupPlanResource): string {
  return `${obj.metadata.namespace ?? ''}/${obj.spec.serviceRef.name}`;
}

function errorText(err: BackupApiError): string {
  return err.extras ? `${err.msg} (${err.extras})` : err.msg;
}

/** Repository ids (active or paused) in a cluster observation that use `planName` (pure). */
export function usersIn(info: ClusterInfo | undefined, planName: string): string[] {
  return Object.entries(info?.active ?? {})
    .filter(([, repo]) => repo.plan_name === planName)
    .map(([id]) => id)
    .sort();
}

/** Repository ids on the service that use `planName` (active or paused), from a fresh read. */
async function repositoriesUsing(
  client: BackupClient,
  planName: string,
  signal: AbortSignal,
): Promise<string[]> {
  try {
    return usersIn(await client.getClusterInfo({ signal }), planName);
  } catch {
    // Only used to explain a refusal; without it the server's own message still says why.
    return [];
  }
}

/**
 * The BackupPlan reconciler: creates, replaces (drift or spec change) and deletes one plan on the
 * Backup Service, adopts an existing plan of the same name, and mirrors a plan read-only under
 * `managementPolicy: Observe`.
 *
 * Steady-state cost: one `GET /plan/{name}` per plan per poll interval of its BackupService; no
 * read at all in between unless the spec (generation), the finalizer state or the BackupService
 * object changed (the operator re-enqueues plans when their BackupService changes).
 */
export function createBackupPlanReconciler(deps: ControllerDeps): Reconciler {
  const access = deps.kinds.plans;
  const gate = createPollGate();
  const backoff = createBackoff(EXTERNAL_API_BACKOFF);
  const rejections = new Map<string, { fingerprint: string; at: number; obs: PlanObservation }>();

  return async (req, ctx) => {
    const obj = access.store.get(req.key) as BackupPlanResource | undefined;
    if (!obj) {
      gate.forget(req.key);
      backoff.forget(req.key);
      rejections.delete(req.key);
      return;
    }
    const service = deps.kinds.services.store.get(serviceKeyOf(obj)) as BackupServiceResource | undefined;
    // Anything here changing lets a reconcile through the poll gate before the next poll: the
    // repositories using the plan come from the shared observations (a plan refused while in use
    // proceeds as soon as the service's poll shows it free), at no request cost.
    const fingerprint = [
      obj.metadata.generation ?? 0,
      service?.metadata.resourceVersion ?? '-',
      isDeleting(obj),
      hasFinalizer(obj, FINALIZER),
      usersIn(deps.observations.get(serviceKeyOf(obj))?.info, obj.spec.planName ?? obj.metadata.name).join(
        ',',
      ),
    ].join('|');
    const now = deps.clock.now();
    const wait = gate.remaining(req.key, fingerprint, now);
    if (wait !== undefined) return Number.isFinite(wait) ? { requeueAfterMs: wait } : {};

    const outcome = isDeleting(obj)
      ? await finalize(obj, ctx, now)
      : await reconcilePlan(obj, service, ctx, now);
    gate.record(req.key, fingerprint, now, outcome.requeueAfterMs);
    return outcome;
  };

  /** Writes the status computed from `obs` (only when it changed). */
  async function report(obj: BackupPlanResource, obs: PlanObservation, now: number): Promise<void> {
    const status = planStatus(obj.status, obs, {
      planName: obj.spec.planName ?? obj.metadata.name,
      generation: obj.metadata.generation ?? 0,
      now: new Date(now),
    });
    await writeStatus(access.client, obj, status);
  }

  /** A failed call that a later identical one may fix: Reconciling with per-key backoff. */
  async function transient(
    obj: BackupPlanResource,
    key: string,
    err: unknown,
    now: number,
  ): Promise<Outcome> {
    if (!isBackupApiError(err)) throw err;
    await report(obj, { kind: 'unreachable', message: err.message }, now);
    return { requeueAfterMs: backoff.next(key) };
  }

  async function reconcilePlan(
    obj: BackupPlanResource,
    service: BackupServiceResource | undefined,
    ctx: ReconcileContext,
    now: number,
  ): Promise<Outcome> {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const { spec } = obj;
    const planName = spec.planName ?? obj.metadata.name;
    const manage = spec.managementPolicy === 'Manage';

    // Only a plan we may delete needs a finalizer; Retain and Observe let the object go at once.
    const wantFinalizer = manage && spec.deletionPolicy === 'Delete';
    if (wantFinalizer && !hasFinalizer(obj, FINALIZER)) {
      await ensureFinalizer(access.client, obj, FINALIZER);
      return {};
    }
    if (!wantFinalizer && hasFinalizer(obj, FINALIZER)) {
      await removeFinalizer(access.client, obj, FINALIZER);
      return {};
    }

    if (!service) {
      await report(
        obj,
        {
          kind: 'service-not-ready',
          reason: PLAN_REASONS.serviceNotFound,
          message: `BackupService ${spec.serviceRef.name} not found; waiting for it.`,
        },
        now,
      );
      return {};
    }
    const serviceReady = findCondition(service.status?.conditions, CONDITION_TYPES.Ready);
    if (serviceReady?.status !== 'True') {
      const why = serviceReady?.message ? `: ${serviceReady.message}` : '';
      await report(
        obj,
        {
          kind: 'service-not-ready',
          reason: PLAN_REASONS.serviceNotReady,
          message: `BackupService ${spec.serviceRef.name} is not Ready${why}`,
        },
        now,
      );
      return {};
    }
    const pollMs = servicePollIntervalMs(service, deps.timings.servicePollIntervalMs);

    let client: BackupClient;
    try {
      client = deps.connections.get(obj.metadata.namespace ?? '', spec.serviceRef.name).client;
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err;
      await report(
        obj,
        {
          kind: 'service-not-ready',
          reason: PLAN_REASONS.serviceNotReady,
          message: `BackupService ${spec.serviceRef.name} cannot be used: ${err.message}`,
        },
        now,
      );
      return {};
    }

    let observed: Plan | undefined;
    try {
      observed = await client.getPlan(planName, { signal: ctx.signal });
    } catch (err) {
      if (!isNotFound(err)) return transient(obj, key, err, now);
    }

    if (!manage) {
      backoff.forget(key);
      if (!observed) {
        await report(
          obj,
          {
            kind: 'observe-missing',
            message: `Plan ${planName} does not exist on the Backup Service; managementPolicy Observe never creates it.`,
          },
          now,
        );
        return { requeueAfterMs: pollMs };
      }
      const cmp = comparePlan(observeScope(spec, observed), observed);
      await report(obj, { kind: 'observed', description: describePlan(observed), drift: cmp.diff }, now);
      return { requeueAfterMs: pollMs };
    }

    const desired = toPlanBody(spec);
    // A rejection is retried only when the spec or the server plan changed (or after a long pause).
    const generation = obj.metadata.generation ?? 0;
    const writeKey = observed ? `update|${generation}|${JSON.stringify(observed)}` : `create|${generation}`;
    const rejected = rejections.get(key);
    // A plan refused because a repository used it is retried as soon as the service's last poll
    // (shared observations, no extra request) shows no repository using it any more.
    const stillInUse = () =>
      rejected?.obs.kind !== 'rejected' ||
      rejected.obs.reason !== PLAN_REASONS.planInUse ||
      usersIn(deps.observations.get(serviceKeyOf(obj))?.info, planName).length > 0;
    if (
      rejected &&
      rejected.fingerprint === writeKey &&
      now - rejected.at < REJECTION_RECHECK_MS &&
      stillInUse()
    ) {
      // Same spec, same server plan: the same write would be refused again.
      await report(obj, rejected.obs, now);
      return { requeueAfterMs: Math.max(pollMs, REJECTION_RECHECK_MS - (now - rejected.at)) };
    }
    rejections.delete(key);

    if (!observed) {
      try {
        await client.createPlan(planName, desired, { signal: ctx.signal });
      } catch (err) {
        return writeFailed(obj, client, err, { action: 'create', writeKey, pollMs, now, signal: ctx.signal });
      }
      backoff.forget(key);
      void deps.events.record(obj, {
        type: EventType.Normal,
        reason: PLAN_EVENT_REASONS.created,
        action: 'CreatePlan',
        note: `Created plan ${planName} on the Backup Service.`,
      });
      await report(obj, { kind: 'synced', wrote: true }, now);
      return { requeueAfterMs: pollMs };
    }

    const firstSight = obj.status?.planName === undefined;
    const cmp = comparePlan(desired, observed);
    if (firstSight) {
      void deps.events.record(obj, {
        type: EventType.Normal,
        reason: PLAN_EVENT_REASONS.adopted,
        action: 'AdoptPlan',
        note: cmp.diff
          ? `Adopted existing plan ${planName}; it differs from the spec: ${cmp.diff.summary}`
          : `Adopted existing plan ${planName}; it matches the spec.`,
      });
    }
    if (!cmp.diff) {
      backoff.forget(key);
      await report(obj, { kind: 'synced', wrote: false }, now);
      return { requeueAfterMs: pollMs };
    }
    if (spec.driftPolicy === 'Report') {
      backoff.forget(key);
      // An Event when the drift appears or changes, not on every poll while it lasts.
      if (obj.status?.drift?.summary !== cmp.diff.summary)
        void deps.events.record(obj, {
          type: EventType.Warning,
          reason: PLAN_EVENT_REASONS.driftDetected,
          action: 'ComparePlan',
          note: `Plan ${planName} differs from the spec (driftPolicy Report): ${cmp.diff.summary}`,
        });
      await report(obj, { kind: 'drift', drift: cmp.diff }, now);
      return { requeueAfterMs: pollMs };
    }

    try {
      await client.replacePlan(planName, desired, { signal: ctx.signal });
    } catch (err) {
      return writeFailed(obj, client, err, {
        action: 'update',
        writeKey,
        pollMs,
        now,
        signal: ctx.signal,
        drift: cmp.diff,
      });
    }
    backoff.forget(key);
    // A spec the operator has not acted on yet is an update; otherwise someone changed the server.
    const specChanged = !firstSight && obj.status?.observedGeneration !== obj.metadata.generation;
    void deps.events.record(obj, {
      type: EventType.Normal,
      reason: specChanged || firstSight ? PLAN_EVENT_REASONS.updated : PLAN_EVENT_REASONS.driftCorrected,
      action: 'ReplacePlan',
      note: `Replaced plan ${planName} on the Backup Service: ${cmp.diff.summary}`,
    });
    await report(obj, { kind: 'synced', wrote: true }, now);
    return { requeueAfterMs: pollMs };
  }

  /** Handles a refused create or replace: Stalled for a rejection (no hot retry), backoff otherwise. */
  async function writeFailed(
    obj: BackupPlanResource,
    client: BackupClient,
    err: unknown,
    w: {
      action: 'create' | 'update';
      writeKey: string;
      pollMs: number;
      now: number;
      signal: AbortSignal;
      drift?: PlanDrift;
    },
  ): Promise<Outcome> {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const planName = obj.spec.planName ?? obj.metadata.name;
    if (isNotFound(err) && w.action === 'update') return { requeueAfterMs: RACE_RETRY_MS };
    if (!isBackupApiError(err) || err.code !== BACKUP_API_ERROR_CODES.invalid) {
      return transient(obj, key, err, w.now);
    }
    if (w.action === 'create') {
      // The service answers 400 for "already exists" too: a concurrent create is not a rejection.
      const appeared = await client.getPlan(planName, { signal: w.signal }).then(
        () => true,
        () => false,
      );
      if (appeared) return { requeueAfterMs: RACE_RETRY_MS };
    }
    const users = w.action === 'update' ? await repositoriesUsing(client, planName, w.signal) : [];
    const inUse = users.length > 0;
    const verb = w.action === 'create' ? 'create' : 'update';
    let message = `The Backup Service refused to ${verb} plan ${planName}: ${errorText(err)}`;
    if (inUse) {
      message += ` (used by repository ${users.join(', ')}; the server does not allow changes to a plan in use)`;
    } else if (usesPrune(obj.spec)) {
      message += ' (PRUNE tasks need Couchbase Server 8.0 or later)';
    }
    const obs: PlanObservation = {
      kind: 'rejected',
      reason: inUse ? PLAN_REASONS.planInUse : PLAN_REASONS.planRejected,
      message,
      drift: w.drift,
    };
    rejections.set(key, { fingerprint: w.writeKey, at: w.now, obs });
    void deps.events.record(obj, {
      type: EventType.Warning,
      reason: inUse ? PLAN_EVENT_REASONS.inUse : PLAN_EVENT_REASONS.rejected,
      action: w.action === 'create' ? 'CreatePlan' : 'ReplacePlan',
      note: message,
    });
    await report(obj, obs, w.now);
    return { requeueAfterMs: Math.max(w.pollMs, REJECTION_RECHECK_MS) };
  }

  async function finalize(obj: BackupPlanResource, ctx: ReconcileContext, now: number): Promise<Outcome> {
    if (!hasFinalizer(obj, FINALIZER)) return {};
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const { spec } = obj;
    const planName = spec.planName ?? obj.metadata.name;
    if (spec.managementPolicy !== 'Manage' || spec.deletionPolicy !== 'Delete') {
      await removeFinalizer(access.client, obj, FINALIZER);
      void deps.events.record(obj, {
        type: EventType.Normal,
        reason: PLAN_EVENT_REASONS.retained,
        action: 'DeletePlan',
        note: `Plan ${planName} stays on the Backup Service (deletionPolicy Retain).`,
      });
      return {};
    }

    const timeoutMs = deps.timings.finalizerTimeoutMs;
    const deadlinePassed = deletionDeadlinePassed(obj, timeoutMs, now);
    const sinceMs = now - new Date(obj.metadata.deletionTimestamp as unknown as string).getTime();
    // While the service cannot be asked, retry with backoff but never past the deadline.
    const untilDeadline = Math.max(RACE_RETRY_MS, timeoutMs - sinceMs + 100);

    const giveUp = async (why: string): Promise<Outcome> => {
      void deps.events.record(obj, {
        type: EventType.Warning,
        reason: PLAN_EVENT_REASONS.cleanupAbandoned,
        action: 'DeletePlan',
        note: `Gave up deleting plan ${planName} on the Backup Service after ${Math.round(timeoutMs / 1000)} s; it may still exist there: ${why}`,
      });
      await removeFinalizer(access.client, obj, FINALIZER);
      return {};
    };

    let client: BackupClient;
    try {
      client = deps.connections.get(obj.metadata.namespace ?? '', spec.serviceRef.name).client;
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err;
      if (deadlinePassed) return giveUp(err.message);
      await report(
        obj,
        {
          kind: 'delete-blocked',
          reason: PLAN_REASONS.serviceNotFound,
          message: `Cannot delete plan ${planName}: ${err.message}; giving up ${Math.round(timeoutMs / 1000)} s after the deletion request.`,
        },
        now,
      );
      return { requeueAfterMs: Math.min(backoff.next(key), untilDeadline) };
    }

    try {
      await client.deletePlan(planName, { signal: ctx.signal });
    } catch (err) {
      if (!isNotFound(err))
        return deleteFailed(obj, client, err, { ctx, now, deadlinePassed, untilDeadline, giveUp });
    }
    void deps.events.record(obj, {
      type: EventType.Normal,
      reason: PLAN_EVENT_REASONS.deleted,
      action: 'DeletePlan',
      note: `Deleted plan ${planName} on the Backup Service.`,
    });
    await removeFinalizer(access.client, obj, FINALIZER);
    backoff.forget(key);
    return {};
  }

  async function deleteFailed(
    obj: BackupPlanResource,
    client: BackupClient,
    err: unknown,
    d: {
      ctx: ReconcileContext;
      now: number;
      deadlinePassed: boolean;
      untilDeadline: number;
      giveUp: (why: string) => Promise<Outcome>;
    },
  ): Promise<Outcome> {
    if (!isBackupApiError(err)) throw err;
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const planName = obj.spec.planName ?? obj.metadata.name;
    if (err.code === BACKUP_API_ERROR_CODES.invalid) {
      // A refusal is the server's answer: keep the finalizer and retry with backoff while the
      // repositories using the plan may still go away, but never past the finalizer deadline —
      // deleting a namespace (plan and a Retain repository together) must not hang forever. The
      // plan then stays on the server, which is what the refusal protects anyway.
      const users = await repositoriesUsing(client, planName, d.ctx.signal);
      const inUse = users.length > 0;
      if (d.deadlinePassed) {
        return d.giveUp(
          inUse
            ? `the plan is still used by repository ${users.join(', ')}`
            : `the service refuses: ${errorText(err)}`,
        );
      }
      const message = inUse
        ? `The Backup Service refuses to delete plan ${planName} while repository ${users.join(', ')} uses it: ${errorText(err)}. Archive or delete the repository, or set deletionPolicy: Retain; the plan is left on the server ${Math.round(deps.timings.finalizerTimeoutMs / 1000)} s after the deletion request otherwise.`
        : `The Backup Service refused to delete plan ${planName}: ${errorText(err)}`;
      void deps.events.record(obj, {
        type: EventType.Warning,
        reason: inUse ? PLAN_EVENT_REASONS.inUse : PLAN_EVENT_REASONS.deleteFailed,
        action: 'DeletePlan',
        note: message,
      });
      await report(
        obj,
        {
          kind: 'delete-blocked',
          reason: inUse ? PLAN_REASONS.planInUse : PLAN_REASONS.deleteFailed,
          message,
        },
        d.now,
      );
      return { requeueAfterMs: Math.min(backoff.next(key), d.untilDeadline) };
    }
    if (d.deadlinePassed) return d.giveUp(err.message);
    await report(
      obj,
      {
        kind: 'delete-blocked',
        reason: PLAN_REASONS.deleteFailed,
        message: `Cannot delete plan ${planName} yet: ${err.message}`,
      },
      d.now,
    );
    return { requeueAfterMs: Math.min(backoff.next(key), d.untilDeadline) };
  }
}
