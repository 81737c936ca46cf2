import { ApiException, type V1Lease } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryLogger } from '../../../test/support/runtime.ts';
import { createLeaderElector, type LeaseClient } from './leader-election.ts';
import { createRuntimeMetrics } from './metrics.ts';

const status = (code: number) => new ApiException(code, 'x', JSON.stringify({ code }), {});

/** An in-memory Lease store with the apiserver's optimistic concurrency (409 on a stale resourceVersion). */
function leaseStore() {
  let lease: V1Lease | undefined;
  let rv = 1;
  const state = { failing: false, writes: [] as V1Lease[] };
  const stored = (body: V1Lease): V1Lease => {
    rv++;
    // Round-trip through JSON as the wire does: MicroTimes come back as strings.
    lease = JSON.parse(
      JSON.stringify({ ...body, metadata: { ...body.metadata, resourceVersion: String(rv) } }),
    );
    state.writes.push(lease!);
    return structuredClone(lease!);
  };
  const client: LeaseClient = {
    readNamespacedLease: async () => {
      if (state.failing) throw status(503);
      if (!lease) throw status(404);
      return structuredClone(lease);
    },
    createNamespacedLease: async ({ body }) => {
      if (state.failing) throw status(503);
      if (lease) throw status(409);
      return stored(body);
    },
    replaceNamespacedLease: async ({ body }) => {
      if (state.failing) throw status(503);
      if (body.metadata?.resourceVersion !== lease?.metadata?.resourceVersion) throw status(409);
      return stored(body);
    },
  };
  return { client, state, current: () => lease };
}

describe('createLeaderElector', () => {
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'Date'],
      now: new Date('2026-01-01T00:00:00Z'),
    });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const elector = (
    store: ReturnType<typeof leaseStore>,
    identity: string,
    extra: { metrics?: ReturnType<typeof createRuntimeMetrics> } = {},
  ) => {
    const events: string[] = [];
    let signal: AbortSignal | undefined;
    const e = createLeaderElector({
      client: store.client,
      namespace: 'ops',
      name: 'cbbs-operator',
      identity,
      log: createMemoryLogger().log,
      onStartedLeading: (s) => {
        signal = s;
        events.push('started');
      },
      onStoppedLeading: () => events.push('stopped'),
      ...extra,
    });
    return { e, events, signal: () => signal };
  };

  it('creates the lease with MicroTime timestamps and becomes leader', async () => {
    const store = leaseStore();
    const registry = new Registry();
    const a = elector(store, 'a', { metrics: createRuntimeMetrics(registry) });
    void a.e.run();
    await vi.advanceTimersByTimeAsync(0);
    expect(a.e.isLeader()).toBe(true);
    expect(a.events).toEqual(['started']);
    expect(store.current()?.spec).toMatchObject({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
      renewTime: '2026-01-01T00:00:00.000000Z',
    });
    expect(await registry.metrics()).toContain('leader_election_master_status{name="cbbs-operator"} 1');
    await a.e.stop();
  });

  it('renews every retry period and a second candidate waits', async () => {
    const store = leaseStore();
    const a = elector(store, 'a');
    const b = elector(store, 'b');
    void a.e.run();
    await vi.advanceTimersByTimeAsync(0);
    void b.e.run();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(a.e.isLeader()).toBe(true);
    expect(b.e.isLeader()).toBe(false);
    expect(store.current()?.spec?.renewTime).toBe('2026-01-01T00:00:30.000000Z');
    await a.e.stop();
    await b.e.stop();
  });

  it('release on stop clears the holder and lets the follower take over without waiting for expiry', async () => {
    const store = leaseStore();
    const a = elector(store, 'a');
    const b = elector(store, 'b');
    void a.e.run();
    await vi.advanceTimersByTimeAsync(0);
    void b.e.run();
    await vi.advanceTimersByTimeAsync(4_000);
    await a.e.stop();
    expect(a.events).toEqual(['started', 'stopped']);
    expect(a.signal()?.aborted).toBe(true);
    expect(store.current()?.spec?.holderIdentity).toBe('');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(b.e.isLeader()).toBe(true);
    expect(store.current()?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    await b.e.stop();
  });

  it('a follower takes over an abandoned lease after the lease duration', async () => {
    const store = leaseStore();
    // A leader that crashed without releasing: its lease is never renewed again.
    await store.client.createNamespacedLease({
      namespace: 'ops',
      body: {
        metadata: { name: 'cbbs-operator', namespace: 'ops' },
        spec: { holderIdentity: 'a', leaseDurationSeconds: 15 },
      },
    });
    const b = elector(store, 'b');
    void b.e.run();
    await vi.advanceTimersByTimeAsync(14_000);
    expect(b.e.isLeader()).toBe(false);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(b.e.isLeader()).toBe(true);
    await b.e.stop();
  });

  it('loses leadership when renewals fail for the renew deadline', async () => {
    const store = leaseStore();
    const a = elector(store, 'a');
    const done = a.e.run();
    await vi.advanceTimersByTimeAsync(0);
    store.state.failing = true;
    await vi.advanceTimersByTimeAsync(9_000);
    expect(a.e.isLeader()).toBe(true);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(a.e.isLeader()).toBe(false);
    expect(a.events).toEqual(['started', 'stopped']);
    expect(a.signal()?.aborted).toBe(true);
    await done;
  });
});
