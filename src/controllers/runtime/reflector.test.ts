import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryLogger, eventually } from '../../../test/support/runtime.ts';
import {
  startTestApiServer,
  type TestApiServer,
  type TestObject,
} from '../../../test/support/scripted-apiserver.ts';
import { createCustomResourceClient, createKubeRest } from './kube-client.ts';
import { createWatch } from './kube-watch.ts';
import {
  createReflector,
  desiredStateChanged,
  enqueueKeys,
  type Reflector,
  type ReflectorEventType,
} from './reflector.ts';
import { createWorkQueue } from './work-queue.ts';

let server: TestApiServer;
let reflector: Reflector<TestObject> | undefined;

beforeEach(async () => {
  server = await startTestApiServer();
});
afterEach(async () => {
  await reflector?.stop();
  reflector = undefined;
  await server.close();
});

function startReflector(extra: { namespaces?: string[]; watchdogMs?: number; resyncPeriodMs?: number } = {}) {
  const things = createCustomResourceClient<TestObject>(createKubeRest(server.kc), server);
  const events: Array<[ReflectorEventType, string]> = [];
  const { log, lines } = createMemoryLogger();
  const r = createReflector<TestObject>({
    kind: 'Thing',
    list: (namespace, signal) => things.list(namespace, signal),
    watchPath: server.watchPath,
    watch: createWatch(createKubeRest(server.kc)),
    log,
    backoff: { baseMs: 10, maxMs: 50 },
    resyncPeriodMs: 0,
    ...extra,
  });
  r.addHandler((type, key) => events.push([type, key]));
  reflector = r;
  r.start();
  return { r, events, lines };
}

const storeSnapshot = (r: Reflector<TestObject>) =>
  Object.fromEntries(
    r.store.keys().map((k) => [k, r.store.get(k)?.spec as Record<string, unknown> | undefined]),
  );

