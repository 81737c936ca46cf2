import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startTestApiServer,
  type TestApiServer,
  type TestObject,
} from '../../../test/support/scripted-apiserver.ts';
import { createCustomResourceClient, createKubeRest } from './kube-client.ts';
import { computeStatusPatch, jsonEqual, mergePatchBetween, writeStatus } from './status-writer.ts';

describe('jsonEqual', () => {
  it.each([
    {
      reason: 'key order is ignored',
      a: { x: 1, y: { p: 1, q: 2 } },
      b: { y: { q: 2, p: 1 }, x: 1 },
      want: true,
    },
    { reason: 'undefined members count as absent', a: { x: 1, y: undefined }, b: { x: 1 }, want: true },
    { reason: 'array order matters', a: [1, 2], b: [2, 1], want: false },
    { reason: 'different values differ', a: { x: 1 }, b: { x: '1' }, want: false },
    { reason: 'an extra key differs', a: { x: 1 }, b: { x: 1, y: null }, want: false },
    { reason: 'array vs object differ', a: [], b: {}, want: false },
  ])('$reason', ({ a, b, want }) => {
    expect(jsonEqual(a, b)).toBe(want);
    expect(jsonEqual(b, a)).toBe(want);
  });
});

describe('mergePatchBetween', () => {
  it.each([
    { reason: 'equal gives no patch', cur: { a: 1 }, des: { a: 1 }, want: undefined },
    { reason: 'a changed member is set', cur: { a: 1, b: 2 }, des: { a: 1, b: 3 }, want: { b: 3 } },
    { reason: 'a removed member becomes null', cur: { a: 1, b: 2 }, des: { a: 1 }, want: { b: null } },
    {
      reason: 'nested objects are diffed',
      cur: { n: { x: 1, y: 1 } },
      des: { n: { x: 1, y: 2 } },
      want: { n: { y: 2 } },
    },
    { reason: 'arrays are replaced whole', cur: { l: [1, 2] }, des: { l: [1] }, want: { l: [1] } },
  ])('$reason', ({ cur, des, want }) => {
    expect(mergePatchBetween(cur, des)).toEqual(want);
  });
});

describe('computeStatusPatch', () => {
  const obj = (status?: Record<string, unknown>) => ({
    metadata: { name: 'n', namespace: 'ns', generation: 4 },
    ...(status ? { status } : {}),
  });
  it.each([
    {
      reason: 'first write sets observedGeneration',
      o: obj(),
      s: { phase: 'Ready' },
      want: { phase: 'Ready', observedGeneration: 4 },
    },
    {
      reason: 'same status with generation is skipped',
      o: obj({ observedGeneration: 4, phase: 'Ready' }),
      s: { phase: 'Ready' },
      want: undefined,
    },
    {
      reason: 'a generation bump alone writes',
      o: obj({ observedGeneration: 3, phase: 'Ready' }),
      s: { phase: 'Ready' },
      want: { observedGeneration: 4 },
    },
    {
      reason: 'a dropped field is nulled',
      o: obj({ observedGeneration: 4, phase: 'Ready', old: 1 }),
      s: { phase: 'Ready' },
      want: { old: null },
    },
  ])('$reason', ({ o, s, want }) => {
    const got = computeStatusPatch(o, s);
    expect(got.changed ? got.body.status : undefined).toEqual(want);
  });
});

describe('writeStatus through client-node against a real HTTP server', () => {
  let server: TestApiServer;
  beforeEach(async () => {
    server = await startTestApiServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('sends a merge patch to /status and skips an unchanged status', async () => {
    const created = server.create('ns', 'one', { v: 1 });
    const client = createCustomResourceClient<TestObject>(createKubeRest(server.kc), server);
    const obj = { ...created, metadata: { ...created.metadata, generation: 2 } };
    expect(await writeStatus(client, obj, { phase: 'Ready' })).toBe(true);
    const patch = server.requests.at(-1)!;
    expect(patch.method).toBe('PATCH');
    expect(patch.path).toBe('/apis/test.cbbs.dev/v1/namespaces/ns/things/one/status');
    expect(patch.headers['content-type']).toBe('application/merge-patch+json');
    expect(patch.headers['user-agent']).toBe('cbbs-operator');
    expect(patch.headers.authorization).toBe('Bearer test-token');
    expect(JSON.parse(patch.body)).toEqual({ status: { phase: 'Ready', observedGeneration: 2 } });
    expect(server.get('ns', 'one')?.status).toEqual({ phase: 'Ready', observedGeneration: 2 });
    const count = server.requests.length;
    const fresh = {
      ...server.get('ns', 'one')!,
      metadata: { ...server.get('ns', 'one')!.metadata, generation: 2 },
    };
    expect(await writeStatus(client, fresh, { phase: 'Ready' })).toBe(false);
    expect(server.requests.length).toBe(count);
  });
});
