import type { V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type Clock, sleep, systemClock } from './clock.ts';
import { isConflict, isNotFound } from './errors.ts';
import type { RuntimeMetrics } from './metrics.ts';
import { MicroTime } from './micro-time.ts';

/** The part of client-node's CoordinationV1Api the elector uses. */
export interface LeaseClient {
  readNamespacedLease(param: { name: string; namespace: string }): Promise<V1Lease>;
  createNamespacedLease(param: { namespace: string; body: V1Lease }): Promise<V1Lease>;
  replaceNamespacedLease(param: { name: string; namespace: string; body: V1Lease }): Promise<V1Lease>;
}

/** Options for {@link createLeaderElector}; durations default to controller-runtime's. */
export interface LeaderElectorOptions {
  client: LeaseClient;
  namespace: string;
  /** Lease name, e.g. `cbbs-operator`. */
  name: string;
  /** Unique per process, e.g. pod name plus a random suffix. */
  identity: string;
  /** How long a lease is valid without renewal; 15 s unless told. */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a renewal before giving up; 10 s unless told. */
  renewDeadlineMs?: number;
  /** Wait between attempts; 2 s unless told. */
  retryPeriodMs?: number;
  /** Called once leadership is acquired; `signal` aborts when it is lost or released. */
  onStartedLeading: (signal: AbortSignal) => void;
  /** Called once when leadership ends (lost or released). controller-runtime exits the process here. */
  onStoppedLeading: () => void;
  log: Logger;
  clock?: Clock;
  metrics?: RuntimeMetrics;
}

/** A Lease-based leader elector. */
export interface LeaderElector {
  /** Campaigns until leader, then renews; resolves when leadership is lost or `stop()` is called. */
  run(): Promise<void>;
  /** Stops campaigning; a leader releases the lease (clears holderIdentity) so a successor needs no wait. */
  stop(): Promise<void>;
  isLeader(): boolean;
}

/** The lease as this elector last saw it, shared by the acquire/renew attempts and the release. */
interface LeaseState {
  /** The lease as written by our last successful create or replace. */
  lastLease?: V1Lease;
  /** The holder's record and when *we* first saw that resourceVersion. */
  observed?: { resourceVersion: string | undefined; at: number };
}

/** What a lease write needs to know about the lease and the candidate. */
interface LeaseTarget {
  client: LeaseClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  clock: Clock;
}

/**
 * One round of client-go's tryAcquireOrRenew: creates the lease when missing, else takes it over
 * (expired or ours) with a write guarded by its resourceVersion. False while someone else holds it;
 * throws on API errors (409 included).
 */
async function tryAcquireOrRenew(target: LeaseTarget, state: LeaseState): Promise<boolean> {
  const { client, name, namespace, identity, clock } = target;
  const now = clock.now();
  const leaseDurationSeconds = Math.ceil(target.leaseDurationMs / 1000);
  let lease: V1Lease;
  try {
    lease = await client.readNamespacedLease({ name, namespace });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    const time = new MicroTime(now);
    state.lastLease = await client.createNamespacedLease({
      namespace,
      body: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds,
          acquireTime: time,
          renewTime: time,
          leaseTransitions: 0,
        },
      },
    });
    return true;
  }
  const spec = lease.spec ?? {};
  const holder = spec.holderIdentity ?? '';
  // Expiry is judged by when *we* saw the record change, never by the holder's clock (client-go).
  const observed = state.observed;
  const seen: { resourceVersion: string | undefined; at: number } =
    observed && observed.resourceVersion === lease.metadata?.resourceVersion
      ? observed
      : { resourceVersion: lease.metadata?.resourceVersion, at: now };
  state.observed = seen;
  const heldMs = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
  if (holder !== '' && holder !== identity && seen.at + heldMs > now) return false;
  const renewing = holder === identity;
  const time = new MicroTime(now);
  state.lastLease = await client.replaceNamespacedLease({
    name,
    namespace,
    body: {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: time,
        acquireTime: renewing && spec.acquireTime ? spec.acquireTime : time,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (renewing ? 0 : 1),
      },
    },
  });
  return true;
}

