import type { KubernetesListObject, KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { KIND_NAMES, type KindName, type KindReflectors, type KindTypes } from './kinds.ts';
import { secretKeysOf } from './references.ts';
import {
  createBackoff,
  createReflector,
  createReflectorCache,
  isNotFound,
  METADATA_LIST_ACCEPT,
  type ReadonlyDeep,
  type Reflector,
  type ReflectorHandler,
  type ReflectorOptions,
  type SecretsClient,
  splitKey,
  systemClock,
  type TimerHandle,
  type WatchClient,
} from './runtime/index.ts';
import { createSecretReferences } from './secret-references.ts';

/** Secret GETs in flight at once: a cold start with many referenced Secrets does not burst the API server. */
const MAX_CONCURRENT_READS = 8;
/** Page size of the metadata LIST: bounds the response held at once (annotations can be large). */
const LIST_PAGE_SIZE = 500;
/** Retry of a Secret GET that failed (not a 404). */
const READ_RETRY = { baseMs: 1_000, maxMs: 30_000 } as const;

/** Options for {@link createReferencedSecrets}. */
export interface ReferencedSecretsOptions
  extends Omit<ReflectorOptions<KubernetesObject>, 'kind' | 'list' | 'watchPath'> {
  secretsApi: SecretsClient;
  /** Must ask for metadata only: `createWatch(rest, { accept: METADATA_WATCH_ACCEPT })`. */
  watch: WatchClient;
  /** The kinds' caches: what their objects reference is what this cache holds. */
  kinds: KindReflectors;
  /**
   * Called when a referenced Secret's first read found nothing or failed: the objects held back
   * waiting for it (see {@link ReferencedSecrets.pending}) must be enqueued now.
   */
  onUnreadable(key: string): void;
}

/** The Secrets some cached object references, with their data; a `Reflector` to its consumers. */
export interface ReferencedSecrets extends Reflector<V1Secret> {
  /** Whether one of these Secrets exists but has not been read yet (its read enqueues its readers). */
  pending(keys: readonly string[]): boolean;
}

/** Only what the cache needs of a Secret's metadata: labels and annotations can be large. */
function slim(obj: KubernetesObject): KubernetesObject {
  const { name, namespace, resourceVersion, uid } = obj.metadata ?? {};
  return { metadata: { name, namespace, resourceVersion, uid } } as KubernetesObject;
}

/** Lists the metadata of every Secret of a namespace (or all), page by page. */
async function listSecretMetadata(
  secretsApi: SecretsClient,
  namespace: string | undefined,
): Promise<KubernetesListObject<KubernetesObject>> {
  const items: KubernetesObject[] = [];
  let next: string | undefined;
  let resourceVersion: string | undefined;
  do {
    const page = { limit: LIST_PAGE_SIZE, ...(next ? { continue: next } : {}) };
    const list = await secretsApi.list(namespace, page, METADATA_LIST_ACCEPT);
    // An empty PartialObjectMetadataList comes with `"items": null` (a nil Go slice).
    for (const item of list.items ?? []) items.push(slim(item));
    resourceVersion = list.metadata?.resourceVersion;
    next = list.metadata?._continue;
  } while (next);
  return { items, metadata: resourceVersion === undefined ? {} : { resourceVersion } };
}

/** A watch whose events keep only what {@link slim} keeps (errors and bookmarks as they are). */
function slimWatch(watch: WatchClient): WatchClient {
  return {
    watch: (path, params, callback, done) =>
      watch.watch(
        path,
        params,
        (phase, obj, raw) => callback(phase, phase === 'ERROR' ? obj : slim(obj as KubernetesObject), raw),
        done,
      ),
  };
}

/** Where the read of one referenced Secret stands. */
interface ReadState {
  /** The metadata resourceVersion the cached content was read for. */
  readFor?: string | undefined;
  inFlight: boolean;
  /** Failed reads in a row (not counting a 404). */
  failures: number;
  retry?: TimerHandle;
}

/**
 * Creates the cache of referenced Secrets (controller-runtime's metadata-only watch plus reads):
 * a metadata-only list+watch of the Secrets of the watched namespaces tells when a Secret appears,
 * changes or goes; the data of a Secret is read (GET) only while some cached object references it,
 * and again whenever its resourceVersion changes, so rotation takes effect at once. Unrelated
 * Secrets (Helm releases, tokens) cost a name and a resourceVersion each.
 *
 * Guarantees: the store holds exactly the referenced Secrets that exist and could be read, at the
 * newest content read; `hasSynced` waits for the first read of every referenced Secret.
 */
export function createReferencedSecrets(opts: ReferencedSecretsOptions): ReferencedSecrets {
  const { secretsApi, kinds, onUnreadable } = opts;
  const clock = opts.clock ?? systemClock;
  const log = opts.log.child({ kind: 'Secret' });
  const meta = createReflector<KubernetesObject>({
    ...opts,
    kind: 'Secret',
    list: (ns) => listSecretMetadata(secretsApi, ns),
    watchPath: (ns) => (ns ? `/api/v1/namespaces/${ns}/secrets` : '/api/v1/secrets'),
    watch: slimWatch(opts.watch),
    // The kinds' own resyncs re-reconcile everything; a Secret resync would add nothing.
    resyncPeriodMs: 0,
  });
  const cache = createReflectorCache<V1Secret>(log);
  const refs = createSecretReferences();
  const reads = new Map<string, ReadState>();
  const backoff = createBackoff(READ_RETRY);
  const waiting = new Set<string>();
  let active = 0;
  let stopped = false;

  const metaVersion = (key: string) => meta.store.get(key)?.metadata?.resourceVersion;
  const stateOf = (key: string): ReadState => {
    const state = reads.get(key) ?? { inFlight: false, failures: 0 };
    reads.set(key, state);
    return state;
  };
  const neverRead = (key: string): boolean => {
    const state = reads.get(key);
    return meta.store.get(key) !== undefined && state?.readFor === undefined && !state?.failures;
  };

  /** Schedules a read when the Secret is referenced, exists, and was not read at its current version. */
  const evaluate = (key: string): void => {
    if (stopped || !refs.has(key)) return;
    const version = metaVersion(key);
    if (version === undefined) return;
    const state = stateOf(key);
    if (state.inFlight || state.retry !== undefined || state.readFor === version) return;
    waiting.add(key);
    pump();
  };

  const pump = (): void => {
    for (const key of waiting) {
      if (active >= MAX_CONCURRENT_READS) return;
      waiting.delete(key);
      void read(key);
    }
  };

  const read = async (key: string): Promise<void> => {
    const state = stateOf(key);
    const version = metaVersion(key);
    const { namespace, name } = splitKey(key);
    state.inFlight = true;
    active++;
    try {
      const secret = await secretsApi.read(namespace, name);
      // Dropped, deleted or stopped meanwhile: the content must not come back into the store.
      if (stopped || reads.get(key) !== state || metaVersion(key) === undefined) return;
      state.failures = 0;
      backoff.forget(key);
      state.readFor = version;
      if (secret.metadata) delete secret.metadata.managedFields;
      cache.apply(secret);
    } catch (err) {
      if (stopped || reads.get(key) !== state) return;
      const missing = isNotFound(err);
      if (missing) {
        state.readFor = version;
        cache.remove(key);
      } else {
        state.failures++;
        log.warn({ err, key, failures: state.failures }, 'reading a referenced Secret failed');
        state.retry = clock.setTimeout(() => {
          state.retry = undefined;
          evaluate(key);
        }, backoff.next(key));
      }
      if (!cache.store.get(key) && (missing || state.failures === 1)) onUnreadable(key);
    } finally {
      state.inFlight = false;
      active--;
      evaluate(key);
      pump();
    }
  };

  /** Forgets a Secret nothing references any more, or that is gone. */
  const drop = (key: string): void => {
    const state = reads.get(key);
    if (state?.retry !== undefined) clock.clearTimeout(state.retry);
    reads.delete(key);
    waiting.delete(key);
    backoff.forget(key);
    cache.remove(key);
  };

  meta.addHandler((type, key) => {
    if (type === 'delete') {
      // Gone before its first read: the objects held back for that read are told now (no cache
      // delete event would reach them, the cache never held it).
      const neverReadYet = refs.has(key) && reads.get(key)?.readFor === undefined;
      drop(key);
      if (neverReadYet) onUnreadable(key);
    } else if (type !== 'resync') evaluate(key);
  });
  for (const kind of KIND_NAMES) {
    const keysOf = (obj: ReadonlyDeep<KubernetesObject>) =>
      secretKeysOf(kind, obj as ReadonlyDeep<KindTypes[typeof kind]>);
    (kinds[kind] as Reflector<KubernetesObject>).addHandler((type, key, obj) => {
      if (type === 'resync') return;
      const change = refs.set(`${kind}:${key}`, type === 'delete' ? [] : keysOf(obj));
      for (const k of change.added) evaluate(k);
      for (const k of change.released) drop(k);
    });
  }

  return {
    store: cache.store,
    addHandler(handler) {
      cache.handlers.add(handler);
      return () => cache.handlers.delete(handler);
    },
    start() {
      stopped = false;
      meta.start();
    },
    async stop() {
      stopped = true;
      for (const state of reads.values()) if (state.retry !== undefined) clock.clearTimeout(state.retry);
      reads.clear();
      waiting.clear();
      await meta.stop();
    },
    hasSynced: () =>
      meta.hasSynced() && KIND_NAMES.every((k) => kinds[k].hasSynced()) && !refs.keys().some(neverRead),
    lastEventAt: () => meta.lastEventAt(),
    pending: (keys) => keys.some(neverRead),
  };
}

/**
 * The handler that enqueues a kind's own keys, holding back an add or update while a Secret the
 * object reads exists but has not been read yet: the read enqueues it (as a reader of the Secret),
 * so a new BackupService never reports its existing credentials Secret as missing.
 */
export function enqueueOnceSecretsRead<K extends KindName>(
  kind: K,
  enqueue: ReflectorHandler<KindTypes[K]>,
  secrets: Pick<ReferencedSecrets, 'pending'>,
): ReflectorHandler<KindTypes[K]> {
  return (type, key, obj, old) => {
    if (type !== 'delete' && secrets.pending(secretKeysOf(kind, obj))) return;
    enqueue(type, key, obj, old);
  };
}
