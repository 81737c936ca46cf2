import type { ResolvedRepository } from './repository-source.ts';

/**
 * Failed tries of one resource's trigger request, in memory (a restart starts counting again; a
 * status field per try would be a write per try). `token` is the intent of the last try; `answered`
 * says the service answered it without starting a task, so it is sent again at `retryAtMs` without
 * waiting for adoption.
 */
export interface FailedTries {
  tries: number;
  firstAtMs: number;
  token: string;
  answered: boolean;
  retryAtMs: number;
  last: string;
}

/** What this process remembers about one one-shot object. */
export interface ObjectMemory {
  /** First time (clock ms) a followed task was found neither running nor in history. */
  missingSince?: number | undefined;
  /** Failed trigger tries. */
  failedTries?: FailedTries | undefined;
  /** The repository last resolved, to follow a task after its BackupRepository is deleted. */
  resolved?: ResolvedRepository | undefined;
}

/** Per-object memory of a one-shot controller. */
export interface OneShotMemory {
  /**
   * The memory of the object `uid` now stored at `key`. Keyed by UID: an object deleted and
   * recreated under the same name is another resource and starts with nothing (no inherited tries).
   */
  of(key: string, uid: string | undefined): ObjectMemory;
  /** Drops what is remembered for `key` (its object is gone or finished). */
  forget(key: string): void;
}

/** Creates an empty per-object memory. */
export function createOneShotMemory(): OneShotMemory {
  const byKey = new Map<string, { uid: string; memory: ObjectMemory }>();
  return {
    of(key, uid) {
      const entry = byKey.get(key);
      if (entry && entry.uid === (uid ?? '')) return entry.memory;
      const memory: ObjectMemory = {};
      byKey.set(key, { uid: uid ?? '', memory });
      return memory;
    },
    forget: (key) => void byKey.delete(key),
  };
}
