import {
  type BackupClient,
  type ClusterInfo,
  isNotFound,
  type Plan,
  type PlanBody,
  serverText,
} from '../../backup-api/index.ts';
import { CONDITION_TYPES } from '../../crds/index.ts';
import { servicePollIntervalMs } from '../backup-service/poll-interval.ts';
import { observationMaxAgeMs, pollSawCreation } from '../cluster-observations.ts';
import type { ManagedKind } from '../engine/managed-kind.ts';
import type { Refusal } from '../engine/refusal-memory.ts';
import type { ControllerDeps } from '../operator.ts';
import { type BackupPlanResource, FINALIZER } from '../resources.ts';
import { type EventInput, EventType, findCondition } from '../runtime/index.ts';
import { ConnectionError } from '../service-connections.ts';
import { createPlanCleanup } from './cleanup.ts';
import { comparePlan, describePlan, observeScope, type PlanDrift, toPlanBody, usesPrune } from './desired.ts';
import {
  classifyPlanError,
  isPlanInvalid,
  PlanWriteRefusedError,
  planRefusalMessage,
  ServiceNotReadyError,
  UnsupportedByServerError,
  unsupportedByServer,
} from './refusals.ts';
import { PLAN_EVENT_REASONS, PLAN_REASONS, planStatusFor } from './status.ts';

type PlanObj = BackupPlanResource;
type Status = NonNullable<PlanObj['status']>;

/** The plan on the server (or the body just written) and the repositories using it. */
export interface PlanObserved {
  plan: Plan | PlanBody | undefined;
  /** Repository ids using the plan, from the service's last poll (no request). */
  users: string[];
}

/** One write of a plan. */
export type PlanAction = { kind: 'create' } | { kind: 'replace'; drift: PlanDrift };

/** What a reconcile that writes nothing found. */
export type PlanDetail =
  | { kind: 'synced' }
  | { kind: 'drift'; drift: PlanDrift }
  | { kind: 'observed'; description: string; drift?: PlanDrift | undefined }
  | { kind: 'observe-missing'; message: string };

/** Repository ids (active or paused) in a cluster observation that use `planName` (pure). */
export function usersIn(info: ClusterInfo | undefined, planName: string): string[] {
  return Object.entries(info?.active ?? {})
    .filter(([, repo]) => repo.plan_name === planName)
    .map(([id]) => id)
    .sort();
}

/** Repository ids on the service that use `planName`, from a fresh read (only to explain a refusal). */
export async function repositoriesUsing(
  client: BackupClient,
  planName: string,
  signal: AbortSignal,
): Promise<string[]> {
  try {
    return usersIn(await client.getClusterInfo({ signal }), planName);
  } catch {
    // Without it the server's own message still says why.
    return [];
  }
}

export const planNameOf = (obj: Pick<PlanObj, 'spec' | 'metadata'>) => obj.spec.planName ?? obj.metadata.name;
const serviceKeyOf = (obj: PlanObj) => `${obj.metadata.namespace ?? ''}/${obj.spec.serviceRef.name}`;

/** Decides the next write of a plan (pure). */
export function decidePlan(obj: PlanObj, observed: PlanObserved, pollMs: number) {
  const { spec } = obj;
  const done = (detail: PlanDetail) => ({ kind: 'done' as const, detail, requeueAfterMs: pollMs });
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
  if (!observed.plan) return { kind: 'act' as const, action: { kind: 'create' } as PlanAction };
  const cmp = comparePlan(toPlanBody(spec), observed.plan);
  if (!cmp.diff) return done({ kind: 'synced' });
  if (spec.driftPolicy === 'Report') return done({ kind: 'drift', drift: cmp.diff });
  return { kind: 'act' as const, action: { kind: 'replace', drift: cmp.diff } as PlanAction };
}

/**
 * The BackupPlan as a managed kind: creates, replaces (drift or spec change) and deletes one plan on
 * the Backup Service, adopts an existing plan of the same name, and mirrors a plan read-only under
 * `managementPolicy: Observe`. Steady state: no request of its own; the plans come from the one
 * `GET /plan` per BackupService per poll, which also re-enqueues a plan whose server plan changed
 * (a plan reads it itself only while that listing is missing or stale).
 */
