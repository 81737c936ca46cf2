/** In-memory log of served requests (method, path, status, time), bounded to the newest entries. */

export interface RequestLogEntry {
  seq: number;
  method: string;
  /** Path as received, query string included. */
  path: string;
  status: number;
  /** Wall-clock ISO time the request arrived. */
  time: string;
  durationMs: number;
}

export interface RequestLog {
  record(entry: Omit<RequestLogEntry, 'seq'>): void;
  /** Entries oldest first; `since` = only entries with seq > since. */
  entries(filter?: { since?: number; method?: string; pathPrefix?: string }): RequestLogEntry[];
  clear(): void;
  /** Sequence number of the newest entry (0 when none). */
  lastSeq(): number;
}

/** Creates a request log keeping at most `capacity` entries (oldest dropped first). */
export function createRequestLog(capacity = 100_000): RequestLog {
  let items: RequestLogEntry[] = [];
  let seq = 0;
  return {
    record(entry) {
      seq++;
      items.push({ seq, ...entry });
      // Drop in chunks so the array is not shifted on every request.
      if (items.length > capacity + capacity / 10) items = items.slice(items.length - capacity);
    },
    entries(filter = {}) {
      return items.filter(
        (e) =>
          (filter.since === undefined || e.seq > filter.since) &&
          (filter.method === undefined || e.method === filter.method.toUpperCase()) &&
          (filter.pathPrefix === undefined || e.path.startsWith(filter.pathPrefix)),
      );
    },
    clear() {
      items = [];
    },
    lastSeq: () => seq,
  };
}
