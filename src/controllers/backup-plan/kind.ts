import type { BackupClient, Plan } from '../../backup-api/index.ts';
import { CONDITION_TYPES } from '../../crds/index.ts';
import { requestServicePoll } from '../backup-service/poll-request.ts';
import type { ManagedKind } from '../engine/managed-kind.ts';
import type { ControllerDeps } from '../operator.ts';
import { type BackupPlanResource, FINALIZER } from '../resources.ts';
import { EventType, findCondition } from '../runtime/index.ts';
import { assertPlanOwner } from '../server-owners.ts';
import { ConnectionError } from '../service-connections.ts';
import { createPlanCleanup } from './cleanup.ts';
import { comparePlan, describePlan, observeScope, type PlanDrift, toPlanBody, usesPrune } from './desired.ts';
import { planActedEvent, planRefusedEvent } from './events.ts';
import {
  createPlanReader,
  currentVersion,
  type PlanObserved,
  planNameOf,
  publishedRollout,
  serviceKeyOf,
} from './observe.ts';
import {
  classifyPlanError,
  PlanWriteRefusedError,
  ServiceNotReadyError,
  UnsupportedByServerError,
  unsupportedByServer,
} from './refusals.ts';
import {
  decideVersions,
  type PlanAction,
  type RolloutProgress,
  rolloutProgress,
  targetVersion,
} from './rollout.ts';
import { PLAN_EVENT_REASONS, planStatusFor } from './status.ts';
import { performPlanAction } from './writes.ts';

export { type PlanObserved, planNameOf, usersIn } from './observe.ts';
export type { PlanAction } from './rollout.ts';
export { repositoriesUsing, writePlan } from './writes.ts';

type PlanObj = BackupPlanResource;
type Status = NonNullable<PlanObj['status']>;

/** Pause before looking again once a new version is published, so status reaches the caches first. */
const PUBLISH_REQUEUE_MS = 500;

/** What a reconcile that writes nothing found. */
export type PlanDetail =
  | { kind: 'synced' }
  | { kind: 'rolling-out' }
  | { kind: 'drift'; drift: PlanDrift }
  | { kind: 'observed'; description: string; drift?: PlanDrift | undefined }
  | { kind: 'observe-missing'; message: string };

/** Decides the next write of a plan (pure). */
export function decidePlan(obj: PlanObj, observed: PlanObserved, pollMs: number) {
  const { spec } = obj;
  const done = (detail: PlanDetail, requeueAfterMs = pollMs) => ({
    kind: 'done' as const,
    detail,
    requeueAfterMs,
  });
  if (spec.managementPolicy !== 'Manage') {
    if (!observed.plan) {
      return done({
        kind: 'observe-missing',
        message: `Plan ${planNameOf(obj)} does not exist on the Backup Service; managementPolicy Observe never creates it.`,
      });
    }
    const plan = observed.plan as Plan;
    return done({
      kind: 'observed',
      description: describePlan(plan),
      drift: comparePlan(observeScope(spec, plan), plan).diff,
    });
  }
  const d = decideVersions(versionsInput(obj, observed));
  switch (d.kind) {
    case 'act':
      return { kind: 'act' as const, action: d.action };
    case 'publish':
      return done({ kind: 'rolling-out' }, PUBLISH_REQUEUE_MS);
    case 'drift':
      return done({ kind: 'drift', drift: d.drift });
    case 'synced':
      return done({ kind: 'synced' });
  }
}

const versionsInput = (obj: PlanObj, observed: PlanObserved) => ({
  base: planNameOf(obj),
  generation: obj.metadata.generation ?? 0,
  current: currentVersion(obj),
  desired: toPlanBody(obj.spec),
  versions: observed.versions,
  report: obj.spec.driftPolicy === 'Report',
});