/** Gives up a held lease; a failure is only logged, since the lease then simply expires. */
async function releaseLease(target: LeaseTarget, lease: V1Lease, log: Logger): Promise<void> {
  try {
    // client-go's release: empty holder and a 1 s duration so followers take over at once.
    await target.client.replaceNamespacedLease({
      name: target.name,
      namespace: target.namespace,
      body: {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: new MicroTime(target.clock.now()),
        },
      },
    });
    log.info('released the lease');
  } catch (err) {
    log.warn({ err }, 'could not release the lease; successors wait for it to expire');
  }
}

/**
 * Creates a leader elector on a coordination.k8s.io/v1 Lease (client-go's algorithm).
 *
 * Guarantees: writes use the read object's resourceVersion, so two candidates cannot both win one
 * round (the loser gets 409). A lease held by someone else is taken over only after it was seen
 * unchanged for `leaseDurationMs` of our own clock, so clock skew between nodes does not matter.
 *
 * Caveats: leadership is lost `renewDeadlineMs` after the last successful renewal, which must stay
 * below `leaseDurationMs` so the old leader stops before a new one may start. Callbacks must not block.
 */
export function createLeaderElector(opts: LeaderElectorOptions): LeaderElector {
  const clock = opts.clock ?? systemClock;
  const leaseDurationMs = opts.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = opts.retryPeriodMs ?? 2_000;
  const { namespace, name, identity } = opts;
  const log = opts.log.child({ lease: `${namespace}/${name}`, identity });
  const stopping = new AbortController();
  let leading: AbortController | undefined;
  const state: LeaseState = {};
  const target: LeaseTarget = { client: opts.client, namespace, name, identity, leaseDurationMs, clock };
  let running: Promise<void> | undefined;

  const setLeader = (value: boolean): void => {
    opts.metrics?.leaderElectionMasterStatus.set({ name }, value ? 1 : 0);
  };

  const attempt = async (): Promise<boolean> => {
    try {
      return await tryAcquireOrRenew(target, state);
    } catch (err) {
      if (isConflict(err)) log.debug('lease changed concurrently');
      else log.warn({ err }, 'lease update failed');
      return false;
    }
  };

  const pause = async (ms: number): Promise<boolean> => {
    try {
      await sleep(clock, ms, stopping.signal);
      return true;
    } catch {
      return false;
    }
  };

  const loseLeadership = (): void => {
    if (!leading) return;
    leading.abort(new Error('leadership lost'));
    leading = undefined;
    setLeader(false);
    opts.onStoppedLeading();
  };

  const campaign = async (): Promise<void> => {
    setLeader(false);
    while (!stopping.signal.aborted) {
      if (await attempt()) break;
      if (!(await pause(retryPeriodMs))) return;
    }
    if (stopping.signal.aborted) return;
    log.info('became leader');
    leading = new AbortController();
    setLeader(true);
    opts.onStartedLeading(leading.signal);
    let lastRenew = clock.now();
    while (!stopping.signal.aborted) {
      if (!(await pause(retryPeriodMs))) return;
      if (await attempt()) {
        lastRenew = clock.now();
        continue;
      }
      if (clock.now() - lastRenew >= renewDeadlineMs) {
        log.error({ renewDeadlineMs }, 'failed to renew the lease in time; leadership lost');
        loseLeadership();
        return;
      }
    }
  };

  return {
    run() {
      running ??= campaign();
      return running;
    },
    async stop() {
      stopping.abort();
      await running;
      if (!leading) return;
      if (state.lastLease) await releaseLease(target, state.lastLease, log);
      loseLeadership();
    },
    isLeader: () => leading !== undefined,
  };
}
