import {
  BACKUP_API_ERROR_CODES,
  type BackupApiError,
  type BackupClient,
  type CreateRepositoryBody,
  isBackupApiError,
  type RepositoryInfo,
  type RepositoryPathState,
  serverText,
  type TaskRun,
} from '../../backup-api/index.ts';
import type { ObservedRepository } from '../cluster-observations.ts';
import { deletionDeadlinePassed } from '../engine/deletion-deadline.ts';
import { classifyTriggerFailure } from '../one-shot/trigger-retry.ts';
import type { ControllerDeps } from '../operator.ts';
import { locateRepository, readRepository } from '../repository-reads.ts';
import type { BackupRepositoryResource } from '../resources.ts';
import { FINALIZER } from '../resources.ts';
import {
  EventType,
  ensureFinalizer,
  findCondition,
  hasFinalizer,
  isDeleting,
  KStatusState,
  metaTime,
  type ReconcileOutcome,
  type Reconciler,
  removeFinalizer,
  writeStatus,
} from '../runtime/index.ts';
import { secretValue } from '../secret-values.ts';
import { CONNECTION_ERROR_CODES, ConnectionError } from '../service-connections.ts';
import {
  archiveLocation,
  type Decision,
  decide,
  immutableMismatches,
  REPOSITORY_REASONS as R,
  type RepositoryAction,
  repositoryId,
  resolvePlan,
} from './desired.ts';
import { nextRequeueMs } from './requeue.ts';
import {
  assembleStatus,
  mirrorRepository,
  RECENT_TASKS_LIMIT,
  type RepositoryOutcome,
  repositoryFingerprint,
  stallsAnew,
  withConditions,
} from './status.ts';
import {
  claimedTaskNames,
  decideRecovery,
  decideTrigger,
  findTriggeredTask,
  sendWindowMs,
  TRIGGER_CLOCK_SKEW_MS,
  TRIGGER_KINDS,
  type TriggerEcho,
  triggerEchoPatch,
  triggerWaitingNote,
} from './triggers.ts';

type Repo = BackupRepositoryResource;
type Status = NonNullable<Repo['status']>;

/** Event reasons of BackupRepository (machine-readable, never reworded). */
export const REPOSITORY_EVENTS = {
  created: 'Created',
  imported: 'Imported',
  paused: 'Paused',
  resumed: 'Resumed',
  archived: 'Archived',
  planChanged: 'PlanChanged',
  deleted: 'Deleted',
  retained: 'Retained',
  backupTriggered: 'BackupTriggered',
  mergeTriggered: 'MergeTriggered',
  triggerRejected: 'TriggerRejected',
  rejected: 'ServerRejected',
  stalled: 'Stalled',
  deletionAbandoned: 'DeletionAbandoned',
  deletionSkipped: 'DeletionSkipped',
} as const;

/** Retry delay after a 500 the reference documents as a user error (unusable archive location). */
const LOCATION_RETRY_MS = 5 * 60_000;
/** Retry delay while waiting for the BackupService's first poll. */
const WAIT_FOR_POLL_MS = 1_000;
/** How many finished-but-not-yet-in-history looks a started task gets before we stop following it. */
const FOLLOW_LOOKS = 20;
/** Bound on actions per reconcile (create → pause is the longest legitimate chain). */
const MAX_STEPS = 4;

/** In-memory knowledge per object; losing it (restart) only costs one extra history/info read. */
interface Memo {
  /** Fingerprint of the repository entry when history/info were last read. */
  fingerprint?: string;
  generation?: number;
  /** Our own read after a write, newer than the shared observation until the next poll. */
  direct?: { at: number; observed: ObservedRepository | undefined };
  /** One-off tasks this process started and has not yet seen in task history, with looks left. */
  following: Map<string, number>;
  /**
   * The last action the server refused at the current generation, so that unrelated re-enqueues do
   * not resend it. `null` once an action succeeded (known: nothing refused, whatever an older
   * Stalled condition says); absent when unknown (after a restart, or a new generation).
   */
  rejected?: { generation: number; kind: RepositoryAction['kind']; retryAt?: number } | null;
}

