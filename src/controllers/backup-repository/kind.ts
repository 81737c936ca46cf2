import { requestServicePoll } from '../backup-service/poll-request.ts';
import type { ObservedRepository } from '../cluster-observations.ts';
import { AwaitPoll, type ManagedKind } from '../engine/managed-kind.ts';
import type { ControllerDeps } from '../operator.ts';
import { readRepository } from '../repository-reads.ts';
import { type BackupRepositoryResource, FINALIZER } from '../resources.ts';
import { EventType } from '../runtime/index.ts';
import { assertRepositoryOwner } from '../server-owners.ts';
import {
  ACTION_EVENT,
  ACTION_PATH_STATE,
  describeAction,
  performAction,
  REPOSITORY_EVENTS,
} from './actions.ts';
import { createRepositoryCleanup } from './cleanup.ts';
import {
  archiveLocation,
  decide,
  type RepositoryAction,
  repositoryId,
  resolvePlan,
  specApplied,
} from './desired.ts';
import { createMemos } from './memo.ts';
import { observeRepository, servicePollMs } from './observe.ts';
import { startReconcile } from './reconcile-state.ts';
import { classifyRepositoryError } from './refusals.ts';
import { mirrorRepository, settleRepository } from './settle.ts';
import { repositoryStatusEvents } from './status-events.ts';
import { type RepositoryDetail, repositoryStatusFor } from './status-for.ts';

type Repo = BackupRepositoryResource;
type Status = NonNullable<Repo['status']>;
type Observed = ObservedRepository | undefined;
type RepositoryKind = ManagedKind<Repo, Observed, RepositoryAction, RepositoryDetail, Status>;

/** Actions that may put a drifted server object back (change-plan, pause, resume). */
const CORRECTIONS: readonly RepositoryAction['kind'][] = ['change-plan', 'pause', 'resume'];

/** The fields of a repository entry a refusal depends on (not progress or next runs, which move). */
const refusalScope = (o: Observed) =>
  o
    ? { state: o.state, plan: o.repository.plan_name, paused: o.repository.state, repo: o.repository.repo }
    : null;

/**
 * Whether a repository carries the finalizer (pure): unless it is only observed, deleting it acts
 * on the server. The chart's admission policy (templates/finalizer-policy.yaml) says the same in CEL.
 */
export function repositoryWantsFinalizer(obj: Pick<BackupRepositoryResource, 'spec'>): boolean {
  return obj.spec.managementPolicy !== 'Observe';
}

/**
 * The BackupRepository as a managed kind. It reads the repository from the shared
 * `GET /cluster/self` observation (no per-repository polling), performs one decided action at a
 * time (create, import, pause, resume, change plan, archive), runs trigger tokens exactly once,
 * reads task history and `/info` only when the repository's running set or schedule moved, and
 * mirrors it all into status. An observation older than its bound is not mirrored: status says the
 * service is unreachable and keeps the last known data.
 */
