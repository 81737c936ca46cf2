import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type Backoff, type BackoffOptions, createBackoff } from './backoff.ts';
import { type Clock, sleep, systemClock, type TimerHandle } from './clock.ts';
import { isGone, type KubeStatus } from './errors.ts';
import type { RuntimeMetrics } from './metrics.ts';
import { createReflectorCache, type ReflectorCache } from './reflector-cache.ts';
import { objectKey, type ReadonlyDeep, type ReadonlyStore } from './store.ts';
import type { WorkQueue } from './work-queue.ts';

/** What happened to a cached object. `resync` re-announces an unchanged object periodically. */
export type ReflectorEventType = 'add' | 'update' | 'delete' | 'resync';

/** Receives cache changes; should only enqueue keys (level-triggered), never keep the objects. */
export type ReflectorHandler<T extends KubernetesObject> = (
  type: ReflectorEventType,
  key: string,
  obj: ReadonlyDeep<T>,
  old?: ReadonlyDeep<T>,
) => void;

/** The subset of client-node's `Watch` the reflector uses. */
export interface WatchClient {
  watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController>;
}

/** Options for {@link createReflector}. */
export interface ReflectorOptions<T extends KubernetesObject> {
  /** Kind name for logs and metrics. */
  kind: string;
  /** Lists the kind in one namespace (`undefined` = all namespaces); must reject with the HTTP status on failure. */
  list: (namespace: string | undefined, signal: AbortSignal) => Promise<KubernetesListObject<T>>;
  /** The collection path to watch, e.g. `/apis/g/v1/namespaces/ns/plural` or `/apis/g/v1/plural`. */
  watchPath: (namespace: string | undefined) => string;
  watch: WatchClient;
  /** Namespaces to watch, one list+watch each; all namespaces when omitted or empty. */
  namespaces?: readonly string[];
  labelSelector?: string;
  log: Logger;
  clock?: Clock;
  random?: () => number;
  /** Reconnect backoff after every error or end of a watch; 800 ms → 30 s (kube-rs) unless told. */
  backoff?: BackoffOptions;
  /** A watch that lasted this long resets the reconnect backoff; 120 s unless told. */
  healthyAfterMs?: number;
  /** Server-side watch timeout range in seconds, picked at random per watch; 300–600 unless told. */
  watchTimeoutSeconds?: { min: number; max: number };
  /**
   * Abort and restart a watch when nothing (event or bookmark) arrived for this long; 150 s unless
   * told. The apiserver sends a bookmark about every minute on an idle watch.
   */
  watchdogMs?: number;
  /** Re-emit every cached key as `resync` this often; 10 min unless told, 0 disables. */
  resyncPeriodMs?: number;
  metrics?: RuntimeMetrics;
}

/** A list+watch cache of one kind. */
export interface Reflector<T extends KubernetesObject> {
  /** Deep-frozen objects keyed `namespace/name`; never mutate them (structuredClone first). */
  store: ReadonlyStore<T>;
  /** Registers a handler; returns a function that unregisters it. */
  addHandler(handler: ReflectorHandler<T>): () => void;
  /** Starts one list+watch loop per namespace; a second call while running is a no-op. */
  start(): void;
  /** Stops all loops and timers and waits for them to end. */
  stop(): Promise<void>;
  /** True once every namespace has been listed successfully at least once. */
  hasSynced(): boolean;
  /** Clock time of the last event or bookmark, for staleness checks. */
  lastEventAt(): number | undefined;
}

interface RunState {
  stop: AbortController;
  loops: Promise<void>[];
  resync?: TimerHandle;
}

interface WatchOutcome {
  resourceVersion: string;
  /** The resourceVersion is no longer usable (410 or an in-stream ERROR): relist. */
  relist: boolean;
  err?: unknown;
}

/** What one reflector's loops share: resolved settings, the cache and the sync bookkeeping. */
interface ReflectorContext<T extends KubernetesObject> {
  opts: ReflectorOptions<T>;
  clock: Clock;
  random: () => number;
  log: Logger;
  backoff: Backoff;
  healthyAfterMs: number;
  timeoutRange: { min: number; max: number };
  watchdogMs: number;
  resyncPeriodMs: number;
  cache: ReflectorCache<T>;
  /** Namespaces listed successfully at least once. */
  synced: Set<string | undefined>;
  /** Records that the apiserver spoke (event, bookmark or list). */
  touch(): void;
}

/**
 * Applies one watch event to the cache; returns the error that ends the watch with a relist (an
 * in-stream ERROR), else `undefined`. Advances `position.rv` past applied events.
 */