/** The server plan status publishes and the rollout in progress, from an observation (pure). */
export function publishedVersion(
  obj: PlanObj,
  observed: PlanObserved | undefined,
): { planName: string; rollout?: RolloutProgress | undefined } {
  if (obj.spec.managementPolicy !== 'Manage') return { planName: currentVersion(obj) };
  // Nothing read this time (service not ready, unreachable, owned by another): status keeps the
  // rollout it published, whose retiring versions nothing else remembers.
  if (!observed) return { planName: currentVersion(obj), rollout: publishedRollout(obj) };
  const target = targetVersion(versionsInput(obj, observed));
  return { planName: target ?? currentVersion(obj), rollout: rolloutProgress(target, observed.versions) };
}

/**
 * Whether a plan carries the finalizer (pure): only a plan we may delete; Retain and Observe let
 * the object go at once. The chart's admission policy (templates/finalizer-policy.yaml) says the
 * same in CEL.
 */
export function planWantsFinalizer(obj: Pick<PlanObj, 'spec'>): boolean {
  return obj.spec.managementPolicy === 'Manage' && obj.spec.deletionPolicy === 'Delete';
}

/**
 * The BackupPlan as a managed kind: creates, replaces (drift or spec change) and deletes one plan on
 * the Backup Service, adopts an existing plan of the same name, and mirrors a plan read-only under
 * `managementPolicy: Observe`. An edit of a plan in use is rolled out as a new version (rollout.ts).
 * Steady state: no request of its own; the plans come from the one `GET /plan` per BackupService per
 * poll, which also re-enqueues a plan whose server plans changed. Another BackupPlan that owns the
 * same server plan (ownership.ts) keeps this one from writing anything.
 */
export function createBackupPlanKind(
  deps: ControllerDeps,
): ManagedKind<PlanObj, PlanObserved, PlanAction, PlanDetail, Status> {
  const access = deps.kinds.plans;
  const reader = createPlanReader(deps);
  return {
    store: access.store as ManagedKind<PlanObj, PlanObserved, PlanAction, PlanDetail, Status>['store'],
    client: access.client,
    finalizer: FINALIZER,
    wantsFinalizer: planWantsFinalizer,
    pollIntervalMs: reader.pollOf,
    session(obj, ctx) {
      const planName = planNameOf(obj);
      const { signal } = ctx;
      let client: BackupClient | undefined;
      return {
        async observe() {
          assertPlanOwner(deps, obj);
          client = planClient(deps, obj);
          const observed = await reader.observe(obj, client, signal);
          if (observed.plan && obj.spec.managementPolicy === 'Manage' && obj.status?.planName === undefined) {
            recordAdoption(deps, obj, observed);
          }
          return observed;
        },
        decide: (observed) => decidePlan(obj, observed, reader.pollOf(obj)),
        async act(action, observed) {
          if (action.kind === 'create' || action.kind === 'replace') {
            const service = deps.kinds.services.store.get(serviceKeyOf(obj))?.status;
            const unsupported = unsupportedByServer({
              planName: action.name,
              usesPrune: usesPrune(obj.spec),
              service: obj.spec.serviceRef.name,
              version: service?.version,
              profile: service?.profile,
            });
            if (unsupported) throw new UnsupportedByServerError(unsupported);
          }
          await performPlanAction({
            deps,
            reader,
            client: client as BackupClient,
            obj,
            action,
            observed,
            signal,
          });
          // A fresh poll now (one request, coalesced) rather than at its next interval.
          if (action.kind === 'switch') requestServicePoll(deps, serviceKeyOf(obj));
          return await reader.observe(obj, client as BackupClient, signal);
        },
        async settle(observed, detail) {
          // An Event when the drift appears or changes, not on every poll while it lasts.
          if (detail.kind === 'drift' && obj.status?.drift?.summary !== detail.drift.summary) {
            void deps.events.record(obj, {
              type: EventType.Warning,
              reason: PLAN_EVENT_REASONS.driftDetected,
              action: 'ComparePlan',
              note: `Plan ${planName} differs from the spec (driftPolicy Report): ${detail.drift.summary}`,
            });
          }
          if (detail.kind === 'synced' && obj.status?.rollout) {
            void deps.events.record(obj, {
              type: EventType.Normal,
              reason: PLAN_EVENT_REASONS.rolloutCompleted,
              action: 'RolloutPlan',
              note: `Every repository uses plan ${publishedVersion(obj, observed).planName}; the older versions are deleted.`,
            });
          }
          return { observed, detail };
        },
        status: ({ observed, result, acted, now }) =>
          planStatusFor(obj.status, result, acted.length > 0, {
            ...publishedVersion(obj, observed),
            generation: obj.metadata.generation ?? 0,
            now,
          }),
      };
    },
    actionName: (action) => action.kind,
    digest: (obj, observed, refusedWith) =>
      planDigest(
        obj,
        observed,
        refusedWith,
        deps.kinds.services.store.get(serviceKeyOf(obj))?.status?.profile,
      ),
    classify: (err) => classifyPlanError(err),
    actedEvent: planActedEvent,
    refusedEvent: planRefusedEvent,
    cleanup: createPlanCleanup(deps),
    forget() {
      reader.forget(new Set(access.store.list().map((p) => reader.uidOf(p as PlanObj))));
    },
  };
}