const sorted = (o: Record<string, unknown>) =>
  JSON.stringify(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
const converged = (r: Reflector<TestObject>) => () => sorted(storeSnapshot(r)) === sorted(server.snapshot());

const watchRequests = () => server.requests.filter((q) => q.query.get('watch') === 'true');
const listRequests = () =>
  server.requests.filter((q) => q.method === 'GET' && q.query.get('watch') !== 'true');

describe('createReflector against a real HTTP server', () => {
  it('lists, then watches with bookmarks and a randomised timeout, and follows events', async () => {
    server.create('a', 'one', { v: 1 });
    server.create('b', 'two', { v: 1 });
    const { r, events } = startReflector();
    await eventually(() => r.hasSynced() && server.openWatches() === 1);
    expect(storeSnapshot(r)).toEqual({ 'a/one': { v: 1 }, 'b/two': { v: 1 } });
    server.update('a', 'one', { v: 2 });
    server.remove('b', 'two');
    server.create('a', 'three', { v: 1 });
    await eventually(converged(r));
    expect(events).toEqual([
      ['add', 'a/one'],
      ['add', 'b/two'],
      ['update', 'a/one'],
      ['delete', 'b/two'],
      ['add', 'a/three'],
    ]);
    const w = watchRequests()[0]!;
    expect(w.query.get('allowWatchBookmarks')).toBe('true');
    expect(w.query.get('resourceVersion')).toBe('102');
    const timeout = Number(w.query.get('timeoutSeconds'));
    expect(timeout).toBeGreaterThanOrEqual(300);
    expect(timeout).toBeLessThanOrEqual(600);
  });

  it('stores deep-frozen objects', async () => {
    server.create('a', 'one', { nested: { v: 1 } });
    const { r } = startReflector();
    await eventually(() => r.hasSynced());
    const obj = r.store.get('a/one') as unknown as { spec: { nested: { v: number } } };
    expect(() => {
      obj.spec.nested.v = 2;
    }).toThrow(TypeError);
  });

  it('recovers from a connection dropped mid-stream by re-watching from the last resourceVersion', async () => {
    server.create('a', 'one', { v: 1 });
    const { r } = startReflector();
    await eventually(() => server.openWatches() === 1);
    server.update('a', 'one', { v: 2 });
    await eventually(converged(r));
    server.dropWatches();
    server.update('a', 'one', { v: 3 });
    server.create('a', 'two', { v: 1 });
    await eventually(() => server.openWatches() === 1 && converged(r)());
    expect(listRequests()).toHaveLength(1);
    expect(watchRequests()[1]?.query.get('resourceVersion')).toBe('102');
  });

  it('reconnects after a clean end of the watch (server timeout)', async () => {
    const { r } = startReflector();
    await eventually(() => server.openWatches() === 1);
    server.endWatches();
    server.create('a', 'one', { v: 1 });
    await eventually(() => converged(r)() && r.store.size() === 1);
    expect(watchRequests().length).toBeGreaterThanOrEqual(2);
  });

  it('relists on HTTP 410 Gone and emits deletes for objects that disappeared', async () => {
    server.create('a', 'one', { v: 1 });
    server.create('a', 'two', { v: 1 });
    const { r, events } = startReflector();
    await eventually(() => server.openWatches() === 1);
    server.misbehaveNextWatch('http410');
    server.dropWatches();
    server.remove('a', 'two');
    server.update('a', 'one', { v: 2 });
    await eventually(() => listRequests().length === 2 && server.openWatches() === 1 && converged(r)());
    expect(events).toContainEqual(['delete', 'a/two']);
  });

  it('relists after history was compacted (410 for the old resourceVersion)', async () => {
    server.create('a', 'one', { v: 1 });
    const { r } = startReflector();
    await eventually(() => server.openWatches() === 1);
    server.dropWatches();
    server.remove('a', 'one');
    server.create('a', 'two', { v: 5 });
    server.compact();
    await eventually(() => listRequests().length === 2 && converged(r)());
  });

  it('relists on an in-stream ERROR event with code 410', async () => {
    server.create('a', 'one', { v: 1 });
    const { r } = startReflector();
    await eventually(() => server.openWatches() === 1);
    server.misbehaveNextWatch('error410');
    server.dropWatches();
    server.update('a', 'one', { v: 9 });
    await eventually(() => listRequests().length === 2 && server.openWatches() === 1 && converged(r)());
  });

  it('keeps retrying after HTTP 500 on the watch', async () => {
    const { r } = startReflector();
    await eventually(() => server.openWatches() === 1);
    server.misbehaveNextWatch('http500');
    server.misbehaveNextWatch('http500');
    server.dropWatches();
    server.create('a', 'one', { v: 1 });
    await eventually(() => server.openWatches() === 1 && converged(r)() && r.store.size() === 1);
  });

  it('restarts a silent watch through the watchdog', async () => {
    server.create('a', 'one', { v: 1 });
    server.misbehaveNextWatch('silent');
    const { r, lines } = startReflector({ watchdogMs: 200 });
    await eventually(() => r.hasSynced());
    server.update('a', 'one', { v: 2 });
    await eventually(() => server.openWatches() === 1 && converged(r)());
    expect(lines.some((l) => String(l.msg).includes('watch silent'))).toBe(true);
  });

  it('retries a failed initial list and becomes synced', async () => {
    server.replyNext(500, { kind: 'Status', code: 500 });
    server.create('a', 'one', { v: 1 });
    const { r } = startReflector();
    await eventually(() => r.hasSynced());
    expect(listRequests()).toHaveLength(2);
    expect(storeSnapshot(r)).toEqual({ 'a/one': { v: 1 } });
  });

  it('watches only the given namespaces, one watch each', async () => {
    server.create('a', 'one', { v: 1 });
    server.create('b', 'two', { v: 1 });
    server.create('c', 'three', { v: 1 });
    const { r } = startReflector({ namespaces: ['a', 'b'] });
    await eventually(() => r.hasSynced() && server.openWatches() === 2);
    server.create('c', 'four', { v: 1 });
    server.create('b', 'five', { v: 1 });
    await eventually(() => r.store.size() === 3);
    expect(r.store.keys().sort()).toEqual(['a/one', 'b/five', 'b/two']);
    expect(new Set(watchRequests().map((q) => q.path))).toEqual(
      new Set([server.watchPath('a'), server.watchPath('b')]),
    );
  });

  it('re-emits every key on resync', async () => {
    server.create('a', 'one');
    server.create('a', 'two');
    const { r, events } = startReflector({ resyncPeriodMs: 50 });
    await eventually(() => events.filter(([t]) => t === 'resync').length >= 4);
    expect(new Set(events.filter(([t]) => t === 'resync').map(([, k]) => k))).toEqual(
      new Set(['a/one', 'a/two']),
    );
    expect(r.hasSynced()).toBe(true);
  });

  it('ignores a second start while running', async () => {
    const { r } = startReflector();
    r.start();
    await eventually(() => r.hasSynced() && server.openWatches() === 1);
    expect(listRequests()).toHaveLength(1);
  });

  it('stop closes the watch and ends the loops', async () => {
    const { r } = startReflector();
    await eventually(() => server.openWatches() === 1);
    await r.stop();
    await eventually(() => server.openWatches() === 0);
    const before = server.requests.length;
    await new Promise((res) => setTimeout(res, 100));
    expect(server.requests.length).toBe(before);
  });
});

describe('enqueueKeys', () => {
  const obj = (meta: Record<string, unknown>) => ({ metadata: { name: 'x', namespace: 'n', ...meta } });
  it.each([
    {
      reason: 'a status-only change is filtered',
      old: obj({ generation: 1 }),
      cur: obj({ generation: 1 }),
      want: false,
    },
    {
      reason: 'a generation bump passes',
      old: obj({ generation: 1 }),
      cur: obj({ generation: 2 }),
      want: true,
    },
    {
      reason: 'a label change passes',
      old: obj({ labels: { a: '1' } }),
      cur: obj({ labels: { a: '2' } }),
      want: true,
    },
    {
      reason: 'an annotation change passes',
      old: obj({}),
      cur: obj({ annotations: { a: '1' } }),
      want: true,
    },
    { reason: 'a finalizer change passes', old: obj({ finalizers: ['f'] }), cur: obj({}), want: true },
    {
      reason: 'deletion passes',
      old: obj({}),
      cur: obj({ deletionTimestamp: '2026-01-01T00:00:00Z' }),
      want: true,
    },
  ])('update: $reason', ({ old, cur, want }) => {
    expect(desiredStateChanged(old, cur)).toBe(want);
    const q = createWorkQueue({ name: 't' });
    enqueueKeys(q)('update', 'n/x', cur, old);
    expect(q.len()).toBe(want ? 1 : 0);
  });

  it.each(['add', 'delete', 'resync'] as const)('%s always enqueues the key', (type) => {
    const q = createWorkQueue({ name: 't' });
    enqueueKeys(q)(type, 'n/x', obj({}));
    expect(q.len()).toBe(1);
  });
});
