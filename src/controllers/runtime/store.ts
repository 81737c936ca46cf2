import type { KubernetesObject } from '@kubernetes/client-node';

/** A deeply read-only view of a cached object. */
export type ReadonlyDeep<T> = T extends (infer U)[]
  ? ReadonlyArray<ReadonlyDeep<U>>
  : T extends object
    ? { readonly [K in keyof T]: ReadonlyDeep<T[K]> }
    : T;

/** The queue key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

/** Splits a queue key into namespace (empty for cluster-scoped) and name. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  if (slash < 0) return { namespace: '', name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Freezes `value` and everything reachable from it; returns it for chaining. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}

/**
 * Read side of the reflector's cache.
 *
 * Guarantees: objects are deep-frozen; an attempt to mutate one throws in strict mode (all ESM is).
 * Take a `structuredClone` before building a modified copy.
 */
export interface ReadonlyStore<T extends KubernetesObject> {
  get(key: string): ReadonlyDeep<T> | undefined;
  /** Every cached object, optionally only those of one namespace. */
  list(namespace?: string): ReadonlyDeep<T>[];
  keys(): string[];
  size(): number;
}

/** The writable cache owned by a reflector. */
export interface Store<T extends KubernetesObject> extends ReadonlyStore<T> {
  /** Stores a frozen copy of `obj`; returns the previous object. */
  upsert(obj: T): { key: string; old: ReadonlyDeep<T> | undefined; current: ReadonlyDeep<T> };
  delete(key: string): ReadonlyDeep<T> | undefined;
}

/** Creates an empty in-memory {@link Store}. */
export function createStore<T extends KubernetesObject>(): Store<T> {
  const items = new Map<string, ReadonlyDeep<T>>();
  return {
    get: (key) => items.get(key),
    list(namespace) {
      const all = [...items.values()];
      return namespace === undefined ? all : all.filter((o) => (o.metadata?.namespace ?? '') === namespace);
    },
    keys: () => [...items.keys()],
    size: () => items.size,
    upsert(obj) {
      const key = objectKey(obj);
      const old = items.get(key);
      const current = deepFreeze(obj) as ReadonlyDeep<T>;
      items.set(key, current);
      return { key, old, current };
    },
    delete(key) {
      const old = items.get(key);
      items.delete(key);
      return old;
    },
  };
}
