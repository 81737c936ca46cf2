import type { EventsV1Event, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type Clock, systemClock } from './clock.ts';
import { createEventSink, type EventSinkStats, type EventsClient } from './event-sink.ts';
import { MicroTime } from './micro-time.ts';
import type { ReadonlyDeep } from './store.ts';

/** events.k8s.io/v1 event types. */
export const EventType = { Normal: 'Normal', Warning: 'Warning' } as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** The reportingController written on every event. */
export const REPORTING_CONTROLLER = 'cbbs.dev/operator';

/** One event to record about an object. */
export interface EventInput {
  type: EventType;
  /** Machine-readable, UpperCamelCase (a named constant at the call site). */
  reason: string;
  /** What the controller did or failed to do, e.g. `Reconcile`, `CreatePlan`. */
  action: string;
  /** Human-readable; truncated to the 1 kB the apiserver allows. */
  note: string;
}

export type { EventsClient } from './event-sink.ts';

/** Records Kubernetes Events without ever blocking or failing a reconcile. */
export interface EventRecorder {
  /** Fire-and-forget; returns a promise only so tests can await delivery. Never throws or rejects. */
  record(regarding: ReadonlyDeep<KubernetesObject> | KubernetesObject, event: EventInput): Promise<void>;
}

/** Options for {@link createEventRecorder}. */
export interface EventRecorderOptions {
  client: EventsClient;
  /** reportingInstance, e.g. the pod name. */
  instance: string;
  log: Logger;
  clock?: Clock;
  /** Identical events (object + type + reason + note) within this window are counted, not sent; 10 min unless told. */
  dedupWindowMs?: number;
  /** Most distinct events the dedup remembers at once; the oldest are forgotten first. 4096 unless told. */
  maxDedupEntries?: number;
  /** Most events waiting to be written; newer ones are dropped beyond it. MAX_QUEUED_EVENTS unless told. */
  maxQueued?: number;
  /** Whether the controllers have work waiting: events then go at a bounded rate (see event-sink.ts). */
  busy?: () => boolean;
}

/** What the dedup holds and how much work its pruning did; for tests and diagnostics. */
export interface DedupStats {
  /** Distinct events remembered now. */
  entries: number;
  /** Remembered events looked at by pruning since the recorder was created. */
  pruneVisits: number;
}

/** The recorder {@link createEventRecorder} returns. */
export interface DedupingEventRecorder extends EventRecorder {
  dedupStats(): DedupStats;
  /** Events waiting to be written and dropped by a full queue. */
  sinkStats(): EventSinkStats;
  /** Writes the Events still waiting, for at most `timeoutMs` (a graceful stop). */
  flush(timeoutMs: number): Promise<void>;
}

// exactOptionalPropertyTypes: the client-node model types reject explicit `undefined` members.
function definedOnly<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/**
 * Creates an {@link EventRecorder} writing events.k8s.io/v1 Events `regarding` the object.
 *
 * Why its own dedup: client-node has no EventRecorder; without suppression a failing reconcile in
 * backoff would write one Event per retry. A repeat after the window carries `series.count`, the
 * number of occurrences since the last event sent.
 */
export function createEventRecorder(opts: EventRecorderOptions): DedupingEventRecorder {
  const clock = opts.clock ?? systemClock;
  const windowMs = opts.dedupWindowMs ?? 600_000;
  const maxEntries = Math.max(1, opts.maxDedupEntries ?? 4096);
  // Maps iterate in insertion order, and both are kept in age order so pruning only ever looks at
  // the front: `open` by sentAt (a key is re-inserted each time it is sent), `lapsed` by when its
  // window ran out. `open` holds events sent within the window; `lapsed` holds events whose window
  // ran out with repeats still unreported, so the next occurrence can carry their count.
  const open = new Map<string, { sentAt: number; count: number }>();
  const lapsed = new Map<string, number>();
  let pruneVisits = 0;
  const sink = createEventSink({
    client: opts.client,
    log: opts.log,
    clock,
    ...(opts.maxQueued === undefined ? {} : { maxQueued: opts.maxQueued }),
    ...(opts.busy === undefined ? {} : { busy: opts.busy }),
  });

  const prune = (now: number): void => {
    for (const [key, entry] of open) {
      pruneVisits++;
      if (now - entry.sentAt < windowMs) break;
      open.delete(key);
      if (entry.count > 0) lapsed.set(key, entry.count);
    }
  };

  // The cap bounds memory when many distinct events arrive. Lapsed entries go first, oldest first:
  // their pending repeats are dropped, so the next such event is sent without a series (it
  // under-counts, it never over-reports). Only when nothing has lapsed does the oldest open entry go,
  // which loses its suppression: a repeat within its window is then sent again.
  const evictOverflow = (): void => {
    while (open.size + lapsed.size > maxEntries) {
      const oldest = lapsed.size > 0 ? lapsed : open;
      const key = oldest.keys().next().value;
      if (key === undefined) return;
      oldest.delete(key);
    }
  };

  return {
    dedupStats: () => ({ entries: open.size + lapsed.size, pruneVisits }),
    sinkStats: () => sink.stats(),
    flush: (timeoutMs) => sink.flush(timeoutMs),
    record(regarding, event) {
      try {
        return recordOne(regarding, event);
      } catch (err) {
        opts.log.warn({ err, reason: event.reason }, 'could not record event');
        return Promise.resolve();
      }
    },
  };

  function recordOne(regarding: Parameters<EventRecorder['record']>[0], event: EventInput): Promise<void> {
    const meta = regarding.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const key = [meta.uid ?? `${namespace}/${meta.name}`, event.type, event.reason, event.note].join(
      '\u0000',
    );
    const now = clock.now();
    prune(now);
    const entry = open.get(key);
    // Checked again: pruning stops at the first open entry, which a clock stepping back can put out of order.
    if (entry && now - entry.sentAt < windowMs) {
      entry.count++;
      return Promise.resolve();
    }
    const repeats = (entry?.count ?? lapsed.get(key) ?? 0) + 1;
    if (!sink.full()) {
      // A dropped Event is not remembered as sent: its next occurrence is tried again.
      open.delete(key);
      lapsed.delete(key);
      open.set(key, { sentAt: now, count: 0 });
      evictOverflow();
    }
    const eventTime = new MicroTime(now);
    const body: EventsV1Event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      // The apiserver validates generateName itself as a DNS-1123 subdomain: a trailing '.' is rejected.
      metadata: { generateName: `${meta.name ?? 'object'}-`, namespace },
      eventTime,
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: opts.instance,
      action: event.action,
      reason: event.reason,
      type: event.type,
      note: event.note.length > 1024 ? `${event.note.slice(0, 1021)}...` : event.note,
      regarding: definedOnly({
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      }),
      ...(repeats > 1 ? { series: { count: repeats, lastObservedTime: eventTime } } : {}),
    };
    // Not awaited here: a suspended frame would hold `regarding` (a whole cached object, replaced
    // in the cache by the write that follows) for as long as the Event waits in the queue.
    return sink.send(namespace, body);
  }
}
