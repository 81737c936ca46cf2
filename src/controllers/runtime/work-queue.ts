import { type Backoff, createBackoff } from './backoff.ts';
import { type Clock, systemClock, type TimerHandle } from './clock.ts';
import type { RuntimeMetrics } from './metrics.ts';
import { createPartitionSlots } from './partition-slots.ts';

/**
 * A rate-limited, delaying work queue of string keys with client-go semantics.
 *
 * Guarantees:
 * - Fair: keys are handed out in the order they were first added (FIFO).
 * - Stingy: a key is in the queue at most once; adding it again before it is handed out is a no-op.
 * - Exclusive: a key handed out by `next()` is not handed out again until `done(key)`; a key added
 *   meanwhile is handed out once more after `done`.
 * - Earliest wins: with two pending `addAfter` for one key, the earlier time is kept.
 * - Fallbacks give way: an `addFallback` timer is dropped when its key is handed out before it
 *   fires (that reconcile decides afresh when to look again); `addAfter` timers are kept.
 * - Bounded partitions (with `partitionOf`): at most `maxPerPartition` keys of one partition are
 *   handed out at once. A key whose partition is at its bound waits in that partition's line (still
 *   counted by `len()` and deduplicated) and is handed out first when a key of the partition is
 *   `done`; keys of other partitions pass it meanwhile. Nothing polls: a held key is looked at when
 *   it is held and when a slot frees.
 *
 * Assumptions: every key returned by `next()` is passed to `done()` exactly once (use `finally`).
 *
 * Caveats: after `shutDown()` adds are dropped and `next()` resolves `undefined`, including for
 * keys still queued: the queue is not drained, since the next leader relists everything anyway.
 */
export interface WorkQueue {
  /** Queues `key` now (deduplicated). */
  add(key: string): void;
  /** Queues `key` after `delayMs`; for one key the earliest pending time wins. */
  addAfter(key: string, delayMs: number): void;
  /**
   * Queues `key` after `delayMs` unless it is handed out before then for another reason: a look
   * again in case the change awaited does not come (the earliest pending fallback wins).
   */
  addFallback(key: string, delayMs: number): void;
  /** Queues `key` after the key's next backoff delay (one more failure counted). */
  addRateLimited(key: string): void;
  /** Resets the key's backoff; call after a successful reconcile. */
  forget(key: string): void;
  /** Failures counted for `key` since the last `forget`. */
  numRequeues(key: string): number;
  /** Resolves with the next key to process, or `undefined` once the queue is shut down. */
  next(): Promise<string | undefined>;
  /** Marks `key` as processed; re-queues it if it was added while processing. */
  done(key: string): void;
  /** Keys waiting to be handed out, held-back ones included (not delayed or processing ones). */
  len(): number;
  /** Keys a free worker may take now: `len()` without the ones held back by their partition's bound. */
  ready(): number;
  /** Drops pending work, clears timers and releases every waiting `next()` with `undefined`. */
  shutDown(): void;
  isShuttingDown(): boolean;
}

/** Options for {@link createWorkQueue}. */
export interface WorkQueueOptions {
  /** Name used as the `name` label of the workqueue metrics. */
  name: string;
  /** Backoff used by `addRateLimited`; 5 ms → 1000 s (controller-runtime's default) unless told. */
  backoff?: Backoff;
  clock?: Clock;
  metrics?: RuntimeMetrics;
  /**
   * The partition of a key (e.g. the remote server its reconcile talks to), read when the key is
   * about to be handed out; `undefined` leaves the key unbounded.
   */
  partitionOf?: (key: string) => string | undefined;
  /** Keys of one partition handed out at once (with `partitionOf`); 1 unless told. */
  maxPerPartition?: number;
}

/** Creates a {@link WorkQueue}. */
export function createWorkQueue(opts: WorkQueueOptions): WorkQueue {
  const clock = opts.clock ?? systemClock;
  const backoff = opts.backoff ?? createBackoff({ baseMs: 5, maxMs: 1_000_000, jitter: 0 });
  const metrics = opts.metrics;
  const queue: string[] = [];
  const dirty = new Set<string>();
  const processing = new Set<string>();
  const delayed = new Map<string, { at: number; timer: TimerHandle }>();
  const fallbacks = new Map<string, { at: number; timer: TimerHandle }>();
  const waiters: Array<(key: string | undefined) => void> = [];
  let shuttingDown = false;
  const slots = opts.partitionOf
    ? createPartitionSlots(opts.partitionOf, Math.max(1, opts.maxPerPartition ?? 1))
    : undefined;

  const dropTimer = (timers: Map<string, { timer: TimerHandle }>, key: string): void => {
    const pending = timers.get(key);
    if (!pending) return;
    clock.clearTimeout(pending.timer);
    timers.delete(key);
  };
  const length = (): number => queue.length + (slots?.held() ?? 0);
  const reportDepth = (): void => {
    metrics?.workqueueDepth.set({ name: opts.name }, length());
  };

  // Hands queued keys to waiting consumers; called after anything that can make a key available.
  // Held keys whose partition has a free slot go first: they were in line before the queued ones.
  const dispatch = (): void => {
    while (waiters.length > 0) {
      const key = slots?.takeReleasable() ?? queue.shift();
      if (key === undefined) break;
      if (slots && !slots.admit(key)) continue;
      const waiter = waiters.shift()!;
      dirty.delete(key);
      processing.add(key);
      dropTimer(fallbacks, key);
      waiter(key);
    }
    reportDepth();
  };

  const add = (key: string): void => {
    if (shuttingDown || dirty.has(key)) return;
    metrics?.workqueueAdds.inc({ name: opts.name });
    dirty.add(key);
    // A key being processed is only marked dirty; done() queues it, so it never runs concurrently.
    if (processing.has(key)) return;
    queue.push(key);
    dispatch();
  };

  // One timer per key in `timers`; an earlier one is kept, a later one replaces nothing.
  const addLater = (timers: typeof delayed, key: string, delayMs: number): void => {
    if (shuttingDown) return;
    if (delayMs <= 0) {
      add(key);
      return;
    }
    const at = clock.now() + delayMs;
    const pending = timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clock.clearTimeout(pending.timer);
    const timer = clock.setTimeout(() => {
      timers.delete(key);
      add(key);
    }, delayMs);
    timers.set(key, { at, timer });
  };
  const addAfter = (key: string, delayMs: number): void => addLater(delayed, key, delayMs);

  return {
    add,
    addAfter,
    addFallback: (key, delayMs) => addLater(fallbacks, key, delayMs),
    addRateLimited(key) {
      if (shuttingDown) return;
      metrics?.workqueueRetries.inc({ name: opts.name });
      addAfter(key, backoff.next(key));
    },
    forget(key) {
      backoff.forget(key);
    },
    numRequeues(key) {
      return backoff.failures(key);
    },
    next() {
      if (shuttingDown) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        waiters.push(resolve);
        dispatch();
      });
    },
    done(key) {
      processing.delete(key);
      slots?.release(key);
      if (shuttingDown) return;
      if (dirty.has(key)) queue.push(key);
      dispatch();
    },
    len() {
      return length();
    },
    ready() {
      return queue.length;
    },
    shutDown() {
      if (shuttingDown) return;
      shuttingDown = true;
      for (const timers of [delayed, fallbacks]) {
        for (const { timer } of timers.values()) clock.clearTimeout(timer);
        timers.clear();
      }
      queue.length = 0;
      slots?.clear();
      dirty.clear();
      for (const waiter of waiters.splice(0)) waiter(undefined);
      reportDepth();
    },
    isShuttingDown() {
      return shuttingDown;
    },
  };
}
