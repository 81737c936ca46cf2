/** What changed in the set of referenced Secrets after one object's references were recorded. */
export interface ReferenceChange {
  /** Secret keys no object referenced before. */
  added: string[];
  /** Secret keys no object references any more. */
  released: string[];
}

/** Which Secrets the cached objects reference, kept up to date one object at a time. */
export interface SecretReferences {
  /**
   * Records that `owner` (e.g. `services:ns/cb`) now references `secretKeys` (`namespace/name`;
   * empty once the owner is gone).
   */
  set(owner: string, secretKeys: readonly string[]): ReferenceChange;
  /** Whether some object references Secret `key`. */
  has(key: string): boolean;
  /** Every referenced Secret key. */
  keys(): string[];
}

/** Creates an empty {@link SecretReferences}: reference counts per Secret, no I/O. */
export function createSecretReferences(): SecretReferences {
  const byOwner = new Map<string, ReadonlySet<string>>();
  const counts = new Map<string, number>();
  return {
    set(owner, secretKeys) {
      const before = byOwner.get(owner) ?? new Set<string>();
      const after = new Set(secretKeys);
      if (after.size === 0) byOwner.delete(owner);
      else byOwner.set(owner, after);
      const change: ReferenceChange = { added: [], released: [] };
      for (const key of after) {
        if (before.has(key)) continue;
        const count = (counts.get(key) ?? 0) + 1;
        counts.set(key, count);
        if (count === 1) change.added.push(key);
      }
      for (const key of before) {
        if (after.has(key)) continue;
        const count = (counts.get(key) ?? 1) - 1;
        if (count > 0) counts.set(key, count);
        else {
          counts.delete(key);
          change.released.push(key);
        }
      }
      return change;
    },
    has: (key) => counts.has(key),
    keys: () => [...counts.keys()],
  };
}
