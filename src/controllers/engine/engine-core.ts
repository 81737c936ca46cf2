import { type EventInput, writeStatus } from '../runtime/index.ts';
import type { EngineDeps, ManagedKind, ManagedObject, ManagedStatus } from './managed-kind.ts';
import type { RefusalRecord } from './refusal-memory.ts';
import { transitionEvents } from './transition-events.ts';

/** What the engine's steps share: the kind, its deps, and the two effects every step uses. */
export interface EngineCore<T extends ManagedObject, O, A, D, S extends object> {
  kind: ManagedKind<T, O, A, D, S>;
  deps: EngineDeps;
  /** Records an Event, if there is one (fire and forget). */
  record(obj: T, event: EventInput | undefined): void;
  /**
   * The refusal memory of `obj` as this process last wrote it (undefined: none written yet), newer
   * than a cached object whose watch event has not arrived yet.
   */
  lastRefusal(obj: T): { record: RefusalRecord | undefined } | undefined;
  /** Drops what the engine remembers of an object that is gone. */
  forget(key: string): void;
  /** Counts one more failed cleanup attempt of `obj` (by UID); returns the count. */
  cleanupAttempt(obj: T): number;
  /** Holds the next cleanup attempt of `obj` until `atMs`, whatever re-enqueues it meanwhile. */
  cleanupNotBefore(obj: T, atMs: number): void;
  /** Milliseconds until the next cleanup attempt of `obj` may go (0 when it may go now). */
  cleanupWaitMs(obj: T, nowMs: number): number;
  /** Forgets the cleanup attempts of `obj`. */
  cleanupDone(obj: T): void;
  /**
   * Writes `status` plus the refusal memory (only when changed); records transition Events.
   * `undefined` writes nothing.
   */
  write(
    obj: T,
    status: S | undefined,
    refusal: RefusalRecord | undefined,
    acted?: readonly A[],
  ): Promise<void>;
}

/** Builds the {@link EngineCore} of a kind. */
export function createEngineCore<T extends ManagedObject, O, A, D, S extends object>(
  kind: ManagedKind<T, O, A, D, S>,
  deps: EngineDeps,
): EngineCore<T, O, A, D, S> {
  const record = (obj: T, event: EventInput | undefined) => {
    if (event) void deps.events.record(obj, event);
  };
  /** Failed cleanup attempts and the earliest next one, by object key, for the UID they were counted for. */
  const cleanups = new Map<string, { uid: string; attempts: number; notBefore: number }>();
  /** By object key, for the UID it was written for (a recreated object starts afresh). */
  const written = new Map<string, { uid: string; record: RefusalRecord | undefined }>();
  const keyOf = (obj: T) => `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
  const uidOf = (obj: T) => obj.metadata.uid ?? keyOf(obj);
  const cleanupOf = (obj: T) => {
    const entry = cleanups.get(keyOf(obj));
    if (entry && entry.uid === uidOf(obj)) return entry;
    const fresh = { uid: uidOf(obj), attempts: 0, notBefore: 0 };
    cleanups.set(keyOf(obj), fresh);
    return fresh;
  };
  return {
    kind,
    deps,
    record,
    lastRefusal(obj) {
      const entry = written.get(keyOf(obj));
      return entry && entry.uid === uidOf(obj) ? { record: entry.record } : undefined;
    },
    forget(key) {
      written.delete(key);
      cleanups.delete(key);
    },
    cleanupAttempt(obj) {
      const entry = cleanupOf(obj);
      entry.attempts++;
      return entry.attempts;
    },
    cleanupNotBefore(obj, atMs) {
      cleanupOf(obj).notBefore = atMs;
    },
    cleanupWaitMs(obj, nowMs) {
      const entry = cleanups.get(keyOf(obj));
      return entry && entry.uid === uidOf(obj) ? Math.max(0, entry.notBefore - nowMs) : 0;
    },
    cleanupDone(obj) {
      cleanups.delete(keyOf(obj));
      written.delete(keyOf(obj));
    },
    async write(obj, status, refusal, acted = []) {
      if (status === undefined) return;
      const next: S & ManagedStatus = { ...status, refusal };
      if (!refusal) delete next.refusal;
      await writeStatus(kind.client, obj, next);
      written.set(keyOf(obj), { uid: uidOf(obj), record: refusal });
      for (const event of transitionEvents(obj.status?.conditions, next.conditions, kind)) record(obj, event);
      for (const event of kind.statusEvents?.(obj, obj.status, status, acted) ?? []) record(obj, event);
    },
  };
}

/** The earlier of two optional delays. */
export function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
