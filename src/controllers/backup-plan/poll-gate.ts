/** What the last full reconcile of one key saw and when it asked to look again. */
interface GateEntry {
  /** Everything that must force a fresh read when it changes (generation, service version…). */
  fingerprint: string;
  checkedAt: number;
  /** Requeue delay the reconcile returned; undefined = only a change brings it back. */
  waitMs: number | undefined;
}

/**
 * Remembers, per key, when the Backup Service was last read, so that reconciles triggered by our
 * own status writes (or any other event that changes nothing we depend on) do not read it again
 * before the poll interval is up.
 */
export interface PollGate {
  /**
   * Milliseconds still to wait before the next read (`Infinity` = wait for a change), or
   * `undefined` when the key is due now: first sight, a changed fingerprint, or the wait elapsed.
   */
  remaining(key: string, fingerprint: string, now: number): number | undefined;
  /** Records a full reconcile that started at `now` and asked to be requeued after `waitMs`. */
  record(key: string, fingerprint: string, now: number, waitMs: number | undefined): void;
  forget(key: string): void;
  /** Forgets every key `keep` says no. */
  prune(keep: (key: string) => boolean): void;
}

/** Creates an empty {@link PollGate}. */
export function createPollGate(): PollGate {
  const entries = new Map<string, GateEntry>();
  return {
    remaining(key, fingerprint, now) {
      const entry = entries.get(key);
      if (!entry || entry.fingerprint !== fingerprint) return undefined;
      if (entry.waitMs === undefined) return Number.POSITIVE_INFINITY;
      const left = entry.checkedAt + entry.waitMs - now;
      return left > 0 ? left : undefined;
    },
    record(key, fingerprint, now, waitMs) {
      entries.set(key, { fingerprint, checkedAt: now, waitMs: waitMs && waitMs > 0 ? waitMs : undefined });
    },
    forget(key) {
      entries.delete(key);
    },
    prune(keep) {
      for (const key of entries.keys()) if (!keep(key)) entries.delete(key);
    },
  };
}