function applyWatchEvent<T extends KubernetesObject>(
  ctx: ReflectorContext<T>,
  phase: string,
  apiObj: unknown,
  position: { rv: string },
): Error | undefined {
  const obj = apiObj as T;
  const objRv = obj?.metadata?.resourceVersion;
  switch (phase) {
    case 'ADDED':
    case 'MODIFIED':
      ctx.cache.apply(obj);
      break;
    case 'DELETED':
      ctx.cache.remove(objectKey(obj));
      break;
    case 'BOOKMARK':
      break;
    case 'ERROR': {
      // Usually 410 Expired; any in-stream error leaves us unsure of our position, so relist.
      const status = apiObj as KubeStatus;
      return Object.assign(new Error(`watch ERROR event: ${status?.message ?? 'unknown'}`), status);
    }
    default:
      ctx.log.warn({ phase }, 'unknown watch event type');
      return undefined;
  }
  if (objRv) position.rv = objRv;
  return undefined;
}

/** Runs one WATCH from `resourceVersion` until it ends (close, error, watchdog or `stop`). */
function watchOnce<T extends KubernetesObject>(
  ctx: ReflectorContext<T>,
  namespace: string | undefined,
  resourceVersion: string,
  stop: AbortSignal,
): Promise<WatchOutcome> {
  const { clock, log, watchdogMs, timeoutRange, opts } = ctx;
  return new Promise<WatchOutcome>((resolve) => {
    const position = { rv: resourceVersion };
    let settled = false;
    let controller: AbortController | undefined;
    let watchdog: TimerHandle | undefined;
    const finish = (relist: boolean, err?: unknown): void => {
      if (settled) return;
      settled = true;
      if (watchdog !== undefined) clock.clearTimeout(watchdog);
      stop.removeEventListener('abort', onStop);
      controller?.abort();
      resolve({ resourceVersion: position.rv, relist, ...(err === undefined ? {} : { err }) });
    };
    const onStop = (): void => finish(false);
    const armWatchdog = (): void => {
      if (watchdog !== undefined) clock.clearTimeout(watchdog);
      watchdog = clock.setTimeout(() => {
        log.warn({ namespace, watchdogMs }, 'watch silent for too long; restarting it');
        finish(false, new Error(`watch silent for ${watchdogMs} ms`));
      }, watchdogMs);
    };
    stop.addEventListener('abort', onStop, { once: true });
    armWatchdog();
    const span = Math.max(0, timeoutRange.max - timeoutRange.min);
    const params = {
      allowWatchBookmarks: true,
      timeoutSeconds: Math.floor(timeoutRange.min + ctx.random() * span),
      resourceVersion: position.rv === '' ? undefined : position.rv,
      labelSelector: opts.labelSelector,
    };
    const onEvent = (phase: string, apiObj: unknown): void => {
      // Events from a watch we already gave up on (watchdog, stop) must not touch the store.
      if (settled) return;
      armWatchdog();
      ctx.touch();
      const relistErr = applyWatchEvent(ctx, phase, apiObj, position);
      if (relistErr) finish(true, relistErr);
    };
    opts.watch
      .watch(opts.watchPath(namespace), params, onEvent, (err) => finish(isGone(err), err ?? undefined))
      .then((c) => {
        controller = c;
        if (settled) c.abort();
      })
      .catch((err: unknown) => finish(isGone(err), err));
  });
}

/** LIST (when there is no usable resourceVersion), then WATCH, then back off, until `stop`. */
async function listWatchLoop<T extends KubernetesObject>(
  ctx: ReflectorContext<T>,
  namespace: string | undefined,
  stop: AbortSignal,
): Promise<void> {
  const { clock, log, opts, backoff } = ctx;
  const backoffKey = namespace ?? '';
  let resourceVersion: string | undefined;
  while (!stop.aborted) {
    const began = clock.now();
    try {
      if (resourceVersion === undefined) {
        const list = await opts.list(namespace, stop);
        if (stop.aborted) return;
        ctx.cache.replace(namespace, list.items);
        resourceVersion = list.metadata?.resourceVersion ?? '';
        ctx.touch();
        if (!ctx.synced.has(namespace)) log.info({ namespace, count: list.items.length }, 'cache synced');
        ctx.synced.add(namespace);
      }
      const outcome = await watchOnce(ctx, namespace, resourceVersion, stop);
      resourceVersion = outcome.relist ? undefined : outcome.resourceVersion;
      if (outcome.err !== undefined && !stop.aborted) {
        log.warn({ err: outcome.err, namespace, relist: outcome.relist }, 'watch ended with an error');
      }
    } catch (err) {
      if (stop.aborted) return;
      log.warn({ err, namespace }, 'list failed');
    }
    if (stop.aborted) return;
    if (clock.now() - began >= ctx.healthyAfterMs) backoff.forget(backoffKey);
    try {
      await sleep(clock, backoff.next(backoffKey), stop);
    } catch {
      return;
    }
  }
}

