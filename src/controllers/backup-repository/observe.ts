import { servicePollIntervalAt } from '../backup-service/poll-interval.ts';
import { isStale, type ObservedRepository, pollSawCreation } from '../cluster-observations.ts';
import { AwaitPoll } from '../engine/managed-kind.ts';
import type { ControllerDeps } from '../operator.ts';
import { readRepository } from '../repository-reads.ts';
import { findCondition, KStatusState } from '../runtime/index.ts';
import type { RepositoryReconcile } from './reconcile-state.ts';
import { ObservationStaleError, WaitingForPollError } from './refusals.ts';

/**
 * Observes the repository without a request of its own in the steady state: our own read after a
 * write while it is newer than the BackupService's last poll, else that poll's entry. A running task
 * we started is followed with one read; an absent repository is confirmed with one read when the
 * poll predates the object (a server repository it should adopt may be newer than the poll). No
 * poll yet, or a poll too old to mirror, ends the observation. A repository this process has just
 * created is awaited (AwaitPoll) until a poll shows it, for {@link AWAIT_POLL_MS} at most, then read.
 */
export async function observeRepository(
  r: RepositoryReconcile,
): Promise<ObservedRepository | undefined | AwaitPoll> {
  const { deps, obj, id, memo, serviceKey } = r;
  const { spec } = obj;
  const { signal } = r.ctx;
  const client = r.client();
  const observation = deps.observations.get(serviceKey);
  const service = deps.kinds.services.store.get(serviceKey);
  if (!observation) {
    // After an operator restart the first poll is a moment away: the status written before the
    // restart stands until then (WaitingForService would flap Ready on every restart), unless the
    // BackupService says its poll failed.
    const serviceReady = findCondition(service?.status?.conditions, KStatusState.Ready)?.status === 'True';
    throw new WaitingForPollError(
      `Waiting for the first poll of BackupService ${spec.serviceRef.name}`,
      Boolean(r.previous?.conditions?.length) && serviceReady,
    );
  }
  if (isStale(observation, servicePollMs(deps, serviceKey), deps.clock.now())) {
    throw new ObservationStaleError(
      `The Backup Service of BackupService ${spec.serviceRef.name} has not answered since ${new Date(observation.at).toISOString()}; the status below is what it said then`,
    );
  }
  let observed =
    memo.direct && memo.direct.at >= observation.at
      ? memo.direct.observed
      : deps.observations.findRepository(serviceKey, id);
  // Created by this process a moment ago: the poll the create asked for shows it (a reconcile
  // started by anything else meanwhile would only read it for itself); past the bound it is read.
  const awaitedMs =
    memo.awaitingPollSince === undefined ? undefined : deps.clock.now() - memo.awaitingPollSince;
  if (!observed && awaitedMs !== undefined && awaitedMs < AWAIT_POLL_MS)
    return new AwaitPoll(AWAIT_POLL_MS - awaitedMs);
  memo.awaitingPollSince = undefined;
  // The wait ran out with no poll showing it: read it, whatever the polls since say (one may
  // have reached the service before the create did).
  const waitedOut = !observed && awaitedMs !== undefined;
  if (memo.following.size > 0 && observed?.state === 'active') {
    observed = r.remember(await readRepository(client, 'active', id, signal));
  }
  const pollIsNewer =
    pollSawCreation(observation.at, obj.metadata.creationTimestamp) &&
    (memo.lastWriteAt === undefined || observation.at > memo.lastWriteAt);
  if (!observed && spec.managementPolicy !== 'Observe' && (!pollIsNewer || waitedOut)) {
    observed = r.remember(await readRepository(client, spec.import ? 'imported' : 'active', id, signal));
  }
  return observed;
}

/**
 * How long a repository this process created waits for a poll to show it before it is read: the
 * create asks for a poll at once and the poll floor is one second, so a few floors.
 */
export const AWAIT_POLL_MS = 5_000;

/** The poll interval in effect for the BackupService at `serviceKey`. */
export const servicePollMs = (deps: ControllerDeps, serviceKey: string): number =>
  servicePollIntervalAt(deps.kinds.services.store, serviceKey, deps.timings.servicePollIntervalMs);