const ACTION_EVENT: Record<RepositoryAction['kind'], string> = {
  create: REPOSITORY_EVENTS.created,
  import: REPOSITORY_EVENTS.imported,
  archive: REPOSITORY_EVENTS.archived,
  'change-plan': REPOSITORY_EVENTS.planChanged,
  pause: REPOSITORY_EVENTS.paused,
  resume: REPOSITORY_EVENTS.resumed,
};

const ACTION_PATH_STATE: Record<RepositoryAction['kind'], RepositoryPathState> = {
  create: 'active',
  import: 'imported',
  archive: 'archived',
  'change-plan': 'active',
  pause: 'active',
  resume: 'active',
};

function describeAction(a: RepositoryAction, id: string, archive: string): string {
  switch (a.kind) {
    case 'create':
      return `Created repository ${id} with plan ${a.plan} in ${archive}`;
    case 'import':
      return `Imported repository ${id} from ${archive}`;
    case 'archive':
      return `Archived repository ${id}`;
    case 'change-plan':
      return `Changed the plan of repository ${id} from ${a.from} to ${a.to}`;
    case 'pause':
      return `Paused repository ${id}`;
    case 'resume':
      return `Resumed repository ${id}`;
  }
}

/**
 * Whether the service itself answered a trigger request with an error (nothing was started): any
 * HTTP status except a gateway's 502/504, which may hide a request that did arrive.
 */
const answeredNotStarted = (err: BackupApiError): boolean =>
  err.status > 0 && err.status !== 502 && err.status !== 504;

const runningNames = (o: ObservedRepository | undefined): Set<string> =>
  new Set([
    ...Object.keys(o?.repository.running_tasks ?? {}),
    ...Object.keys(o?.repository.running_one_off ?? {}),
  ]);

/**
 * The BackupRepository reconciler. Reads the repository from the shared `GET /cluster/self`
 * observation (no per-repository polling), performs one decided action at a time (create, import,
 * pause, resume, change plan, archive), runs trigger tokens exactly once, reads task history and
 * `/info` only when the repository's running set or schedule moved, and mirrors it all into status.
 */