export function createBackupPlanKind(
  deps: ControllerDeps,
): ManagedKind<PlanObj, PlanObserved, PlanAction, PlanDetail, Status> {
  const access = deps.kinds.plans;
  /** Plans this process wrote, by UID, until a listing newer than the write shows them. */
  const written = new Map<string, { at: number; plan: PlanBody }>();
  const pollOf = (obj: PlanObj) => {
    const service = deps.kinds.services.store.get(serviceKeyOf(obj));
    return service
      ? servicePollIntervalMs(service, deps.timings.servicePollIntervalMs)
      : deps.timings.servicePollIntervalMs;
  };
  const serviceOf = (obj: PlanObj) => deps.kinds.services.store.get(serviceKeyOf(obj));
  const uidOf = (obj: PlanObj) => obj.metadata.uid ?? `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
  /** The users a refused write found with its own read, until a poll newer than that read comes. */
  const refusedUsers = new Map<string, { at: number; users: readonly string[] }>();
  /** Repository ids using the plan: from the service's poll, or a fresher read of our own. */
  const usersOf = (obj: PlanObj): string[] => {
    const observation = deps.observations.get(serviceKeyOf(obj));
    const fresh = refusedUsers.get(uidOf(obj));
    if (fresh && (!observation || observation.at < fresh.at)) return [...fresh.users];
    return usersIn(observation?.info, planNameOf(obj));
  };

  /** The plan on the server: from the service's last `GET /plan` when it is fresh, else one GET. */
  const serverPlan = async (obj: PlanObj, client: BackupClient, signal: AbortSignal) => {
    const planName = planNameOf(obj);
    const listed = deps.observations.findPlan(serviceKeyOf(obj), planName);
    if (listed && deps.clock.now() - listed.at <= observationMaxAgeMs(pollOf(obj))) {
      const mine = written.get(uidOf(obj));
      // Our own write is newer than a listing made before it.
      if (mine && mine.at >= listed.at) return mine.plan;
      // Absent from a listing that may be a poll old: confirm before creating (one GET, rare).
      // A presence too, only from a listing newer than the object: one made before it may show a
      // plan deleted since (an object deleted and applied again).
      if (listed.plan && pollSawCreation(listed.at, obj.metadata.creationTimestamp)) return listed.plan;
    }
    return await client.getPlan(planName, { signal }).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
  };

  return {
    store: access.store as ManagedKind<PlanObj, PlanObserved, PlanAction, PlanDetail, Status>['store'],
    client: access.client,
    finalizer: FINALIZER,
    // Only a plan we may delete needs a finalizer; Retain and Observe let the object go at once.
    wantsFinalizer: (obj) => obj.spec.managementPolicy === 'Manage' && obj.spec.deletionPolicy === 'Delete',
    pollIntervalMs: pollOf,
    session(obj, ctx) {
      const planName = planNameOf(obj);
      const { signal } = ctx;
      let client: BackupClient | undefined;
      return {
        async observe() {
          client = planClient(deps, obj);
          const plan = await serverPlan(obj, client, signal);
          if (plan && obj.spec.managementPolicy === 'Manage' && obj.status?.planName === undefined) {
            const diff = comparePlan(toPlanBody(obj.spec), plan).diff;
            void deps.events.record(obj, {
              type: EventType.Normal,
              reason: PLAN_EVENT_REASONS.adopted,
              action: 'AdoptPlan',
              note: diff
                ? `Adopted existing plan ${planName}; it differs from the spec: ${diff.summary}`
                : `Adopted existing plan ${planName}; it matches the spec.`,
            });
          }
          return { plan, users: usersOf(obj) };
        },
        decide: (observed) => decidePlan(obj, observed, pollOf(obj)),
        async act(action, observed) {
          const startedAt = deps.clock.now();
          const service = serviceOf(obj)?.status;
          const unsupported = unsupportedByServer({
            planName,
            usesPrune: usesPrune(obj.spec),
            service: obj.spec.serviceRef.name,
            version: service?.version,
            profile: service?.profile,
          });
          if (unsupported) throw new UnsupportedByServerError(unsupported);
          try {
            const plan = await writePlan(client as BackupClient, obj, action, signal);
            written.set(uidOf(obj), { at: deps.clock.now(), plan });
            return { ...observed, plan };
          } catch (err) {
            if (err instanceof PlanWriteRefusedError)
              refusedUsers.set(uidOf(obj), { at: startedAt, users: err.users });
            throw err;
          }
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
          return { observed, detail };
        },
        status: ({ result, acted, now }) =>
          planStatusFor(obj.status, result, acted.length > 0, {
            planName,
            generation: obj.metadata.generation ?? 0,
            now,
          }),
      };
    },
    actionName: (action) => action.kind,
    // A refusal stands while the server plan is the same and the plan's being in use did not
    // change; the users a refusal found fresh count over a poll that may predate them.
    // What differs, not the plan as sent: the listing and a single read shape a plan differently.
    digest: (obj, observed, refusedWith) =>
      observed
        ? {
            plan: observed.plan
              ? (comparePlan(toPlanBody(obj.spec), observed.plan).diff?.summary ?? '')
              : null,
            inUse:
              (refusedWith instanceof PlanWriteRefusedError ? refusedWith.users : observed.users).length > 0,
            profile: serviceOf(obj)?.status?.profile ?? null,
          }
        : null,
    classify: (err) => classifyPlanError(err),
    actedEvent: planActedEvent,
    refusedEvent: planRefusedEvent,
    cleanup: createPlanCleanup(deps),
    forget() {
      const live = new Set(access.store.list().map((p) => uidOf(p as PlanObj)));
      for (const uid of written.keys()) if (!live.has(uid)) written.delete(uid);
      for (const uid of refusedUsers.keys()) if (!live.has(uid)) refusedUsers.delete(uid);
    },
  };
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

/** Creates or replaces the plan; a refusal is explained (in use, PRUNE on an old server). */
export async function writePlan(
  client: BackupClient,
  obj: PlanObj,
  action: PlanAction,
  signal: AbortSignal,
): Promise<PlanBody> {
  const planName = planNameOf(obj);
  const body = toPlanBody(obj.spec);
  try {
    if (action.kind === 'create') await client.createPlan(planName, body, { signal });
    else await client.replacePlan(planName, body, { signal });
    return body;
  } catch (err) {
    if (!isPlanInvalid(err)) throw err;
    // The service answers 400 for "already exists" too: a concurrent create is no refusal.
    const appeared =
      action.kind === 'create' &&
      (await client.getPlan(planName, { signal }).then(
        () => true,
        () => false,
      ));
    if (appeared) throw new Error(`plan ${planName} appeared while it was being created`, { cause: err });
    const users = action.kind === 'replace' ? await repositoriesUsing(client, planName, signal) : [];
    const message = planRefusalMessage({
      verb: action.kind === 'create' ? 'create' : 'update',
      planName,
      serverText: serverText(err),
      users,
      usesPrune: usesPrune(obj.spec),
    });
    throw new PlanWriteRefusedError(message, users, err);
  }
}

/** The Normal Event of a plan write. */
export function planActedEvent(obj: PlanObj, action: PlanAction): EventInput {
  const planName = planNameOf(obj);
  if (action.kind === 'create') {
    return {
      type: EventType.Normal,
      reason: PLAN_EVENT_REASONS.created,
      action: 'CreatePlan',
      note: `Created plan ${planName} on the Backup Service.`,
    };
  }
  // A spec the operator has not acted on yet is an update; otherwise someone changed the server.
  const firstSight = obj.status?.planName === undefined;
  const specChanged = obj.status?.observedGeneration !== obj.metadata.generation;
  return {
    type: EventType.Normal,
    reason: specChanged || firstSight ? PLAN_EVENT_REASONS.updated : PLAN_EVENT_REASONS.driftCorrected,
    action: 'ReplacePlan',
    note: `Replaced plan ${planName} on the Backup Service: ${action.drift.summary}`,
  };
}

/** The Warning Event of a refused plan write (none for a plan that waits for its service). */
export function planRefusedEvent(
  _obj: PlanObj,
  refusal: Refusal,
  action: PlanAction | undefined,
): EventInput | undefined {
  if (!action) return undefined;
  return {
    type: EventType.Warning,
    reason:
      refusal.reason === 'PlanInUse'
        ? PLAN_EVENT_REASONS.inUse
        : refusal.reason === PLAN_REASONS.unsupportedByServer
          ? PLAN_REASONS.unsupportedByServer
          : PLAN_EVENT_REASONS.rejected,
    action: action.kind === 'create' ? 'CreatePlan' : 'ReplacePlan',
    note: refusal.message,
  };
}
