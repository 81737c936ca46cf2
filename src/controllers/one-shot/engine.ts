import type { ControllerDeps } from '../operator.ts';
import type { ReadonlyDeep, Reconciler } from '../runtime/index.ts';
import { ConnectionError } from '../service-connections.ts';
import { followTask } from './follow.ts';
import type { OneShotKind, OneShotResource, StatusOf } from './kind.ts';
import { createOneShotMemory } from './memory.ts';
import { locateFollowedRepository, type ResolvedRepository, resolveRepository } from './repository-source.ts';
import { resolveIntent } from './resolve-intent.ts';
import { sendRequest } from './send.ts';
import { isTerminal, ONE_SHOT_REASONS } from './status.ts';
import { createOneShotTools } from './tools.ts';

/**
 * Builds the reconciler of a one-shot kind. Flow per object: terminal → nothing; task name known →
 * follow it; intent without task name → find the task (adopt), wait, send again, or ask the user
 * (the intent protocol, see `../intent`); neither → preflight, record the intent
 * (resourceVersion-guarded), send, record the task name.
 */
export function createOneShotReconciler<T extends OneShotResource>(
  deps: ControllerDeps,
  kind: OneShotKind<T>,
): Reconciler {
  const tools = createOneShotTools(deps, kind);
  const { access, label, settle, failNow, event } = tools;
  /** What this process learnt per object (keyed by UID, see createOneShotMemory). */
  const memories = createOneShotMemory();

  return async (req, ctx) => {
    const obj = access.store.get(req.key) as ReadonlyDeep<T> | undefined;
    if (!obj) {
      memories.forget(req.key);
      return;
    }
    // Terminal phases are final: no request, no write, no poll.
    if (isTerminal(obj.status?.phase)) {
      memories.forget(req.key);
      return;
    }
    const memory = memories.of(req.key, obj.metadata.uid);

    const source = kind.source(obj);
    const resolution = resolveRepository(source, (name) =>
      deps.kinds.repositories.store.get(`${req.namespace}/${name}`),
    );
    let repo: ResolvedRepository;
    if (resolution.kind === 'ok') {
      repo = resolution.repository;
      memory.resolved = repo;
    } else if (obj.status?.taskName && source.repositoryRef) {
      // The task was started: it runs on the service whether or not the BackupRepository object exists.
      const taskName = obj.status.taskName;
      const located = locateFollowedRepository({
        repositoryName: source.repositoryRef.name,
        taskName,
        repositoryId: obj.status.repositoryId,
        remembered: memory.resolved,
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
        memories.forget(req.key);
        return;
      }
      repo = located.repository;
      memory.resolved = repo;
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

    const args = { obj, memory, client, service, repo, ctx };
    if (obj.status?.taskName) {
      memory.failedTries = undefined;
      return await followTask(tools, { ...args, serviceKey });
    }
    if (obj.status?.intent) {
      return await resolveIntent(tools, { ...args, namespace: req.namespace, name: req.name });
    }

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
    return await sendRequest(tools, { ...args, repo: { ...repo, state } });
  };
}