export function createBackupRepositoryReconciler(deps: ControllerDeps): Reconciler {
  const access = deps.kinds.repositories;
  const memos = new Map<string, Memo>();
  const memoFor = (key: string): Memo => {
    let m = memos.get(key);
    if (!m) {
      m = { following: new Map() };
      memos.set(key, m);
    }
    return m;
  };
  const now = () => new Date(deps.clock.now());

  const event = (obj: Repo, type: EventType, reason: string, action: string, note: string) =>
    void deps.events.record(obj, { type, reason, action, note });

  /** Writes status with conditions from `outcome`; records a Warning when it newly stalls. */
  const finish = async (obj: Repo, data: Status, outcome: RepositoryOutcome): Promise<void> => {
    const generation = obj.metadata.generation ?? 0;
    const status = withConditions(data, outcome, generation, now());
    await writeStatus(access.client, obj, status);
    if (stallsAnew(obj.status?.conditions, outcome)) {
      event(obj, EventType.Warning, REPOSITORY_EVENTS.stalled, 'Reconcile', outcome.message);
    }
  };

  /**
   * The blocked decision of an action the server already refused at this generation (no hot
   * retry: the BackupService's status changes re-enqueue every repository). After a restart the
   * Stalled condition of the same generation stands in for the lost memo.
   */
  const refusedBefore = (
    memo: Memo,
    previous: Status | undefined,
    generation: number,
    action: RepositoryAction,
  ): Decision | undefined => {
    const stalled = findCondition(previous?.conditions, KStatusState.Stalled);
    if (stalled?.status !== 'True' || stalled.observedGeneration !== generation) return undefined;
    if (stalled.reason !== R.serverRejected && stalled.reason !== R.planChangeUnsupported) return undefined;
    const r = memo.rejected;
    if (r === null) return undefined;
    if (r && (r.generation !== generation || r.kind !== action.kind)) return undefined;
    if (r?.retryAt !== undefined && deps.clock.now() >= r.retryAt) return undefined;
    return { kind: 'blocked', state: 'Stalled', reason: stalled.reason, message: stalled.message };
  };

  const blockedOutcome = (state: KStatusState, reason: string, message: string): RepositoryOutcome => ({
    state,
    reason,
    message,
    synced: { status: 'False', reason, message },
  });

  /** Object-store fields of create/import; secret values go to the service and nowhere else. */
  const cloudFields = (obj: Repo): Partial<CreateRepositoryBody> => {
    const os = obj.spec.storage.objectStore;
    if (!os) return {};
    const fields: Partial<CreateRepositoryBody> = { cloud_staging_dir: os.stagingDir };
    if (os.region !== undefined) fields.cloud_region = os.region;
    if (os.endpoint !== undefined) fields.cloud_endpoint = os.endpoint;
    if (os.forcePathStyle !== undefined) fields.cloud_force_path_style = os.forcePathStyle;
    if (os.credentialName !== undefined) fields.cloud_credential_name = os.credentialName;
    const ref = os.credentialsSecretRef;
    if (ref) {
      const ns = obj.metadata.namespace ?? '';
      const secret = deps.secrets.get(`${ns}/${ref.name}`);
      if (!secret) {
        throw new ConnectionError(
          CONNECTION_ERROR_CODES.secretNotFound,
          `Secret ${ns}/${ref.name} not found`,
        );
      }
      const id = secretValue(secret, ref.idKey);
      const key = secretValue(secret, ref.keyKey);
      if (!id || !key) {
        throw new ConnectionError(
          CONNECTION_ERROR_CODES.secretKeyMissing,
          `Secret ${ns}/${ref.name} lacks key "${id ? ref.keyKey : ref.idKey}"`,
        );
      }
      fields.cloud_credentials_id = id;
      fields.cloud_credentials_key = key;
      const token = secretValue(secret, ref.refreshTokenKey);
      if (token) fields.cloud_credentials_refresh_token = token;
    }
    return fields;
  };

  /** Task names of the finished BackupRuns on this repository (cache only, no request). */
  const finishedRunsOn = (obj: Repo, id: string): string => {
    const namespace = obj.metadata.namespace ?? '';
    return deps.kinds.runs.store
      .list(namespace)
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
  };

  const perform = async (
    client: BackupClient,
    obj: Repo,
    id: string,
    action: RepositoryAction,
    observed: ObservedRepository | undefined,
    signal: AbortSignal,
  ): Promise<void> => {
    const archive = archiveLocation(obj.spec);
    switch (action.kind) {
      case 'create':
        await client.createRepository(
          id,
          {
            plan: action.plan,
            archive,
            ...(obj.spec.bucket !== undefined ? { bucket_name: obj.spec.bucket } : {}),
            ...cloudFields(obj),
          },
          { signal },
        );
        return;
      case 'import':
        await client.importRepository(
          { id, repo: obj.spec.import?.repo ?? '', archive, ...cloudFields(obj) },
          { signal },
        );
        return;
      case 'archive':
        await client.archiveRepository(id, id, { signal });
        return;
      case 'pause':
        await client.pauseRepository(id, { signal });
        return;
      case 'resume':
        await client.resumeRepository(id, { signal });
        return;
      case 'change-plan': {
        // The service changes the plan of a paused repository (§5.15, as testrunner does it).
        const wasPaused = observed?.repository.state === 'paused';
        if (!wasPaused) await client.pauseRepository(id, { signal });
        deps.crashPoint('repository:plan-change-paused');
        try {
          await client.changeRepositoryPlan(id, action.to, { signal });
        } catch (err) {
          if (!wasPaused && action.resume) await client.resumeRepository(id, { signal }).catch(() => {});
          throw err;
        }
        if (action.resume) await client.resumeRepository(id, { signal });
        return;
      }
    }
  };

  /**
   * A server answer that retrying cannot fix → a Stalled decision (with an optional slow re-check);
   * `undefined` for transient failures, which back off.
   */
  const rejection = async (
    err: unknown,
    client: BackupClient,
    action: RepositoryAction,
    id: string,
    signal: AbortSignal,
  ): Promise<{ decision: Decision; retryAfterMs?: number } | undefined> => {
    if (err instanceof ConnectionError) {
      return { decision: { kind: 'blocked', state: 'Stalled', reason: err.code, message: err.message } };
    }
    if (!isBackupApiError(err) || err.status === 0) return undefined;
    const text = serverText(err);
    if (action.kind === 'change-plan' && err.code === BACKUP_API_ERROR_CODES.notFound) {
      // 404 is either an unknown route (old server) or a vanished repository: tell them apart.
      if (!(await readRepository(client, 'active', id, signal))) return undefined;
      return {
        decision: {
          kind: 'blocked',
          state: 'Stalled',
          reason: R.planChangeUnsupported,
          message: `This Backup Service cannot change the plan of an existing repository (${text}); the repository keeps plan ${action.from}. Recreate it under another repositoryId to use ${action.to}`,
        },
      };
    }
    const verb = action.kind === 'change-plan' ? 'the plan change' : `${action.kind}`;
    const blocked = (retryAfterMs?: number) => ({
      decision: {
        kind: 'blocked' as const,
        state: 'Stalled' as const,
        reason: R.serverRejected,
        message: `The Backup Service rejected ${verb} of repository ${id}: ${text}`,
      },
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
    if (!err.retryable) return blocked();
    // The reference documents 500 for an unusable archive location: a user error, re-checked slowly.
    if (
      err.code === BACKUP_API_ERROR_CODES.internal &&
      (action.kind === 'create' || action.kind === 'import')
    ) {
      return blocked(LOCATION_RETRY_MS);
    }
    return undefined;
  };

  const finalize = async (obj: Repo, signal: AbortSignal): Promise<ReconcileOutcome | undefined> => {
    if (!hasFinalizer(obj, FINALIZER)) return undefined;
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const id = repositoryId(obj);
    const policy = obj.spec.managementPolicy === 'Observe' ? 'Retain' : obj.spec.deletionPolicy;
    const done = async () => {
      await removeFinalizer(access.client, obj, FINALIZER);
      memos.delete(key);
      return undefined;
    };
    if (policy === 'Retain') {
      event(
        obj,
        EventType.Normal,
        REPOSITORY_EVENTS.retained,
        'Delete',
        `Repository ${id} stays on the Backup Service (deletionPolicy Retain)`,
      );
      return done();
    }
    try {
      const { client } = deps.connections.get(obj.metadata.namespace ?? '', obj.spec.serviceRef.name);
      let found = await locateRepository(client, id, signal);
      if (found && immutableMismatches(obj.spec, found).length > 0) {
        event(
          obj,
          EventType.Warning,
          REPOSITORY_EVENTS.deletionSkipped,
          'Delete',
          `Repository ${id} on the Backup Service is not the one this object describes (${immutableMismatches(obj.spec, found).join('; ')}); left untouched`,
        );
        return done();
      }
      if (found?.state === 'active') {
        await client.archiveRepository(id, id, { signal });
        event(
          obj,
          EventType.Normal,
          REPOSITORY_EVENTS.archived,
          'Delete',
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
        event(
          obj,
          EventType.Normal,
          REPOSITORY_EVENTS.deleted,
          'Delete',
          `Deleted repository ${id} from the Backup Service; backup data ${removeData ? 'removed' : 'kept in storage'}`,
        );
      }
      return done();
    } catch (err) {
      if (!(err instanceof ConnectionError) && !isBackupApiError(err)) throw err;
      const nowMs = deps.clock.now();
      if (deletionDeadlinePassed(obj, deps.timings.finalizerTimeoutMs, nowMs)) {
        event(
          obj,
          EventType.Warning,
          REPOSITORY_EVENTS.deletionAbandoned,
          'Delete',
          `Gave up cleaning up repository ${id} on the Backup Service after ${Math.round(deps.timings.finalizerTimeoutMs / 1000)} s: ${serverText(err)}`,
        );
        return done();
      }
      const message = `Cannot clean up repository ${id} (deletionPolicy ${policy}): ${serverText(err)}`;
      const reason = err instanceof ConnectionError ? err.code : R.deletionRejected;
      await finish(obj, { ...obj.status }, blockedOutcome(KStatusState.Reconciling, reason, message));
      const since = Date.parse(obj.metadata.deletionTimestamp as unknown as string);
      const remaining = since + deps.timings.finalizerTimeoutMs - nowMs;
      return { requeueAfterMs: Math.max(500, Math.min(30_000, remaining + 100)) };
    }
  };

  return async (req, ctx) => {
    const cached = access.store.get(req.key) as Repo | undefined;
    if (!cached) {
      memos.delete(req.key);
      return;
    }
    let obj: Repo = cached;
    const { spec } = obj;
    const signal = ctx.signal;
    if (isDeleting(obj)) return finalize(obj, signal);
    const manage = spec.managementPolicy !== 'Observe';
    if (manage && (await ensureFinalizer(access.client, obj, FINALIZER))) return;

    const id = repositoryId(obj);
    const generation = obj.metadata.generation ?? 0;
    const specChanged = obj.status?.observedGeneration !== generation;
    const serviceKey = `${req.namespace}/${spec.serviceRef.name}`;
    const memo = memoFor(req.key);
    const previous = obj.status;

    let client: BackupClient;
    try {
      client = deps.connections.get(req.namespace, spec.serviceRef.name).client;
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err;
      // A missing BackupService or Secret re-enqueues us when it appears (references).
      await finish(obj, { ...previous }, blockedOutcome(KStatusState.Stalled, err.code, err.message));
      return;
    }
    const observation = deps.observations.get(serviceKey);
    if (!observation) {
      // After an operator restart the first poll is a moment away: the status written before the
      // restart stands until then (WaitingForService would flap Ready on every restart). A
      // BackupService that says it is not Ready (its poll failed) is reported, though.
      const service = deps.kinds.services.store.get(serviceKey);
      const serviceReady = findCondition(service?.status?.conditions, KStatusState.Ready)?.status === 'True';
      if (previous?.conditions?.length && serviceReady) return { requeueAfterMs: WAIT_FOR_POLL_MS };
      await finish(
        obj,
        { ...previous },
        blockedOutcome(
          KStatusState.Reconciling,
          R.waitingForService,
          `Waiting for the first poll of BackupService ${spec.serviceRef.name}`,
        ),
      );
      return { requeueAfterMs: WAIT_FOR_POLL_MS };
    }

    let observed =
      memo.direct && memo.direct.at >= observation.at
        ? memo.direct.observed
        : deps.observations.findRepository(serviceKey, id);
    const remember = (o: ObservedRepository | undefined) => {
      observed = o;
      memo.direct = { at: deps.clock.now(), observed: o };
    };
    let forceFetch = false;
    if (memo.rejected && memo.rejected.generation !== generation) delete memo.rejected;
    // The trigger echoes as last recorded: every path below, errors included, writes these (never
    // `previous.triggers`, which predates an echo recorded before a request).
    const echoes: NonNullable<Status['triggers']> = structuredClone(previous?.triggers ?? {});

    try {
      // A task we started is running: follow its progress with a single-repository read.
      if (memo.following.size > 0 && observed?.state === 'active') {
        remember(await readRepository(client, 'active', id, signal));
      }

      const plan = resolvePlan(
        spec,
        req.namespace,
        spec.planRef ? deps.kinds.plans.store.get(`${req.namespace}/${spec.planRef.name}`) : undefined,
      );
      let decision: Decision = decide({ spec, id, plan, observed, specChanged });
      let retryAfterMs: number | undefined;
      let refusedRetryInMs: number | undefined;
      let confirmedAbsent = false;
      for (let step = 0; decision.kind === 'act' && step < MAX_STEPS; step++) {
        const action = decision.action;
        const refused = refusedBefore(memo, previous, generation, action);
        if (refused) {
          decision = refused;
          if (memo.rejected?.retryAt !== undefined)
            refusedRetryInMs = memo.rejected.retryAt - deps.clock.now();
          break;
        }
        if ((action.kind === 'create' || action.kind === 'import') && !confirmedAbsent) {
          // The shared observation may be a poll old: confirm absence before creating (rare, one GET).
          confirmedAbsent = true;
          const existing = await readRepository(client, ACTION_PATH_STATE[action.kind], id, signal);
          if (existing) {
            remember(existing);
            decision = decide({ spec, id, plan, observed, specChanged });
            continue;
          }
        }
        try {
          await perform(client, obj, id, action, observed, signal);
          memo.rejected = null;
          // A fresh poll of the service now (one request) rather than at its next interval, so the
          // objects that follow this repository (runs, restores, plans) see the change at once.
          deps.kinds.services.enqueue(`${obj.metadata.namespace ?? ''}/${obj.spec.serviceRef.name}`);
        } catch (err) {
          if (
            action.kind === 'create' &&
            isBackupApiError(err) &&
            err.code === BACKUP_API_ERROR_CODES.invalid
          ) {
            // Someone created it since the last poll (duplicate id): adopt instead of failing.
            const existing = await readRepository(client, 'active', id, signal);
            if (existing) {
              remember(existing);
              decision = decide({ spec, id, plan, observed, specChanged });
              continue;
            }
          }
          const rejected = await rejection(err, client, action, id, signal);
          if (!rejected) throw err;
          decision = rejected.decision;
          retryAfterMs = rejected.retryAfterMs;
          memo.rejected = {
            generation,
            kind: action.kind,
            ...(retryAfterMs !== undefined ? { retryAt: deps.clock.now() + retryAfterMs } : {}),
          };
          event(
            obj,
            EventType.Warning,
            REPOSITORY_EVENTS.rejected,
            action.kind,
            (rejected.decision as { message: string }).message,
          );
          break;
        }
        event(
          obj,
          EventType.Normal,
          ACTION_EVENT[action.kind],
          action.kind,
          describeAction(action, id, archiveLocation(spec)),
        );
        remember(await readRepository(client, ACTION_PATH_STATE[action.kind], id, signal));
        forceFetch = true;
        decision = decide({ spec, id, plan, observed, specChanged });
      }

      // Triggers: only for a managed repository that is where the spec wants it.
      let triggerProblem: string | undefined;
      let triggerWaiting: string | undefined;
      let triggerWaitMs: number | undefined;
      const repoActive = observed?.state === 'active' && observed.repository.state === 'active';
      const repoState = observed ? mirrorRepository(observed).state : undefined;
      let sent = false;
      if (manage && observed && (decision.kind === 'synced' || decision.kind === 'drifted')) {
        for (const kind of TRIGGER_KINDS) {
          const token = spec.triggers?.[kind];
          const d = decideTrigger(token, echoes[kind], repoActive);
          if (d.kind === 'none' || d.kind === 'wait' || token === undefined) {
            if (d.kind === 'wait' && token !== undefined) {
              triggerWaiting = triggerWaitingNote(kind, token, repoState);
            }
            if (
              d.kind === 'none' &&
              token !== undefined &&
              echoes[kind]?.token === token &&
              !echoes[kind]?.taskName
            ) {
              triggerProblem = `triggers.${kind} token ${token} was rejected by the Backup Service; set a new token to try again`;
            }
            continue;
          }
          if (d.kind === 'recover') {
            const fresh = await readRepository(client, 'active', id, signal);
            const history = await client.taskHistory(observed.state, id, {
              first: new Date(Date.parse(d.since) - TRIGGER_CLOCK_SKEW_MS),
              signal,
            });
            const found = findTriggeredTask({
              kind,
              since: d.since,
              repository: fresh?.repository,
              history,
              claimed: claimedTaskNames({ kind, echoes, runs: deps.kinds.runs.store.list() }),
            });
            const r = decideRecovery({ found, since: d.since, nowMs: deps.clock.now(), active: repoActive });
            if (r.kind === 'adopt') {
              echoes[kind] = { token, taskName: r.task.task_name, time: d.since };
              if (r.task.status === 'running' || r.task.status === 'waiting')
                memo.following.set(r.task.task_name, FOLLOW_LOOKS);
              forceFetch = true;
              continue;
            }
            if (r.kind === 'wait') {
              // The request may still be on its way: resending now could start a second task.
              const wait = Math.min(r.untilMs - deps.clock.now(), deps.timings.taskPollIntervalMs);
              triggerWaitMs = Math.min(triggerWaitMs ?? wait, wait);
              continue;
            }
            if (r.kind === 'inactive') {
              triggerWaiting = triggerWaitingNote(kind, token, repoState);
              continue;
            }
          }
          const echo: TriggerEcho = { token, time: metaTime(now()) };
          // Recorded before the request, onto the version we read (409 when stale): after a crash
          // or a lost answer the next reconcile looks for the task instead of sending again.
          obj = (await access.client.patchStatus(
            req.namespace,
            req.name,
            triggerEchoPatch(obj, kind, echo),
          )) as Repo;
          echoes[kind] = echo;
          deps.crashPoint(`repository:before-${kind}-request`);
          // No attempt may leave after the send window: the delivery grace of a recovery covers it.
          const windowMs = sendWindowMs(echo.time ?? '', deps.clock.now());
          const window = windowMs > 0 ? AbortSignal.timeout(windowMs) : AbortSignal.abort();
          const sendSignal = AbortSignal.any([signal, window]);
          let taskName: string;
          try {
            const res =
              kind === 'backup'
                ? await client.backup(id, { full: spec.triggers?.fullBackup ?? false, signal: sendSignal })
                : await client.merge(id, {}, { signal: sendSignal });
            taskName = res.task_name;
          } catch (err) {
            if (isBackupApiError(err) && classifyTriggerFailure(err) === 'permanent') {
              // A definite refusal (a 4xx, or a 500 the service explains, such as a failed bucket
              // check): nothing started, and asking again will not help. Echo without a time marks
              // it as never to retry; a new token tries again.
              echoes[kind] = { token };
              triggerProblem = `triggers.${kind} token ${token} was rejected by the Backup Service: ${serverText(err)}`;
              event(
                obj,
                EventType.Warning,
                REPOSITORY_EVENTS.triggerRejected,
                `Trigger${kind}`,
                triggerProblem,
              );
              continue;
            }
            if (isBackupApiError(err) && answeredNotStarted(err)) {
              // The service itself answered (500, 503, …): nothing started, so the echo is withdrawn
              // and the send retried with backoff. Without an answer the echo stays: recovery decides.
              const before = previous?.triggers?.[kind];
              if (before) echoes[kind] = before;
              else delete echoes[kind];
            }
            throw err;
          }
          // Into the echo before anything else can throw: every later error path writes it.
          echoes[kind] = { ...echo, taskName };
          deps.crashPoint(`repository:after-${kind}-request`);
          memo.following.set(taskName, FOLLOW_LOOKS);
          forceFetch = true;
          sent = true;
          event(
            obj,
            EventType.Normal,
            kind === 'backup' ? REPOSITORY_EVENTS.backupTriggered : REPOSITORY_EVENTS.mergeTriggered,
            `Trigger${kind}`,
            `Started ${kind === 'backup' ? (spec.triggers?.fullBackup ? 'a full backup' : 'an incremental backup') : 'a merge'} ${taskName} for token ${token}`,
          );
        }
      }
      if (sent) remember(await readRepository(client, 'active', id, signal));

      // A task we started that no longer runs has finished: read history until it shows there
      // (the service may list it in history a moment after it leaves the running set).
      const running = runningNames(observed);
      for (const [name, looks] of memo.following) {
        if (running.has(name)) continue;
        forceFetch = true;
        if (looks <= 1) memo.following.delete(name);
        else memo.following.set(name, looks - 1);
      }

      let fetched: { history: TaskRun[]; info: RepositoryInfo } | undefined;
      let fetchFailed = false;
      if (observed) {
        // Runs finishing on this repository add backups that a poll may never show running.
        const fingerprint = `${repositoryFingerprint(observed)}|${finishedRunsOn(obj, id)}`;
        if (forceFetch || memo.fingerprint !== fingerprint || memo.generation !== generation) {
          try {
            const [history, info] = await Promise.all([
              client.taskHistory(observed.state, id, { limit: RECENT_TASKS_LIMIT, signal }),
              client.getRepositoryInfo(observed.state, id, { signal }),
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

      const data = assembleStatus({ previous, id, observed, fetched, triggers: echoes });
      const outcome = outcomeOf(
        decision,
        id,
        data,
        spec.driftPolicy,
        spec.managementPolicy,
        triggerProblem,
        triggerWaiting,
      );
      await finish(obj, data, outcome);

      const requeueAfterMs = nextRequeueMs({
        decision,
        following: memo.following.size > 0,
        fetchFailed,
        retryAfterMs,
        refusedRetryInMs,
        triggerWaitMs,
        taskPollIntervalMs: deps.timings.taskPollIntervalMs,
      });
      return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
    } catch (err) {
      if (!isBackupApiError(err)) throw err;
      // Transient: say so in status, then back off. The echoes are this reconcile's: one recorded
      // before a request whose answer was lost must survive, or the token would be sent again.
      const data = assembleStatus({ previous, id, observed, triggers: echoes });
      await finish(
        obj,
        data,
        blockedOutcome(
          KStatusState.Reconciling,
          R.serviceUnavailable,
          `The Backup Service did not answer as expected: ${serverText(err)}`,
        ),
      );
      throw err;
    }
  };
}

/** kstatus and Synced from the final decision (pure); `triggerWaiting` notes a token held back. */
export function outcomeOf(
  decision: Decision,
  id: string,
  status: Status,
  driftPolicy: Repo['spec']['driftPolicy'],
  managementPolicy: Repo['spec']['managementPolicy'],
  triggerProblem: string | undefined,
  triggerWaiting?: string,
): RepositoryOutcome {
  const note = (message: string) =>
    triggerWaiting ? `${message.replace(/\.$/, '')}; ${triggerWaiting}` : message;
  const ready = (): RepositoryOutcome['state'] => KStatusState.Ready;
  const readyMessage = `Repository ${id} is ${status.state ?? 'present'} on the Backup Service`;
  switch (decision.kind) {
    case 'synced':
      return {
        state: ready(),
        reason: R.available,
        message: readyMessage,
        synced: triggerProblem
          ? { status: 'False', reason: R.triggerRejected, message: triggerProblem }
          : { status: 'True', reason: R.synced, message: note('The repository matches the spec.') },
      };
    case 'drifted': {
      const why =
        managementPolicy === 'Observe'
          ? 'managementPolicy Observe: not corrected'
          : driftPolicy === 'Report'
            ? 'driftPolicy Report: not corrected'
            : 'not corrected';
      return {
        state: ready(),
        reason: R.available,
        message: readyMessage,
        synced: { status: 'False', reason: R.drifted, message: note(`${decision.diff.join('; ')} (${why})`) },
      };
    }
    case 'blocked':
      return {
        state: decision.state === 'Stalled' ? KStatusState.Stalled : KStatusState.Reconciling,
        reason: decision.reason,
        message: decision.message,
        synced: { status: 'False', reason: decision.reason, message: decision.message },
      };
    case 'act':
      return {
        state: KStatusState.Reconciling,
        reason: R.applying,
        message: `Applying: ${decision.action.kind}`,
        synced: { status: 'False', reason: R.applying, message: `Applying: ${decision.action.kind}` },
      };
  }
}
