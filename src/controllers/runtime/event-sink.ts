import type { EventsV1Event } from '@kubernetes/client-node';
import type { Logger } from 'pino';

/** The part of client-node's EventsV1Api the sink uses. */
export interface EventsClient {
  createNamespacedEvent(param: { namespace: string; body: EventsV1Event }): Promise<unknown>;
}

/**
 * Most Events waiting to be written; newer ones are dropped beyond it. A cold sync of a few
 * thousand objects records one Event each faster than one writer sends them, so the bound is
 * above that (client-go's broadcaster drops beyond 1,000).
 */
export const MAX_QUEUED_EVENTS = 4096;

/** What the sink did; for tests, diagnostics and metrics. */
export interface EventSinkStats {
  /** Events waiting now (the one being written not counted). */
  queued: number;
  /** Events dropped because the queue was full, since the sink was created. */
  dropped: number;
}

/** Writes Events to the API server one at a time, in the order they were recorded. */
export interface EventSink {
  /** Queues one Event; the promise settles when it was written, failed or dropped. Never rejects. */
  send(namespace: string, body: EventsV1Event): Promise<void>;
  stats(): EventSinkStats;
}

/**
 * Creates an {@link EventSink}.
 *
 * Why one at a time: Events are the operator's least urgent writes, and every one costs the API
 * server and etcd as much as a status write. Sent as they come, a burst (one `Created` per
 * repository of a cold sync) doubles the writes the status of those objects waits behind; one
 * writer takes at most its share and catches up afterwards, as client-go's broadcaster does.
 */
export function createEventSink(opts: { client: EventsClient; log: Logger; maxQueued?: number }): EventSink {
  const maxQueued = Math.max(1, opts.maxQueued ?? MAX_QUEUED_EVENTS);
  const queue: Array<{ namespace: string; body: EventsV1Event; done: () => void }> = [];
  let writing = false;
  let dropped = 0;

  const drain = async (): Promise<void> => {
    writing = true;
    for (let next = queue.shift(); next; next = queue.shift()) {
      try {
        await opts.client.createNamespacedEvent({ namespace: next.namespace, body: next.body });
      } catch (err) {
        // Events are best effort: RBAC gaps or apiserver trouble must never fail a reconcile.
        const r = next.body.regarding;
        opts.log.warn(
          { err, reason: next.body.reason, name: r?.name, namespace: next.namespace },
          'could not record event',
        );
      } finally {
        next.done();
      }
    }
    writing = false;
  };

  return {
    stats: () => ({ queued: queue.length, dropped }),
    send(namespace, body) {
      if (queue.length >= maxQueued) {
        // Logged on the first drop and then once per full queue's worth, not per event.
        if (dropped++ % maxQueued === 0)
          opts.log.warn({ dropped, maxQueued }, 'event queue full: dropping events');
        return Promise.resolve();
      }
      return new Promise<void>((done) => {
        queue.push({ namespace, body, done });
        if (!writing) void drain();
      });
    },
  };
}