/**
 * What a plan refusal depends on (pure): the server plan as it differs from the spec, whether it is
 * in use (the users a refusal found fresh count over a poll that may predate them), and which
 * repositories use which version. What differs, not the plan as sent: the listing and a single read
 * shape a plan differently.
 */
export function planDigest(
  obj: PlanObj,
  observed: PlanObserved | undefined,
  refusedWith?: unknown,
  serverProfile?: string,
) {
  if (!observed) return null;
  return {
    plan: observed.plan ? (comparePlan(toPlanBody(obj.spec), observed.plan).diff?.summary ?? '') : null,
    inUse: (refusedWith instanceof PlanWriteRefusedError ? refusedWith.users : observed.users).length > 0,
    versions: observed.versions.map((v) => `${v.name}:${v.users.join(',')}`),
    // A server upgrade lets a plan refused for its version through at once.
    profile: serverProfile ?? null,
  };
}

function recordAdoption(deps: ControllerDeps, obj: PlanObj, observed: PlanObserved): void {
  const planName = planNameOf(obj);
  const diff = observed.plan ? comparePlan(toPlanBody(obj.spec), observed.plan).diff : undefined;
  void deps.events.record(obj, {
    type: EventType.Normal,
    reason: PLAN_EVENT_REASONS.adopted,
    action: 'AdoptPlan',
    note: diff
      ? `Adopted existing plan ${planName}; it differs from the spec: ${diff.summary}`
      : `Adopted existing plan ${planName}; it matches the spec.`,
  });
}

/** The client of the plan's service, or why the plan cannot be looked at now. */
export function planClient(deps: ControllerDeps, obj: PlanObj): BackupClient {
  const name = obj.spec.serviceRef.name;
  const service = deps.kinds.services.store.get(serviceKeyOf(obj));
  if (!service)
    throw new ServiceNotReadyError('ServiceNotFound', `BackupService ${name} not found; waiting for it.`);
  const ready = findCondition(service.status?.conditions, CONDITION_TYPES.Ready);
  if (ready?.status !== 'True') {
    throw new ServiceNotReadyError(
      'ServiceNotReady',
      `BackupService ${name} is not Ready${ready?.message ? `: ${ready.message}` : ''}`,
    );
  }
  try {
    return deps.connections.get(obj.metadata.namespace ?? '', name).client;
  } catch (err) {
    if (!(err instanceof ConnectionError)) throw err;
    throw new ServiceNotReadyError('ServiceNotReady', `BackupService ${name} cannot be used: ${err.message}`);
  }
}
