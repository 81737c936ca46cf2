import { randomUUID } from 'node:crypto';
import type { BackupClient, RepositoryPathState, TaskRun } from '../../backup-api/index.ts';
import { describeAnswer, isBackupApiError } from '../../backup-api/index.ts';
import type { ControllerDeps, KindAccess } from '../operator.ts';
import { readRepository } from '../repository-reads.ts';
import type { BackupRestoreResource, BackupRunResource, BackupServiceResource } from '../resources.ts';
import {
  EventType,
  findCondition,
  isConflict,
  type ReadonlyDeep,
  type ReconcileContext,
  type Reconciler,
} from '../runtime/index.ts';
import { ConnectionError } from '../service-connections.ts';
import { taskOutcome, taskProgress, taskTime } from '../task-runs.ts';
import { CLOCK_SKEW_MARGIN_MS, decideAdoption, findCandidates, type TaskMatcher } from './adoption.ts';
import { claimedTaskNames } from './claimed-tasks.ts';
import { writeStatusGuarded } from './guarded-write.ts';
import {
  locateFollowedRepository,
  type RepositorySource,
  type ResolvedRepository,
  resolveRepository,
} from './repository-source.ts';
import { RETRY_TOKEN_ANNOTATION, retryIntentToken, unusedRetryToken } from './retry-token.ts';
import { sendWindowSignal } from './send-window.ts';
import { isTerminal, ONE_SHOT_REASONS, type OneShotStatus, oneShotStatus, type Situation } from './status.ts';
import {
  classifyTriggerFailure,
  TRIGGER_RETRY_LIMIT,
  triggerRetriesExhausted,
  triggerRetryDelayMs,
} from './trigger-retry.ts';
import { hasVanished } from './vanished.ts';

/** A task that is neither running nor in history this long is declared lost. */
export const VANISHED_AFTER_MS = 30_000;

/**
 * Failed tries of one resource's trigger request, in memory (a restart starts counting again; a
 * status field per try would be a write per try). `token` is the intent of the last try; `answered`
 * says the service answered it without starting a task, so it is sent again at `retryAtMs` without
 * waiting for adoption.
 */
interface FailedTries {
  tries: number;
  firstAtMs: number;
  token: string;
  answered: boolean;
  retryAtMs: number;
  last: string;
}

type OneShotResource = BackupRunResource | BackupRestoreResource;
type StatusOf<T extends OneShotResource> = NonNullable<T['status']>;

/** What a kind's preflight decided before sending. */
export type Prepared<T extends OneShotResource> =
  | { kind: 'refuse'; reason: string; message: string }
  | { kind: 'waiting' | 'blocked'; reason: string; message: string }
  | {
      kind: 'ready';
      matcher: TaskMatcher;
      /** Status fields recorded with the intent (e.g. the restore target). */
      fields: Partial<StatusOf<T>>;
      /** Human description for conditions and events, e.g. "backup", "restore into http://…". */
      what: string;
      /** Sends the request; resolves the task name. Never retried. */
      send(signal: AbortSignal): Promise<string>;
    };

/** What a kind gives the shared one-shot flow. */
export interface OneShotKind<T extends OneShotResource> {
  /** Prefix of crash points and log/event wording: `run` or `restore`. */
  name: 'run' | 'restore';
  access: (deps: ControllerDeps) => KindAccess<T>;
  source(obj: ReadonlyDeep<T>): RepositorySource;
  /** Runs need an active repository; restores take any state. */
  requiresActive: boolean;
  /** Checks and builds the request (only before a first send, never while following). */
  prepare(args: {
    obj: ReadonlyDeep<T>;
    client: BackupClient;
    service: ReadonlyDeep<BackupServiceResource>;
    repository: ResolvedRepository & { state: RepositoryPathState };
    deps: ControllerDeps;
    signal: AbortSignal;
  }): Promise<Prepared<T>>;
  /** Matcher for adoption after a restart, from spec and the fields recorded with the intent. */
  matcher(obj: ReadonlyDeep<T>): TaskMatcher;
  /** Extra status once the task succeeded (the produced backup name). */
  onSucceeded?(args: {
    obj: ReadonlyDeep<T>;
    run: TaskRun;
    client: BackupClient;
    repository: { id: string; state: RepositoryPathState };
    signal: AbortSignal;
  }): Promise<Partial<StatusOf<T>>>;
  /** Hint appended to a failed task's message, saying what to check. */
  failureHint?(obj: ReadonlyDeep<T>): string;
}