/** Re-emits every cached object as `resync` every `resyncPeriodMs` until the run stops. */
function scheduleResync<T extends KubernetesObject>(ctx: ReflectorContext<T>, state: RunState): void {
  if (ctx.resyncPeriodMs <= 0) return;
  const { store } = ctx.cache;
  state.resync = ctx.clock.setTimeout(() => {
    if (state.stop.signal.aborted) return;
    for (const key of store.keys()) {
      const obj = store.get(key);
      if (obj) ctx.cache.emit('resync', key, obj);
    }
    scheduleResync(ctx, state);
  }, ctx.resyncPeriodMs);
}

/**
 * Creates a reflector: LIST, then WATCH from the list's resourceVersion, keeping a store and emitting
 * changes, modelled on client-go's reflector because client-node's informer stops on some errors.
 *
 * Guarantees:
 * - Every end of a watch (clean close, error, HTTP error, watchdog) is followed by a reconnect after a
 *   jittered backoff; there is no error after which the reflector stays stopped, short of `stop()`.
 * - A 410 Gone (HTTP status or in-stream ERROR event) and any other in-stream ERROR cause a relist;
 *   objects missing from the new list are emitted as `delete`.
 * - Watches ask for bookmarks and carry a randomised `timeoutSeconds` so reconnects spread out.
 *
 * Caveats: `update` is emitted only when the resourceVersion changed. Handlers run synchronously
 * inside the watch callback; a handler that throws is logged and ignored.
 */
export function createReflector<T extends KubernetesObject>(opts: ReflectorOptions<T>): Reflector<T> {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? Math.random;
  const namespaces: Array<string | undefined> = opts.namespaces?.length ? [...opts.namespaces] : [undefined];
  const log = opts.log.child({ kind: opts.kind });
  let lastEvent: number | undefined;
  let running: RunState | undefined;
  const ctx: ReflectorContext<T> = {
    opts,
    clock,
    random,
    log,
    backoff: createBackoff({ baseMs: 800, maxMs: 30_000, random, ...opts.backoff }),
    healthyAfterMs: opts.healthyAfterMs ?? 120_000,
    timeoutRange: opts.watchTimeoutSeconds ?? { min: 300, max: 600 },
    watchdogMs: opts.watchdogMs ?? 150_000,
    resyncPeriodMs: opts.resyncPeriodMs ?? 600_000,
    cache: createReflectorCache<T>(log),
    synced: new Set<string | undefined>(),
    touch: () => {
      lastEvent = clock.now();
      opts.metrics?.informerLastEvent.set({ kind: opts.kind }, lastEvent / 1000);
    },
  };
  const { handlers } = ctx.cache;

  return {
    store: ctx.cache.store,
    addHandler(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    start() {
      // Guard against concurrent starts: two loops per namespace would double every request.
      if (running) {
        log.debug('reflector already running');
        return;
      }
      const stop = new AbortController();
      const state: RunState = { stop, loops: [] };
      running = state;
      state.loops = namespaces.map((ns) => listWatchLoop(ctx, ns, stop.signal));
      scheduleResync(ctx, state);
    },
    async stop() {
      const state = running;
      if (!state) return;
      running = undefined;
      state.stop.abort();
      if (state.resync !== undefined) clock.clearTimeout(state.resync);
      await Promise.all(state.loops);
    },
    hasSynced: () => namespaces.every((ns) => ctx.synced.has(ns)),
    lastEventAt: () => lastEvent,
  };
}

/**
 * The default update filter (Crossplane's DesiredStateChanged, widened): let an update through when
 * generation, labels, annotations, finalizers or deletionTimestamp changed. Status-only updates (our
 * own status patches) are dropped, which avoids reconcile loops.
 *
 * Caveat (controller-runtime's GenerationChangedPredicate): someone wiping our status is not repaired
 * until the next resync or requeue.
 */
export function desiredStateChanged(
  old: ReadonlyDeep<KubernetesObject>,
  current: ReadonlyDeep<KubernetesObject>,
): boolean {
  const a = old.metadata ?? {};
  const b = current.metadata ?? {};
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {}) ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {}) ||
    JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? [])
  );
}

/** A handler that enqueues the key of every add, delete and resync, and of updates passing `updateFilter`. */
export function enqueueKeys<T extends KubernetesObject>(
  queue: Pick<WorkQueue, 'add'>,
  updateFilter: (old: ReadonlyDeep<T>, current: ReadonlyDeep<T>) => boolean = desiredStateChanged,
): ReflectorHandler<T> {
  return (type, key, obj, old) => {
    if (type === 'update' && old && !updateFilter(old, obj)) return;
    queue.add(key);
  };
}
