import type { RepositoryPathState } from '../../backup-api/index.ts';
import type { ReadonlyDeep, ReconcileOutcome } from '../runtime/index.ts';
import type { OneShotResource, StatusOf } from './kind.ts';
import type { ObjectMemory } from './memory.ts';
import { locateFollowedRepository, type ResolvedRepository, resolveRepository } from './repository-source.ts';
import { ONE_SHOT_REASONS } from './status.ts';
import type { OneShotTools } from './tools.ts';

/** A step's result: go on with a value, or stop the reconcile with `done`. */
type Step<V> = V | { done: ReconcileOutcome | undefined; forget?: boolean };

/**
 * The repository an object's task runs (or will run) on: from its spec, or for a started task whose
 * BackupRepository object is gone, from what was recorded and observed. `forget` once it is lost.
 */
export async function repositoryOf<T extends OneShotResource>(
  tools: OneShotTools<T>,
  obj: ReadonlyDeep<T>,
  namespace: string,
  memory: ObjectMemory,
): Promise<Step<{ repo: ResolvedRepository }>> {
  const { kind, settle, failNow, event } = tools;
  const source = kind.source(obj);
  const resolution = resolveRepository(source, (name) =>
    tools.deps.kinds.repositories.store.get(`${namespace}/${name}`),
  );
  if (resolution.kind === 'ok') {
    memory.resolved = resolution.repository;
    return { repo: resolution.repository };
  }
  if (obj.status?.taskName && source.repositoryRef) {
    // The task was started: it runs on the service whether or not the BackupRepository object exists.
    const taskName = obj.status.taskName;
    const located = locateFollowedRepository({
      repositoryName: source.repositoryRef.name,
      taskName,
      repositoryId: obj.status.repositoryId,
      remembered: memory.resolved,
      services: tools.deps.kinds.services.store.list(namespace).map((s) => {
        const serviceKey = `${namespace}/${s.metadata.name}`;
        const found = obj.status?.repositoryId
          ? tools.deps.observations.findRepository(serviceKey, obj.status.repositoryId)
          : undefined;
        return {
          name: s.metadata.name,
          polled: tools.deps.observations.get(serviceKey) !== undefined,
          found: found && { state: found.state },
        };
      }),
    });
    if (located.kind === 'wait')
      return { done: { requeueAfterMs: tools.deps.timings.taskPollIntervalMs * 4 } };
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
      return { done: undefined, forget: true };
    }
    memory.resolved = located.repository;
    return { repo: located.repository };
  }
  await settle(obj, { kind: 'waiting', reason: resolution.reason, message: resolution.message });
  // Identical Events are counted, not resent, so waiting reconciles do not flood the namespace.
  event(obj, 'Warning', resolution.reason, 'Resolve', resolution.message);
  return { done: undefined };
}

/**
 * Checks before a first request that the repository exists in the state the kind needs (from the
 * last poll); settles the object otherwise. Resolves the path state to send to.
 */
export async function firstSendState<T extends OneShotResource>(
  tools: OneShotTools<T>,
  obj: ReadonlyDeep<T>,
  repo: ResolvedRepository,
  serviceKey: string,
): Promise<Step<{ state: RepositoryPathState }>> {
  const { kind, label, settle, failNow, event } = tools;
  if (!tools.deps.observations.get(serviceKey)) {
    await settle(obj, {
      kind: 'waiting',
      reason: ONE_SHOT_REASONS.waitingForService,
      message: `Waiting for the first poll of BackupService ${repo.serviceName}.`,
    });
    return { done: { requeueAfterMs: tools.deps.timings.taskPollIntervalMs * 4 } };
  }
  const observed = tools.deps.observations.findRepository(serviceKey, repo.id);
  if (!observed) {
    await settle(obj, {
      kind: repo.managedBy ? 'waiting' : 'blocked',
      reason: ONE_SHOT_REASONS.repositoryNotFound,
      message: repo.managedBy
        ? `Repository ${repo.id} (BackupRepository ${repo.managedBy}) does not exist on the Backup Service yet.`
        : `Repository ${repo.id} does not exist on BackupService ${repo.serviceName}; fix repositoryId or create the repository.`,
    });
    return { done: undefined };
  }
  let state = repo.state;
  if (kind.requiresActive && observed.state !== 'active') {
    const message = `Repository ${repo.id} is ${observed.state}; a ${label} needs an active repository. Create the ${label} on an active repository instead.`;
    await settle(obj, failNow(ONE_SHOT_REASONS.repositoryNotActive, message), {
      repositoryId: repo.id,
    } as Partial<StatusOf<T>>);
    event(obj, 'Warning', ONE_SHOT_REASONS.repositoryNotActive, 'Trigger', message);
    return { done: undefined };
  }
  if (!kind.requiresActive && observed.state !== repo.state) {
    if (repo.stateExplicit) {
      const inState = tools.deps.observations.findRepository(serviceKey, repo.id, repo.state);
      if (!inState) {
        const wanted = observed.state[0]?.toUpperCase() + observed.state.slice(1);
        const message = `Repository ${repo.id} is ${observed.state} on the Backup Service, not ${repo.state}; create a new ${label} with source.state: ${wanted}.`;
        await settle(obj, failNow(ONE_SHOT_REASONS.repositoryNotActive, message), {
          repositoryId: repo.id,
        } as Partial<StatusOf<T>>);
        event(obj, 'Warning', ONE_SHOT_REASONS.repositoryNotActive, 'Trigger', message);
        return { done: undefined };
      }
    } else {
      state = observed.state;
    }
  }
  return { state };
}
