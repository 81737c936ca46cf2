import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ReflectorEventType, ReflectorHandler } from './reflector.ts';
import { createStore, objectKey, type ReadonlyDeep, type Store, splitKey } from './store.ts';

/** The store and the handlers it notifies: every cache change goes through here. */
export interface ReflectorCache<T extends KubernetesObject> {
  store: Store<T>;
  handlers: Set<ReflectorHandler<T>>;
  emit(type: ReflectorEventType, key: string, obj: ReadonlyDeep<T>, old?: ReadonlyDeep<T>): void;
  apply(obj: T): void;
  remove(key: string): void;
  /** Makes the namespace's part of the store equal to `items`, emitting `delete` for the missing. */
  replace(namespace: string | undefined, items: T[]): void;
}

/** Creates the store with its handlers; a handler that throws is logged and ignored. */
export function createReflectorCache<T extends KubernetesObject>(log: Logger): ReflectorCache<T> {
  const store = createStore<T>();
  const handlers = new Set<ReflectorHandler<T>>();

  const emit = (type: ReflectorEventType, key: string, obj: ReadonlyDeep<T>, old?: ReadonlyDeep<T>): void => {
    for (const handler of handlers) {
      try {
        handler(type, key, obj, old);
      } catch (err) {
        log.error({ err, key, type }, 'reflector handler threw');
      }
    }
  };

  const apply = (obj: T): void => {
    // Nothing here reads managedFields, and they are often larger than the rest of the object
    // (one entry per writer with its whole field set), so the cache does not keep them.
    if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
    const key = objectKey(obj);
    const previous = store.get(key);
    if (previous && previous.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
    const { current, old } = store.upsert(obj);
    if (old) emit('update', key, current, old);
    else emit('add', key, current);
  };

  const remove = (key: string): void => {
    const old = store.delete(key);
    if (old) emit('delete', key, old);
  };

  const inScope = (key: string, namespace: string | undefined): boolean =>
    namespace === undefined || splitKey(key).namespace === namespace;

  const replace = (namespace: string | undefined, items: T[]): void => {
    const fresh = new Set<string>();
    for (const item of items) {
      fresh.add(objectKey(item));
      apply(item);
    }
    for (const key of store.keys()) if (inScope(key, namespace) && !fresh.has(key)) remove(key);
  };

  return { store, handlers, emit, apply, remove, replace };
}
