import type { KubernetesObject } from '@kubernetes/client-node';
import type { KindQueues } from './kinds.ts';
import type { Operator, OperatorOptions } from './operator.ts';
import {
  type Clock,
  type Controller,
  createKubeRest,
  createLeaderElector,
  createLeaseClient,
  type LeaderElector,
  type Reflector,
  type RuntimeMetrics,
} from './runtime/index.ts';
import type { ServiceConnections } from './service-connections.ts';

/** Builds the Lease elector from the operator's leader election options. */
function createOperatorElector(
  opts: OperatorOptions,
  le: NonNullable<OperatorOptions['leaderElection']>,
  callbacks: { onStartedLeading(signal: AbortSignal): void; onStoppedLeading(): void },
  clock: Clock,
  metrics: RuntimeMetrics,
): LeaderElector {
  // Lease calls get a short deadline: a renewal hanging on a slow API server must not outlive
  // the renew deadline, or two replicas could lead at once.
  const leaseApi = createLeaseClient(createKubeRest(opts.kc, { requestTimeoutMs: 3_000 }));
  return createLeaderElector({
    client: leaseApi,
    namespace: le.namespace,
    name: le.name,
    identity: le.identity,
    ...(le.leaseDurationMs !== undefined ? { leaseDurationMs: le.leaseDurationMs } : {}),
    ...(le.renewDeadlineMs !== undefined ? { renewDeadlineMs: le.renewDeadlineMs } : {}),
    ...(le.retryPeriodMs !== undefined ? { retryPeriodMs: le.retryPeriodMs } : {}),
    onStartedLeading: callbacks.onStartedLeading,
    onStoppedLeading: callbacks.onStoppedLeading,
    log: opts.log,
    clock,
    metrics,
  });
}

/** What {@link createLifecycle} starts and stops. */
export interface LifecycleParts {
  opts: OperatorOptions;
  controllers: Controller[];
  queues: KindQueues;
  reflectors: Reflector<KubernetesObject>[];
  connections: ServiceConnections;
  /** Events still waiting are written on a graceful stop, for a bounded time. */
  events: { flush(timeoutMs: number): Promise<void> };
  clock: Clock;
  metrics: RuntimeMetrics;
}

/** How long a graceful stop writes the Events still waiting (after the controllers drained). */
export const EVENT_FLUSH_TIMEOUT_MS = 5_000;

/** Starts and stops caches and controllers; with leader election, controllers run only while leading. */
export function createLifecycle(parts: LifecycleParts): Pick<Operator, 'start' | 'stop' | 'isLeader'> {
  const { opts, controllers, queues, reflectors, connections, clock } = parts;
  const log = opts.log;
  let elector: LeaderElector | undefined;
  let leading = false;
  let stopped = false;

  /** Resolves once every cache has listed; logs while waiting (e.g. a CRD that is not installed). */
  const cachesSynced = async (): Promise<void> => {
    let waited = 0;
    while (!stopped && !reflectors.every((r) => r.hasSynced())) {
      await new Promise((r) => clock.setTimeout(() => r(undefined), 100));
      waited += 100;
      if (waited % 30_000 === 0) log.warn({ waitedMs: waited }, 'caches not synced yet; controllers wait');
    }
  };

  /**
   * Starts the controllers once the caches are complete: reconciling from a half-filled cache would
   * report objects as missing (a Secret not listed yet) and flap Ready on every restart. When
   * `leadership` aborts, the controllers stop at once, without draining: another replica may be
   * leading already.
   */
  const startControllers = async (leadership?: AbortSignal): Promise<void> => {
    await cachesSynced();
    if (stopped || leadership?.aborted) return;
    leading = true;
    for (const c of controllers) c.start();
    leadership?.addEventListener('abort', () => {
      leading = false;
      for (const c of controllers) void c.stop({ drainTimeoutMs: 0 });
    });
  };

  return {
    isLeader: () => leading,
    async start() {
      for (const r of reflectors) r.start();
      if (!opts.leaderElection) {
        void startControllers();
        return;
      }
      const callbacks = {
        onStartedLeading: (signal: AbortSignal) => void startControllers(signal),
        onStoppedLeading: () => {
          const wasLeading = leading;
          leading = false;
          if (wasLeading && !stopped) opts.onLeadershipLost?.();
        },
      };
      elector = createOperatorElector(opts, opts.leaderElection, callbacks, clock, parts.metrics);
      void elector.run();
    },
    async stop() {
      stopped = true;
      for (const q of Object.values(queues)) q.shutDown();
      await Promise.all(controllers.map((c) => c.stop({ drainTimeoutMs: 10_000 })));
      // Recorded after their status write, so the next process would not record them again.
      await parts.events.flush(EVENT_FLUSH_TIMEOUT_MS);
      await elector?.stop();
      await Promise.all(reflectors.map((r) => r.stop()));
      await connections.close();
    },
  };
}
