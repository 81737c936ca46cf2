import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { deadline } from '../../platform/deadline.ts';
import { type Clock, sleep, systemClock } from './clock.ts';
import { ErrorPolicy, errorPolicy } from './errors.ts';
import { ReconcileResult, type RuntimeMetrics } from './metrics.ts';
import { splitKey } from './store.ts';
import type { WorkQueue } from './work-queue.ts';

/** What a reconcile is asked to look at: a key only, never an event or an object (level-triggered). */
export interface ReconcileRequest {
  key: string;
  /** Empty for cluster-scoped objects. */
  namespace: string;
  name: string;
}

/** Per-reconcile context. */
export interface ReconcileContext {
  /** Child logger carrying `controller`, `namespace`, `name` and `reconcileID`. */
  log: Logger;
  /** Aborts on controller shutdown (after the drain deadline) or when the reconcile timeout expires. */
  signal: AbortSignal;
  reconcileID: string;
}

/** A successful reconcile's single idea: when to look again (omit to wait for the next change). */
export interface ReconcileOutcome {
  requeueAfterMs?: number;
  /**
   * The look again is only a fallback for a change awaited from elsewhere (a poll's): dropped when
   * the key is reconciled sooner, so the change costs one reconcile, not that one and the timer's.
   */
  fallback?: boolean;
}

/**
 * Reconciles one key. Contract (controller-runtime's):
 * - resolves `{ requeueAfterMs }` → the key's backoff is reset and it is looked at again after that time;
 *   with `fallback: true` only if nothing else has it reconciled before then;
 * - resolves `{}`/`undefined` → the key's backoff is reset; nothing is scheduled;
 * - throws a `TerminalError` → no retry, counted; only a new change to the object triggers a reconcile;
 * - throws a Kubernetes 409 → quiet rate-limited retry (stale read);
 * - throws anything else → rate-limited retry and an error log.
 */
export type Reconciler = (
  req: ReconcileRequest,
  ctx: ReconcileContext,
) => Promise<
  // biome-ignore lint/suspicious/noConfusingVoidType: lets `async () => {}` reconcilers type-check.
  ReconcileOutcome | undefined | void
>;

/** Options for {@link createController}. */
export interface ControllerOptions {
  /** The `controller` label and log field, e.g. `backupplan`. */
  name: string;
  queue: WorkQueue;
  reconcile: Reconciler;
  /** Concurrent reconciles (different keys); 1 unless told. */
  workers?: number;
  log: Logger;
  metrics?: RuntimeMetrics;
  /** Each reconcile's signal aborts after this long; 2 minutes unless told. */
  reconcileTimeoutMs?: number;
  clock?: Clock;
}

/** A running controller. */
export interface Controller {
  /** Starts the workers; a second call is a no-op. */
  start(): void;
  /**
   * Stops taking keys, waits for running reconciles to finish, and after `drainTimeoutMs` (30 s unless
   * told) aborts their signals and waits for them to return.
   */
  stop(opts?: { drainTimeoutMs?: number }): Promise<void>;
}

/**
 * Creates a controller: `workers` loops that take keys from `queue`, call `reconcile` and apply the
 * result policy.
 *
 * Caveats: a reconcile that ignores its signal keeps its key (and its worker) busy until it returns;
 * the queue guarantees the key is not reconciled concurrently, so a hung reconcile blocks that key.
 */
export function createController(opts: ControllerOptions): Controller {
  const workers = Math.max(1, opts.workers ?? 1);
  const reconcileTimeoutMs = opts.reconcileTimeoutMs ?? 120_000;
  const clock = opts.clock ?? systemClock;
  const { queue, metrics, name: controller } = opts;
  const shutdown = new AbortController();
  let running: Promise<void>[] | undefined;

  const handle = async (key: string): Promise<void> => {
    const { namespace, name } = splitKey(key);
    const reconcileID = randomUUID();
    const log = opts.log.child({ controller, namespace, name, reconcileID });
    const timeout = deadline(reconcileTimeoutMs, shutdown.signal);
    const { signal } = timeout;
    const started = performance.now();
    metrics?.activeWorkers.inc({ controller });
    try {
      const outcome = await opts.reconcile({ key, namespace, name }, { log, signal, reconcileID });
      queue.forget(key);
      const after = outcome?.requeueAfterMs ?? 0;
      if (after > 0 && outcome?.fallback) queue.addFallback(key, after);
      else if (after > 0) queue.addAfter(key, after);
      metrics?.reconcileTotal.inc({
        controller,
        result: after > 0 ? ReconcileResult.RequeueAfter : ReconcileResult.Success,
      });
    } catch (err) {
      metrics?.reconcileTotal.inc({ controller, result: ReconcileResult.Error });
      metrics?.reconcileErrors.inc({ controller });
      if (shutdown.signal.aborted) {
        // Aborted by stop(): the queue is shut down, so there is nothing to retry into.
        log.debug({ err }, 'reconcile aborted by shutdown');
        return;
      }
      switch (errorPolicy(err)) {
        case ErrorPolicy.Terminal:
          queue.forget(key);
          metrics?.terminalReconcileErrors.inc({ controller });
          log.error({ err }, 'reconcile failed terminally; waiting for a change to the object');
          break;
        case ErrorPolicy.Conflict:
          // A stale read: expected with optimistic concurrency and not worth an error log.
          queue.addRateLimited(key);
          log.debug({ err }, 'conflict; retrying');
          break;
        default:
          queue.addRateLimited(key);
          log.error({ err, retries: queue.numRequeues(key) }, 'reconciler error');
      }
    } finally {
      timeout.dispose();
      metrics?.activeWorkers.dec({ controller });
      metrics?.reconcileTime.observe({ controller }, (performance.now() - started) / 1000);
    }
  };

  const work = async (): Promise<void> => {
    for (;;) {
      const key = await queue.next();
      if (key === undefined) return;
      try {
        await handle(key);
      } catch (err) {
        // handle() catches reconcile errors; this is a bug in the policy code itself, never fatal.
        opts.log.error({ err, controller, key }, 'controller worker error');
      } finally {
        queue.done(key);
      }
    }
  };

  return {
    start() {
      if (running) return;
      opts.log.info({ controller, workers }, 'starting controller');
      running = Array.from({ length: workers }, () => work());
    },
    async stop(stopOpts) {
      queue.shutDown();
      if (!running) return;
      const drained = Promise.all(running).then(() => true);
      const drainTimer = new AbortController();
      const timedOut = sleep(clock, stopOpts?.drainTimeoutMs ?? 30_000, drainTimer.signal).then(
        () => false,
        () => false,
      );
      const clean = await Promise.race([drained, timedOut]);
      drainTimer.abort();
      if (!clean) {
        opts.log.warn({ controller }, 'drain deadline passed; aborting running reconciles');
        shutdown.abort(new Error(`controller ${controller} stopped`));
        await drained;
      }
      opts.log.info({ controller }, 'controller stopped');
    },
  };
}
