import { type EventsV1Event, type KubernetesObject, V1MicroTime } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type Clock, systemClock } from './clock.ts';
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

/** The part of client-node's EventsV1Api the recorder uses. */
export interface EventsClient {
  createNamespacedEvent(param: { namespace: string; body: EventsV1Event }): Promise<unknown>;
}

/** Records Kubernetes Events without ever blocking or failing a reconcile. */
export interface EventRecorder {
  /** Fire-and-forget; returns a promise only so tests can await delivery. Never rejects. */
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
export function createEventRecorder(opts: EventRecorderOptions): EventRecorder {
  const clock = opts.clock ?? systemClock;
  const windowMs = opts.dedupWindowMs ?? 600_000;
  const seen = new Map<string, { sentAt: number; count: number }>();

  const prune = (now: number): void => {
    for (const [key, entry] of seen)
      if (now - entry.sentAt >= windowMs && entry.count === 0) seen.delete(key);
  };

  return {
    async record(regarding, event) {
      const meta = regarding.metadata ?? {};
      const namespace = meta.namespace ?? 'default';
      const key = [meta.uid ?? `${namespace}/${meta.name}`, event.type, event.reason, event.note].join(
        '\u0000',
      );
      const now = clock.now();
      prune(now);
      const entry = seen.get(key);
      if (entry && now - entry.sentAt < windowMs) {
        entry.count++;
        return;
      }
      const repeats = entry ? entry.count + 1 : 1;
      seen.set(key, { sentAt: now, count: 0 });
      const eventTime = new V1MicroTime(now);
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
      try {
        await opts.client.createNamespacedEvent({ namespace, body });
      } catch (err) {
        // Events are best effort: RBAC gaps or apiserver trouble must never fail a reconcile.
        opts.log.warn({ err, reason: event.reason, name: meta.name, namespace }, 'could not record event');
      }
    },
  };
}
