import type { RepositoryInfo, TaskRun } from '../../backup-api/index.ts';
import { servicePollIntervalMs } from '../backup-service/poll-interval.ts';
import { isStale, type ObservedRepository } from '../cluster-observations.ts';
import type { ManagedKind } from '../engine/managed-kind.ts';
import type { ControllerDeps } from '../operator.ts';
import { readRepository } from '../repository-reads.ts';
import { type BackupRepositoryResource, FINALIZER } from '../resources.ts';
import { EventType, findCondition, KStatusState } from '../runtime/index.ts';
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
  type Decision,
  decide,
  type RepositoryAction,
  repositoryId,
  resolvePlan,
  specApplied,
} from './desired.ts';
import { countDownFinished, createMemos, FOLLOW_LOOKS, runningNames } from './memo.ts';
import { classifyRepositoryError, ObservationStaleError, WaitingForPollError } from './refusals.ts';
import { nextRequeueMs } from './requeue.ts';
import { RECENT_TASKS_LIMIT, repositoryFingerprint } from './status.ts';
import { type RepositoryDetail, repositoryStatusFor } from './status-for.ts';
import { runTriggerTokens } from './trigger-tokens.ts';

type Repo = BackupRepositoryResource;
type Status = NonNullable<Repo['status']>;
type Observed = ObservedRepository | undefined;

/** Task names of the finished BackupRuns on this repository (cache only, no request). */
function finishedRunsOn(deps: ControllerDeps, obj: Repo, id: string): string {
  return deps.kinds.runs.store
    .list(obj.metadata.namespace ?? '')
    .filter((run) => {
      const r = run.spec.repository;
      const onThis = r.repositoryRef
        ? r.repositoryRef.name === obj.metadata.name
        : r.serviceRef?.name === obj.spec.serviceRef.name && r.repositoryId === id;
      return onThis && (run.status?.phase === 'Succeeded' || run.status?.phase === 'Failed');
    })
    .map((run) => run.status?.taskName ?? run.metadata.name)
    .sort()
    .join(',');
}

/** The fields of a repository entry a refusal depends on (not progress or next runs, which move). */
const refusalScope = (o: Observed) =>
  o
    ? { state: o.state, plan: o.repository.plan_name, paused: o.repository.state, repo: o.repository.repo }
    : null;

/**
 * The BackupRepository as a managed kind. It reads the repository from the shared
 * `GET /cluster/self` observation (no per-repository polling), performs one decided action at a
 * time (create, import, pause, resume, change plan, archive), runs trigger tokens exactly once,
 * reads task history and `/info` only when the repository's running set or schedule moved, and
 * mirrors it all into status. An observation older than its bound is not mirrored: status says the
 * service is unreachable and keeps the last known data.
 */