export function createBackupRepositoryKind(deps: ControllerDeps): RepositoryKind {
  const access = deps.kinds.repositories;
  const memos = createMemos();
  return {
    store: access.store as RepositoryKind['store'],
    client: access.client,
    finalizer: FINALIZER,
    wantsFinalizer: repositoryWantsFinalizer,
    session(obj, ctx) {
      const r = startReconcile(deps, memos, obj, ctx);
      const { spec } = obj;
      return {
        observe: () => {
          // A non-owner writes nothing at all: refused before it looks (ownership.ts).
          assertRepositoryOwner(deps, obj);
          return observeRepository(r);
        },
        decide(observed) {
          const planRef = spec.planRef
            ? deps.kinds.plans.store.get(`${r.namespace}/${spec.planRef.name}`)
            : undefined;
          const d = decide({
            spec,
            id: r.id,
            plan: resolvePlan(spec, r.namespace, planRef),
            observed,
            // A status written while waiting carries the generation but applied nothing.
            specChanged: !specApplied(r.previous?.conditions, r.generation),
          });
          return d.kind === 'act'
            ? { kind: 'act', action: d.action }
            : { kind: 'done', detail: { decision: d } };
        },
        async act(action, observed) {
          const client = r.client();
          // A write whose answer is lost may still have happened: until a poll newer than it, an
          // absence is confirmed with a read (observe).
          r.memo.lastWriteAt = deps.clock.now();
          try {
            await performAction({ client, obj: r.obj, id: r.id, action, observed, deps, signal: ctx.signal });
          } finally {
            // Only a poll started after the answer is sure to show the write.
            r.memo.lastWriteAt = deps.clock.now();
          }
          // A fresh poll of the service as soon as the poll floor allows (one request for every
          // write of that second) rather than at its next interval, so the objects that follow
          // this repository (runs, restores, plans) see the change at once.
          requestServicePoll(deps, r.serviceKey);
          r.forceFetch = true;
          if (action.kind === 'create') {
            const now = deps.clock.now();
            r.memo.createdEmptyAt = now;
            r.memo.createdHere = true;
            // That poll shows the new repository to every repository created in the same second
            // with one request; a read of each would be one round trip more per repository. A
            // repository to be paused or archived next goes on at once, on a read of its own:
            // nothing may run on it in between.
            if ((r.obj.spec.state ?? 'Active') === 'Active') {
              r.memo.awaitingPollSince = now;
              return new AwaitPoll(servicePollMs(deps, r.serviceKey));
            }
          }
          // A failed read after a successful write is no refusal of the write: retried with backoff.
          const after = await readRepository(client, ACTION_PATH_STATE[action.kind], r.id, ctx.signal).catch(
            (err: unknown) => {
              throw new Error(`could not read repository ${r.id} after ${action.kind}`, { cause: err });
            },
          );
          return r.remember(after);
        },
        settle: (observed, detail) => settleRepository(r, observed, detail),
        mirror: (observed) => mirrorRepository(r, observed),
        current: () => r.obj,
        status: ({ observed, result, now }) =>
          repositoryStatusFor({
            obj: r.obj,
            id: r.id,
            previous: r.previous,
            observed,
            result,
            fetched: r.fetched,
            echoes: r.echoes,
            generation: r.generation,
            now,
          }),
      };
    },
    actionName: (action) => action.kind,
    digest(obj, observed) {
      // A rotated Secret (service credentials or object-store credentials) retries a refusal at once.
      const ns = obj.metadata.namespace ?? '';
      const service = deps.kinds.services.store.get(`${ns}/${obj.spec.serviceRef.name}`);
      const version = (name: string | undefined) =>
        name ? (deps.secrets.get(`${ns}/${name}`)?.metadata?.resourceVersion ?? '-') : '';
      return {
        repository: refusalScope(observed),
        credentials: version(service?.spec.credentialsSecretRef.name),
        cloud: version(obj.spec.storage.objectStore?.credentialsSecretRef?.name),
      };
    },
    classify: (err, action, obj) => classifyRepositoryError(err, action, repositoryId(obj)),
    actedEvent: (obj, action) => {
      const note = describeAction(action, repositoryId(obj), archiveLocation(obj.spec));
      // The spec of this generation was applied before, so the server moved: a correction of drift.
      const corrects =
        CORRECTIONS.includes(action.kind) &&
        specApplied(obj.status?.conditions, obj.metadata.generation ?? 0);
      return corrects
        ? {
            type: EventType.Normal,
            reason: REPOSITORY_EVENTS.driftCorrected,
            action: action.kind,
            note: `${note} (drift corrected)`,
          }
        : { type: EventType.Normal, reason: ACTION_EVENT[action.kind], action: action.kind, note };
    },
    statusEvents: (obj, before, after, acted) => {
      // The create may have been an earlier reconcile's (one that awaited the poll).
      const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
      const madeHere =
        acted.some((a) => a.kind === 'create' || a.kind === 'import') ||
        memos.of(key, obj.metadata.uid ?? key).createdHere === true;
      return repositoryStatusEvents(obj, before, after, madeHere);
    },
    refusedEvent: (_obj, refusal, action) =>
      action
        ? {
            type: EventType.Warning,
            reason: REPOSITORY_EVENTS.rejected,
            action: action.kind,
            note: refusal.message,
          }
        : undefined,
    stalledEventReason: REPOSITORY_EVENTS.stalled,
    cleanup: createRepositoryCleanup(deps),
    forget: (key) => memos.forget(key),
  };
}
