import type { EventsV1Event } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryLogger } from '../../../test/support/runtime.ts';
import { createEventRecorder, EventType, REPORTING_CONTROLLER } from './events.ts';

const plan = {
  apiVersion: 'cbbs.dev/v1alpha1',
  kind: 'BackupPlan',
  metadata: { name: 'daily', namespace: 'ns', uid: 'u1' },
};
const failed = {
  type: EventType.Warning,
  reason: 'CannotObserve',
  action: 'Observe',
  note: 'service unavailable',
};

describe('createEventRecorder', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-01-01T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const setup = (fail = false) => {
    const sent: Array<{ namespace: string; body: EventsV1Event }> = [];
    const { log, lines } = createMemoryLogger();
    const recorder = createEventRecorder({
      client: {
        createNamespacedEvent: async (p) => {
          if (fail) throw new Error('forbidden');
          sent.push(p);
          return p.body;
        },
      },
      instance: 'pod-1',
      log,
      dedupWindowMs: 60_000,
    });
    return { sent, lines, recorder };
  };

  it('writes an events.k8s.io/v1 Event regarding the object with a MicroTime eventTime', async () => {
    const { sent, recorder } = setup();
    await recorder.record(plan, failed);
    expect(sent).toHaveLength(1);
    const { namespace, body } = sent[0]!;
    expect(namespace).toBe('ns');
    expect(body).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: 'pod-1',
      reason: 'CannotObserve',
      type: 'Warning',
      action: 'Observe',
      regarding: { kind: 'BackupPlan', name: 'daily', namespace: 'ns', uid: 'u1' },
      metadata: { generateName: 'daily-' },
    });
    expect(JSON.parse(JSON.stringify(body)).eventTime).toBe('2026-01-01T00:00:00.000000Z');
  });

  it('writes a burst of events one at a time, not all at once', async () => {
    let inFlight = 0;
    let most = 0;
    const recorder = createEventRecorder({
      client: {
        createNamespacedEvent: async (p) => {
          most = Math.max(most, ++inFlight);
          await new Promise((r) => setImmediate(r));
          inFlight--;
          return p.body;
        },
      },
      instance: 'pod-1',
      log: createMemoryLogger().log,
    });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        recorder.record({ ...plan, metadata: { ...plan.metadata, uid: `u${i}` } }, failed),
      ),
    );
    expect(most).toBe(1);
    expect(recorder.sinkStats()).toEqual({ queued: 0, dropped: 0 });
  });

  it('does not remember an Event a full queue dropped: its next occurrence is sent', async () => {
    const sent: string[] = [];
    const waiting: Array<() => void> = [];
    const recorder = createEventRecorder({
      client: {
        createNamespacedEvent: (p) =>
          new Promise((resolve) =>
            waiting.push(() => {
              sent.push(p.body.note ?? '');
              resolve(p.body);
            }),
          ),
      },
      instance: 'pod-1',
      log: createMemoryLogger().log,
      maxQueued: 1,
    });
    const first = recorder.record(plan, { ...failed, note: 'one' });
    const second = recorder.record(plan, { ...failed, note: 'two' });
    await recorder.record(plan, { ...failed, note: 'three' });
    expect(recorder.sinkStats()).toEqual({ queued: 1, dropped: 1 });
    while (waiting.length > 0 || sent.length < 2) {
      waiting.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all([first, second]);
    const again = recorder.record(plan, { ...failed, note: 'three' });
    await new Promise((r) => setImmediate(r));
    waiting.shift()?.();
    await again;
    expect(sent).toEqual(['one', 'two', 'three']);
  });

  it('suppresses repeats within the window and reports the count after it', async () => {
    const { sent, recorder } = setup();
    await recorder.record(plan, failed);
    await recorder.record(plan, failed);
    await recorder.record(plan, failed);
    await recorder.record(plan, { ...failed, note: 'other message' });
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(60_000);
    await recorder.record(plan, failed);
    expect(sent).toHaveLength(3);
    expect(sent[2]?.body.series?.count).toBe(3);
  });

  it('carries the pending count of an event whose window lapsed while other events were pruned', async () => {
    const { sent, recorder } = setup();
    await recorder.record(plan, failed);
    await recorder.record(plan, failed);
    vi.advanceTimersByTime(30_000);
    await recorder.record(plan, { ...failed, note: 'other message' });
    vi.advanceTimersByTime(120_000);
    await recorder.record(plan, { ...failed, note: 'third message' });
    await recorder.record(plan, failed);
    expect(sent.map((s) => s.body.series?.count)).toEqual([undefined, undefined, undefined, 2]);
  });

  it('keeps the dedup bounded and prunes only from the front over a long run of distinct events', async () => {
    const sent: EventsV1Event[] = [];
    const recorder = createEventRecorder({
      client: { createNamespacedEvent: async (p) => sent.push(p.body) },
      instance: 'pod-1',
      log: createMemoryLogger().log,
      dedupWindowMs: 60_000,
      maxDedupEntries: 500,
    });
    const distinct = 5_000;
    let largest = 0;
    for (let i = 0; i < distinct; i++) {
      // Each event repeats once within its window, so every entry lapses with a repeat pending.
      await recorder.record(plan, { ...failed, note: `failure ${i}` });
      await recorder.record(plan, { ...failed, note: `failure ${i}` });
      vi.advanceTimersByTime(1_000);
      largest = Math.max(largest, recorder.dedupStats().entries);
    }
    expect(sent).toHaveLength(distinct);
    expect(largest).toBeLessThanOrEqual(500);
    // Amortised O(1): each record looks at the entries it prunes plus one; a full scan would be ~n²/2.
    expect(recorder.dedupStats().pruneVisits).toBeLessThanOrEqual(2 * distinct * 2);
  });

  it('forgets the pending count of an evicted event, so its next occurrence is sent without a series', async () => {
    const sent: EventsV1Event[] = [];
    const recorder = createEventRecorder({
      client: { createNamespacedEvent: async (p) => sent.push(p.body) },
      instance: 'pod-1',
      log: createMemoryLogger().log,
      dedupWindowMs: 60_000,
      maxDedupEntries: 2,
    });
    await recorder.record(plan, failed);
    await recorder.record(plan, failed);
    vi.advanceTimersByTime(60_000);
    await recorder.record(plan, { ...failed, note: 'b' });
    await recorder.record(plan, { ...failed, note: 'c' });
    await recorder.record(plan, failed);
    expect(recorder.dedupStats().entries).toBe(2);
    expect(sent.map((e) => e.series?.count)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('never rejects when the apiserver refuses the event', async () => {
    const { recorder, lines } = setup(true);
    await expect(recorder.record(plan, failed)).resolves.toBeUndefined();
    expect(lines.some((l) => l.msg === 'could not record event')).toBe(true);
  });

  it('truncates long notes to 1 kB', async () => {
    const { sent, recorder } = setup();
    await recorder.record(plan, { ...failed, note: 'x'.repeat(5000) });
    expect(sent[0]?.body.note).toHaveLength(1024);
  });
});