export function createBackupRepositoryKind(
  deps: ControllerDeps,
): ManagedKind<Repo, Observed, RepositoryAction, RepositoryDetail, Status> {
  const access = deps.kinds.repositories;
  const memos = createMemos();

  return {
    store: access.store as ManagedKind<Repo, Observed, RepositoryAction, RepositoryDetail, Status>['store'],
    client: access.client,
    finalizer: FINALIZER,
    wantsFinalizer: (obj) => obj.spec.managementPolicy !== 'Observe',
    session(start, ctx) {
      let obj = start;
      const { spec } = obj;
      const namespace = obj.metadata.namespace ?? '';
      const key = `${namespace}/${obj.metadata.name}`;
      const id = repositoryId(obj);
      const generation = obj.metadata.generation ?? 0;
      const serviceKey = `${namespace}/${spec.serviceRef.name}`;
      const memo = memos.of(key, obj.metadata.uid ?? key);
      const previous = obj.status;
      const { signal } = ctx;
      const client = () => deps.connections.get(namespace, spec.serviceRef.name).client;
      // What this reconcile learnt beyond the observation, for status (also on error paths).
      const echoes: NonNullable<Status['triggers']> = structuredClone(previous?.triggers ?? {});
      let fetched: { history: TaskRun[]; info: RepositoryInfo } | undefined;
      let forceFetch = false;
      const remember = (o: Observed): Observed => {
        memo.direct = { at: deps.clock.now(), observed: o };
        return o;
      };
      const plan = () =>
        resolvePlan(
          spec,
          namespace,
          spec.planRef ? deps.kinds.plans.store.get(`${namespace}/${spec.planRef.name}`) : undefined,
        );

      return {
        async observe() {
          const c = client();
          const observation = deps.observations.get(serviceKey);
          const service = deps.kinds.services.store.get(serviceKey);
          if (!observation) {
            // After an operator restart the first poll is a moment away: the status written before
            // the restart stands until then (WaitingForService would flap Ready on every restart),
            // unless the BackupService says its poll failed.
            const serviceReady =
              findCondition(service?.status?.conditions, KStatusState.Ready)?.status === 'True';
            throw new WaitingForPollError(
              `Waiting for the first poll of BackupService ${spec.serviceRef.name}`,
              Boolean(previous?.conditions?.length) && serviceReady,
            );
          }
          const pollMs = service
            ? servicePollIntervalMs(service, deps.timings.servicePollIntervalMs)
            : deps.timings.servicePollIntervalMs;
          if (isStale(observation, pollMs, deps.clock.now())) {
            throw new ObservationStaleError(
              `The Backup Service of BackupService ${spec.serviceRef.name} has not answered since ${new Date(observation.at).toISOString()}; the status below is what it said then`,
            );
          }
          let observed =
            memo.direct && memo.direct.at >= observation.at
              ? memo.direct.observed
              : deps.observations.findRepository(serviceKey, id);
          // A task we started is running: follow its progress with a single-repository read.
          if (memo.following.size > 0 && observed?.state === 'active')
            observed = remember(await readRepository(c, 'active', id, signal));
          if (!observed && spec.managementPolicy !== 'Observe') {
            // The shared observation may be a poll old: confirm absence before creating (one GET).
            const state = spec.import ? 'imported' : 'active';
            observed = remember(await readRepository(c, state, id, signal));
          }
          return observed;
        },
        decide(observed) {
          const d = decide({
            spec,
            id,
            plan: plan(),
            observed,
            specChanged: !specApplied(previous?.conditions, generation),
          });
          return d.kind === 'act'
            ? { kind: 'act', action: d.action }
            : { kind: 'done', detail: { decision: d } };
        },
        async act(action, observed) {
          const c = client();
          await performAction({ client: c, obj, id, action, observed, deps, signal });
          // A fresh poll of the service now (one request) rather than at its next interval, so the
          // objects that follow this repository (runs, restores, plans) see the change at once.
          deps.kinds.services.enqueue(serviceKey);
          forceFetch = true;
          return remember(await readRepository(c, ACTION_PATH_STATE[action.kind], id, signal));
        },
        async settle(initial, detail) {
          let observed = initial;
          const c = client();
          const result: RepositoryDetail = { ...detail };
          let triggerWaitMs: number | undefined;
          const decision: Decision = detail.decision;
          if (
            spec.managementPolicy !== 'Observe' &&
            observed &&
            (decision.kind === 'synced' || decision.kind === 'drifted')
          ) {
            const t = await runTriggerTokens({
              client: c,
              repositories: access.client,
              kinds: deps.kinds,
              obj,
              id,
              observed,
              recorded: previous?.triggers,
              echoes,
              deps,
              signal,
            });
            obj = t.obj;
            result.triggerProblem = t.problem;
            result.triggerWaiting = t.waiting;
            triggerWaitMs = t.waitMs;
            for (const name of t.follow) memo.following.set(name, FOLLOW_LOOKS);
            if (t.recorded) forceFetch = true;
            if (t.error !== undefined) throw t.error;
            if (t.sent) observed = remember(await readRepository(c, 'active', id, signal));
          }
          if (countDownFinished(memo.following, runningNames(observed))) forceFetch = true;
          let fetchFailed = false;
          if (observed) {
            // Runs finishing on this repository add backups that a poll may never show running.
            const fingerprint = `${repositoryFingerprint(observed)}|${finishedRunsOn(deps, obj, id)}`;
            if (forceFetch || memo.fingerprint !== fingerprint || memo.generation !== generation) {
              try {
                const [history, info] = await Promise.all([
                  c.taskHistory(observed.state, id, { limit: RECENT_TASKS_LIMIT, signal }),
                  c.getRepositoryInfo(observed.state, id, { signal }),
                ]);
                fetched = { history, info };
                for (const t of history) memo.following.delete(t.task_name);
                memo.fingerprint = fingerprint;
                memo.generation = generation;
              } catch (err) {
                ctx.log.warn({ err }, 'could not read task history or info');
                fetchFailed = true;
              }
            }
          }
          const requeueAfterMs = nextRequeueMs({
            decision,
            following: memo.following.size > 0,
            fetchFailed,
            triggerWaitMs,
            taskPollIntervalMs: deps.timings.taskPollIntervalMs,
          });
          return { observed, detail: result, obj, requeueAfterMs };
        },
        status: ({ observed, result, now }) =>
          repositoryStatusFor({ obj, id, previous, observed, result, fetched, echoes, generation, now }),
      };
    },
    actionName: (action) => action.kind,
    digest(obj, observed) {
      // A rotated Secret (service credentials or object-store credentials) retries a refusal at once.
      const ns = obj.metadata.namespace ?? '';
      const service = deps.kinds.services.store.get(`${ns}/${obj.spec.serviceRef.name}`);
      const secretVersion = (name: string | undefined) =>
        name ? (deps.secrets.get(`${ns}/${name}`)?.metadata?.resourceVersion ?? '-') : '';
      return {
        repository: refusalScope(observed),
        credentials: secretVersion(service?.spec.credentialsSecretRef.name),
        cloud: secretVersion(obj.spec.storage.objectStore?.credentialsSecretRef?.name),
      };
    },
    classify: (err, action, obj) => classifyRepositoryError(err, action, repositoryId(obj)),
    actedEvent: (obj, action) => ({
      type: EventType.Normal,
      reason: ACTION_EVENT[action.kind],
      action: action.kind,
      note: describeAction(action, repositoryId(obj), archiveLocation(obj.spec)),
    }),
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