const KIND_LABEL = { run: 'BackupRun', restore: 'BackupRestore' } as const;

/** Task names in a namespace that belong to other one-shot resources or to trigger tokens. */
function claimedInNamespace(deps: ControllerDeps, namespace: string, except: string): Set<string> {
  const oneShots = (['runs', 'restores'] as const).flatMap((kind) =>
    deps.kinds[kind].store
      .list(namespace)
      .map((o) => ({ key: `${kind}/${o.metadata.name}`, taskName: o.status?.taskName })),
  );
  const triggers = deps.kinds.repositories.store.list(namespace).map((r) => r.status?.triggers);
  return claimedTaskNames(oneShots, triggers, except);
}

/**
 * Builds the reconciler of a one-shot kind. Flow per object: terminal → nothing; task name known →
 * follow it; intent without task name → find the task (adopt), wait, send again, or ask the user;
 * neither → preflight, record the intent (resourceVersion-guarded), send, record the task name.
 */
export function createOneShotReconciler<T extends OneShotResource>(
  deps: ControllerDeps,
  kind: OneShotKind<T>,
): Reconciler {
  const access = kind.access(deps);
  const label = KIND_LABEL[kind.name];
  /** First time (clock ms) a followed task was found neither running nor in history, per key. */
  const missingSince = new Map<string, number>();
  /** Failed trigger tries per key. */
  const failedTries = new Map<string, FailedTries>();
  /** The repository last resolved per key, to follow a task after its BackupRepository is deleted. */
  const resolved = new Map<string, ResolvedRepository>();
  const forget = (key: string) => {
    missingSince.delete(key);
    failedTries.delete(key);
    resolved.delete(key);
  };

  const now = () => new Date(deps.clock.now());

  /** Writes the status for a situation (plus fields), guarded; returns the written object. */
  const settle = async (
    obj: ReadonlyDeep<T>,
    situation: Situation,
    fields: Partial<StatusOf<T>> = {},
  ): Promise<T> => {
    const previous = obj.status as StatusOf<T> | undefined;
    const next = {
      ...oneShotStatus(previous as OneShotStatus | undefined, situation, generation(obj), now()),
      ...fields,
    };
    return await writeStatusGuarded(access.client, obj as T, next);
  };
  const generation = (obj: ReadonlyDeep<T>) => obj.metadata.generation ?? 0;
  const failNow = (reason: string, message: string, error = message): Situation => ({
    kind: 'failed',
    reason,
    message,
    error,
    completionTime: now().toISOString(),
  });
  const event = (
    obj: ReadonlyDeep<T>,
    type: 'Normal' | 'Warning',
    reason: string,
    action: string,
    note: string,
  ) =>
    void deps.events.record(obj, {
      type: type === 'Normal' ? EventType.Normal : EventType.Warning,
      reason,
      action,
      note,
    });

  /** Follows a task whose name is recorded until it ends. */
  const follow = async (
    obj: ReadonlyDeep<T>,
    key: string,
    client: BackupClient,
    serviceKey: string,
    repo: ResolvedRepository,
    ctx: ReconcileContext,
  ) => {
    const taskName = obj.status?.taskName as string;
    let state = repo.state;
    let repository = (await readRepository(client, state, repo.id, ctx.signal))?.repository;
    if (!repository) {
      // Archived (or imported) while the task ran: the history moves along with the repository.
      const elsewhere = deps.observations.findRepository(serviceKey, repo.id);
      if (elsewhere && elsewhere.state !== state) {
        state = elsewhere.state;
        repository = (await readRepository(client, state, repo.id, ctx.signal))?.repository;
      }
    }
    const running = repository?.running_one_off?.[taskName] ?? repository?.running_tasks?.[taskName];
    if (running) {
      missingSince.delete(key);
      deps.crashPoint(`${kind.name}:following`);
      await settle(obj, {
        kind: 'running',
        progress: taskProgress(running),
        startTime: taskTime(running.start),
        message: `Task ${taskName} is ${running.status} on repository ${repo.id}.`,
      });
      return { requeueAfterMs: deps.timings.taskPollIntervalMs };
    }
    const history = repository
      ? await client.taskHistory(state, repo.id, { taskName, signal: ctx.signal })
      : [];
    const entry = history[0];
    if (entry) {
      missingSince.delete(key);
      const outcome = taskOutcome(entry);
      const times = {
        startTime: taskTime(entry.start),
        completionTime: taskTime(entry.end) ?? now().toISOString(),
      };
      if (outcome.kind === 'succeeded') {
        const extra = kind.onSucceeded
          ? await kind.onSucceeded({
              obj,
              run: entry,
              client,
              repository: { id: repo.id, state },
              signal: ctx.signal,
            })
          : {};
        const message = `Task ${taskName} succeeded.`;
        await settle(obj, { kind: 'succeeded', ...times, message }, extra);
        event(obj, 'Normal', ONE_SHOT_REASONS.succeeded, 'Follow', message);
        return;
      }
      const hint = kind.failureHint?.(obj) ?? '';
      const message = `Task ${taskName} failed on the Backup Service: ${outcome.error}${hint ? ` ${hint}` : ''}`;
      await settle(obj, {
        kind: 'failed',
        reason: ONE_SHOT_REASONS.taskFailed,
        message,
        error: outcome.error,
        ...times,
      });
      event(obj, 'Warning', ONE_SHOT_REASONS.taskFailed, 'Follow', message);
      return;
    }
    const since = missingSince.get(key) ?? deps.clock.now();
    missingSince.set(key, since);
    if (!hasVanished(since, deps.clock.now(), VANISHED_AFTER_MS)) {
      return { requeueAfterMs: deps.timings.taskPollIntervalMs };
    }
    missingSince.delete(key);
    const where = repository
      ? `neither running on repository ${repo.id} nor in its task history`
      : `gone together with repository ${repo.id}`;
    const message = `Task ${taskName} vanished: it is ${where} for ${VANISHED_AFTER_MS / 1000} s. The operator does not know how it ended; check the Backup Service and create a new ${label} if needed.`;
    await settle(obj, failNow(ONE_SHOT_REASONS.taskVanished, message, `task ${taskName} vanished`));
    event(obj, 'Warning', ONE_SHOT_REASONS.taskVanished, 'Follow', message);
    return;
  };

  /** Records the task name after a successful request, surviving unrelated concurrent writes. */
  const recordTaskName = async (written: T, token: string, taskName: string, what: string) => {
    let current: T | undefined = written;
    for (let attempt = 0; attempt < 5 && current; attempt++) {
      const status = current.status as StatusOf<T> | undefined;
      if (status?.intent?.token !== token) {
        deps.log.error(
          { taskName, token },
          'intent replaced after the request was sent; not recording the task',
        );
        return;
      }
      if (status.taskName) return;
      try {
        await settle(
          current as ReadonlyDeep<T>,
          { kind: 'running', progress: 0, message: `Task ${taskName} (${what}) was started.` },
          { taskName } as Partial<StatusOf<T>>,
        );
        return;
      } catch (err) {
        if (!isConflict(err)) throw err;
        current = await access.client.get(written.metadata.namespace ?? '', written.metadata.name);
      }
    }
  };

  /** Preflight, intent, request, task name. `token` is set for a user-allowed retry. */
  const send = async (
    obj: ReadonlyDeep<T>,
    key: string,
    client: BackupClient,
    service: ReadonlyDeep<BackupServiceResource>,
    repo: ResolvedRepository,
    ctx: ReconcileContext,
    token: string = randomUUID(),
  ) => {
    const prepared = await kind.prepare({ obj, client, service, repository: repo, deps, signal: ctx.signal });
    if (prepared.kind === 'refuse') {
      await settle(obj, failNow(prepared.reason, prepared.message), { repositoryId: repo.id } as Partial<
        StatusOf<T>
      >);
      event(obj, 'Warning', prepared.reason, 'Trigger', prepared.message);
      return;
    }
    if (prepared.kind !== 'ready') {
      await settle(obj, { kind: prepared.kind, reason: prepared.reason, message: prepared.message });
      return;
    }
    const sentAtMs = deps.clock.now();
    const sentAt = new Date(sentAtMs).toISOString();
    // Measured from sentAt, before the intent write: a slow write shortens the window, never extends it.
    const window = sendWindowSignal(ctx.signal, sentAtMs, deps.clock.now());
    const before = failedTries.get(key);
    const attempt = (before?.tries ?? 0) + 1;
    const written = await settle(
      obj,
      before
        ? {
            kind: 'waiting',
            reason: ONE_SHOT_REASONS.triggerRetrying,
            message: `Sending the ${prepared.what} request again (try ${attempt} of ${TRIGGER_RETRY_LIMIT.tries}); the last try ended with: ${before.last}.`,
          }
        : {
            kind: 'waiting',
            reason: ONE_SHOT_REASONS.triggering,
            message: `Sending the ${prepared.what} request.`,
          },
      { ...prepared.fields, repositoryId: repo.id, intent: { token, sentAt } } as Partial<StatusOf<T>>,
    );
    deps.crashPoint(`${kind.name}:before-request`);
    let taskName: string;
    try {
      taskName = await prepared.send(window);
    } catch (err) {
      if (!isBackupApiError(err)) throw err;
      const answer = describeAnswer(err);
      const failure = classifyTriggerFailure(err);
      if (failure === 'permanent') {
        failedTries.delete(key);
        const message = `The Backup Service refused the ${prepared.what} request: ${answer}`;
        await settle(written as ReadonlyDeep<T>, failNow(ONE_SHOT_REASONS.requestRejected, message, answer));
        event(obj, 'Warning', ONE_SHOT_REASONS.requestRejected, 'Trigger', message);
        return;
      }
      const tries: FailedTries = {
        tries: attempt,
        firstAtMs: before?.firstAtMs ?? sentAtMs,
        token,
        answered: failure === 'transient',
        retryAtMs: deps.clock.now() + triggerRetryDelayMs(attempt, deps.timings.taskPollIntervalMs),
        last: answer,
      };
      failedTries.set(key, tries);
      if (failure === 'transient') {
        // Nothing was started. The intent stays (no second write per try): this process knows it was
        // answered and sends again at retryAtMs; after a restart, adoption finds nothing and resends.
        if (triggerRetriesExhausted(tries, deps.clock.now())) {
          return await giveUp(written as ReadonlyDeep<T>, key, prepared.what, tries);
        }
        ctx.log.info({ answer, tries: attempt }, 'task request refused for now; trying again later');
        return { requeueAfterMs: tries.retryAtMs - deps.clock.now() };
      }
      // No answer: the request may or may not have arrived; the intent stays and adoption decides.
      ctx.log.warn({ err: err.message, code: err.code }, 'task request outcome unknown');
      return { requeueAfterMs: deps.timings.taskPollIntervalMs };
    }
    failedTries.delete(key);
    deps.crashPoint(`${kind.name}:after-request`);
    await recordTaskName(written, token, taskName, prepared.what);
    event(
      obj,
      'Normal',
      ONE_SHOT_REASONS.taskStarted,
      'Trigger',
      `Started task ${taskName} (${prepared.what}).`,
    );
    return { requeueAfterMs: deps.timings.taskPollIntervalMs };
  };

  /** Settles Failed after the last allowed try of a request the service kept refusing or never answered. */
  const giveUp = async (obj: ReadonlyDeep<T>, key: string, what: string, tries: FailedTries) => {
    failedTries.delete(key);
    const seconds = Math.round((deps.clock.now() - tries.firstAtMs) / 1000);
    const message = `The Backup Service did not start the ${what} after ${tries.tries} tries in ${seconds} s; the last one ended with: ${tries.last}. Create a new ${label} once the cause is fixed.`;
    await settle(obj, failNow(ONE_SHOT_REASONS.requestRejected, message, tries.last));
    event(obj, 'Warning', ONE_SHOT_REASONS.requestRejected, 'Trigger', message);
  };

  /** An intent without a task name: find the task, wait, send again, or ask the user. */
  const resolveIntent = async (
    obj: ReadonlyDeep<T>,
    req: { key: string; namespace: string; name: string },
    client: BackupClient,
    service: ReadonlyDeep<BackupServiceResource>,
    repo: ResolvedRepository,
    ctx: ReconcileContext,
  ) => {
    const key = req.key;
    const intent = obj.status?.intent as { token: string; sentAt: string };
    const stalledUnknown =
      findCondition(obj.status?.conditions, 'Stalled')?.reason === ONE_SHOT_REASONS.triggerOutcomeUnknown;
    const retry = unusedRetryToken(obj.metadata.annotations, intent.token);
    if (stalledUnknown && retry !== undefined) {
      ctx.log.info('retry token set by the user; sending the request again');
      failedTries.delete(key);
      return await send(obj, key, client, service, repo, ctx, retryIntentToken(retry));
    }
    const tries = failedTries.get(key)?.token === intent.token ? failedTries.get(key) : undefined;
    if (tries?.answered) {
      // The service answered this intent without starting a task: no adoption needed, just the pause.
      const wait = tries.retryAtMs - deps.clock.now();
      if (wait > 0) return { requeueAfterMs: wait };
      if (triggerRetriesExhausted(tries, deps.clock.now())) return await giveUp(obj, key, 'task', tries);
      return await send(obj, key, client, service, repo, ctx);
    }
    const sentAtMs = Date.parse(intent.sentAt);
    const repository = (await readRepository(client, repo.state, repo.id, ctx.signal))?.repository;
    if (!repository) {
      await settle(obj, {
        kind: 'blocked',
        reason: ONE_SHOT_REASONS.repositoryNotFound,
        message: `Repository ${repo.id} is not ${repo.state} on the Backup Service, so the operator cannot tell whether the task request recorded at ${intent.sentAt} started a task.`,
      });
      return;
    }
    const history = await client.taskHistory(repo.state, repo.id, {
      first: new Date(sentAtMs - CLOCK_SKEW_MARGIN_MS),
      signal: ctx.signal,
    });
    const excluded = claimedInNamespace(
      deps,
      req.namespace,
      `${kind.name === 'run' ? 'runs' : 'restores'}/${req.name}`,
    );
    for (const name of Object.keys(repository.scheduled ?? {})) excluded.add(name);
    for (const name of Object.keys(repository.running_tasks ?? {})) excluded.add(name);
    const candidates = findCandidates({
      matcher: kind.matcher(obj),
      sentAtMs,
      running: Object.values(repository.running_one_off ?? {}),
      history,
      excluded,
    });
    const decision = decideAdoption({ candidates, sentAtMs, nowMs: deps.clock.now() });
    switch (decision.kind) {
      case 'adopt':
        failedTries.delete(key);
        ctx.log.info({ taskName: decision.taskName }, 'adopting the task of a recorded intent');
        await settle(
          obj,
          { kind: 'running', progress: 0, message: `Task ${decision.taskName} was found and adopted.` },
          { taskName: decision.taskName } as Partial<StatusOf<T>>,
        );
        return { requeueAfterMs: 1 };
      case 'wait':
        // Nothing written: the sender may be about to record the task name.
        return { requeueAfterMs: Math.max(decision.untilMs - deps.clock.now(), 1) + 50 };
      case 'resend':
        if (tries && triggerRetriesExhausted(tries, deps.clock.now())) {
          return await giveUp(obj, key, 'task', tries);
        }
        ctx.log.info({ sentAt: intent.sentAt }, 'recorded request never reached the service; sending it');
        return await send(obj, key, client, service, repo, ctx);
      case 'unknown': {
        const why =
          decision.why === 'several-candidates'
            ? `several tasks could be it (${decision.candidates.join(', ')})`
            : 'no task was found, but the request is older than the task history can be trusted to show';
        const message = `Cannot establish whether the task request recorded at ${intent.sentAt} reached the Backup Service: ${why}. It is not sent again automatically. To send it again, set the annotation ${RETRY_TOKEN_ANNOTATION} to a new value (kubectl annotate ${kind.name === 'run' ? 'backuprun' : 'backuprestore'} ${req.name} ${RETRY_TOKEN_ANNOTATION}=<new value> --overwrite).`;
        await settle(obj, { kind: 'blocked', reason: ONE_SHOT_REASONS.triggerOutcomeUnknown, message });
        return;
      }
    }
  };

  return async (req, ctx) => {
    const obj = access.store.get(req.key) as ReadonlyDeep<T> | undefined;
    if (!obj) {
      forget(req.key);
      return;
    }
    // Terminal phases are final: no request, no write, no poll.
    if (isTerminal(obj.status?.phase)) {
      forget(req.key);
      return;
    }

    const source = kind.source(obj);
    const resolution = resolveRepository(source, (name) =>
      deps.kinds.repositories.store.get(`${req.namespace}/${name}`),
    );
    let repo: ResolvedRepository;
    if (resolution.kind === 'ok') {
      repo = resolution.repository;
      resolved.set(req.key, repo);
    } else if (obj.status?.taskName && source.repositoryRef) {
      // The task was started: it runs on the service whether or not the BackupRepository object exists.
      const taskName = obj.status.taskName;
      const located = locateFollowedRepository({
        repositoryName: source.repositoryRef.name,
        taskName,
        repositoryId: obj.status.repositoryId,
        remembered: resolved.get(req.key),
        services: deps.kinds.services.store.list(req.namespace).map((s) => {
          const serviceKey = `${req.namespace}/${s.metadata.name}`;
          const found = obj.status?.repositoryId
            ? deps.observations.findRepository(serviceKey, obj.status.repositoryId)
            : undefined;
          return {
            name: s.metadata.name,
            polled: deps.observations.get(serviceKey) !== undefined,
            found: found && { state: found.state },
          };
        }),
      });
      if (located.kind === 'wait') return { requeueAfterMs: deps.timings.taskPollIntervalMs * 4 };
      if (located.kind === 'lost') {
        await settle(
          obj,
          failNow(
            ONE_SHOT_REASONS.repositoryDeleted,
            located.message,
            `BackupRepository ${source.repositoryRef.name} was deleted while task ${taskName} ran`,
          ),
        );
        event(obj, 'Warning', ONE_SHOT_REASONS.repositoryDeleted, 'Follow', located.message);
        forget(req.key);
        return;
      }
      repo = located.repository;
      resolved.set(req.key, repo);
    } else {
      await settle(obj, { kind: 'waiting', reason: resolution.reason, message: resolution.message });
      return;
    }
    const serviceKey = `${req.namespace}/${repo.serviceName}`;
    let connection: ReturnType<ControllerDeps['connections']['get']>;
    try {
      connection = deps.connections.get(req.namespace, repo.serviceName);
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err;
      // The Secret or BackupService appearing re-enqueues this object (references).
      await settle(obj, { kind: 'waiting', reason: err.code, message: `${err.message}; waiting for it.` });
      return;
    }
    const { client, service } = connection;

    if (obj.status?.taskName) {
      failedTries.delete(req.key);
      return await follow(obj, req.key, client, serviceKey, repo, ctx);
    }
    if (obj.status?.intent) return await resolveIntent(obj, req, client, service, repo, ctx);

    // Before a first request: the repository must exist, in the right state (from the last poll).
    if (!deps.observations.get(serviceKey)) {
      await settle(obj, {
        kind: 'waiting',
        reason: ONE_SHOT_REASONS.waitingForService,
        message: `Waiting for the first poll of BackupService ${repo.serviceName}.`,
      });
      return { requeueAfterMs: deps.timings.taskPollIntervalMs * 4 };
    }
    const observed = deps.observations.findRepository(serviceKey, repo.id);
    if (!observed) {
      await settle(obj, {
        kind: repo.managedBy ? 'waiting' : 'blocked',
        reason: ONE_SHOT_REASONS.repositoryNotFound,
        message: repo.managedBy
          ? `Repository ${repo.id} (BackupRepository ${repo.managedBy}) does not exist on the Backup Service yet.`
          : `Repository ${repo.id} does not exist on BackupService ${repo.serviceName}; fix repositoryId or create the repository.`,
      });
      return;
    }
    let state = repo.state;
    if (kind.requiresActive && observed.state !== 'active') {
      const message = `Repository ${repo.id} is ${observed.state}; a ${label} needs an active repository. Create the ${label} on an active repository instead.`;
      await settle(obj, failNow(ONE_SHOT_REASONS.repositoryNotActive, message), {
        repositoryId: repo.id,
      } as Partial<StatusOf<T>>);
      event(obj, 'Warning', ONE_SHOT_REASONS.repositoryNotActive, 'Trigger', message);
      return;
    }
    if (!kind.requiresActive && observed.state !== repo.state) {
      if (repo.stateExplicit) {
        const inState = deps.observations.findRepository(serviceKey, repo.id, repo.state);
        if (!inState) {
          const wanted = observed.state[0]?.toUpperCase() + observed.state.slice(1);
          const message = `Repository ${repo.id} is ${observed.state} on the Backup Service, not ${repo.state}; create a new ${label} with source.state: ${wanted}.`;
          await settle(obj, failNow(ONE_SHOT_REASONS.repositoryNotActive, message), {
            repositoryId: repo.id,
          } as Partial<StatusOf<T>>);
          event(obj, 'Warning', ONE_SHOT_REASONS.repositoryNotActive, 'Trigger', message);
          return;
        }
      } else {
        state = observed.state;
      }
    }
    return await send(obj, req.key, client, service, { ...repo, state }, ctx);
  };
}
