import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClusterData } from './cluster-data.ts';
import type { ClusterData, DocumentRef } from './contract.ts';
import { DataError } from './errors.ts';

const T0 = Date.parse('2026-11-27T10:00:00Z');

function clock(start = T0): { now: () => Date; advance(ms: number): void } {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => (t += ms) };
}

function ref(key: string, collection = '_default', scope = '_default', bucket = 'b'): DocumentRef {
  return { bucket, scope, collection, key };
}

async function seeded(dir?: string): Promise<ClusterData> {
  const c = await createClusterData(dir === undefined ? { now: clock().now } : { dir, now: clock().now });
  c.createBucket({ name: 'b' });
  c.createScope('b', 's1');
  c.createCollection('b', 's1', 'c1');
  return c;
}

describe('createClusterData (memory)', () => {
  it('creates buckets with the default scope and collection', async () => {
    const c = await createClusterData({ now: clock().now, uuid: 'abc' });
    const b = c.createBucket({ name: 'travel', ramQuotaMB: 256 });
    expect(c.uuid).toBe('abc');
    expect(b).toMatchObject({ name: 'travel', bucketType: 'couchbase', ramQuotaMB: 256 });
    expect(b.uuid).toMatch(/^[0-9a-f]{32}$/);
    expect(c.listScopes('travel')).toEqual([
      { name: '_default', uid: 0, collections: [{ name: '_default', uid: 0, maxTTL: 0 }] },
    ]);
  });

  it('numbers user scopes and collections from 8', async () => {
    const c = await seeded();
    c.createCollection('b', 's1', 'c2');
    const s1 = c.listScopes('b').find((s) => s.name === 's1');
    expect(s1?.uid).toBe(8);
    expect(s1?.collections.map((x) => [x.name, x.uid])).toEqual([
      ['c1', 9],
      ['c2', 10],
    ]);
  });

  const errorCases: { name: string; act: (c: ClusterData) => unknown; code: string }[] = [
    { name: 'duplicate bucket', act: (c) => c.createBucket({ name: 'b' }), code: 'BUCKET_EXISTS' },
    { name: 'delete unknown bucket', act: (c) => c.deleteBucket('nope'), code: 'BUCKET_NOT_FOUND' },
    { name: 'scope in unknown bucket', act: (c) => c.createScope('nope', 's'), code: 'BUCKET_NOT_FOUND' },
    { name: 'duplicate scope', act: (c) => c.createScope('b', 's1'), code: 'SCOPE_EXISTS' },
    {
      name: 'collection in unknown scope',
      act: (c) => c.createCollection('b', 'x', 'c'),
      code: 'SCOPE_NOT_FOUND',
    },
    {
      name: 'duplicate collection',
      act: (c) => c.createCollection('b', 's1', 'c1'),
      code: 'COLLECTION_EXISTS',
    },
    {
      name: 'drop unknown collection',
      act: (c) => c.dropCollection('b', 's1', 'zz'),
      code: 'COLLECTION_NOT_FOUND',
    },
    {
      name: 'upsert into unknown collection',
      act: (c) => c.upsertDocument(ref('k', 'zz', 's1'), 1),
      code: 'COLLECTION_NOT_FOUND',
    },
    {
      name: 'delete missing document',
      act: (c) => c.deleteDocument(ref('nope')),
      code: 'DOCUMENT_NOT_FOUND',
    },
    { name: 'undefined value', act: (c) => c.upsertDocument(ref('k'), undefined), code: 'INVALID_ARGUMENT' },
  ];
  it.each(errorCases)('throws $code for $name', async ({ act, code }) => {
    const c = await seeded();
    let caught: unknown;
    try {
      act(c);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DataError);
    expect((caught as DataError).code).toBe(code);
  });

  it('bumps revision and cas on every mutation and leaves tombstones', async () => {
    const c = await seeded();
    const r1 = c.upsertDocument(ref('k'), { v: 1 }, { flags: 7 });
    const r2 = c.upsertDocument(ref('k'), { v: 2 });
    expect([r1.revision, r2.revision]).toEqual([1, 2]);
    expect(BigInt(r2.cas)).toBeGreaterThan(BigInt(r1.cas));
    const t = c.deleteDocument(ref('k'));
    expect(t).toMatchObject({ deleted: true, value: null, revision: 3 });
    expect(c.getDocument(ref('k'))).toBeUndefined();
    expect(c.listDocuments('b')).toEqual([]);
    expect(c.listDocuments('b', { includeDeleted: true }).map((r) => r.key)).toEqual(['k']);
    const again = c.upsertDocument(ref('k'), 'back');
    expect(again.revision).toBe(4);
  });

  it('does not alias the caller value', async () => {
    const c = await seeded();
    const value = { a: [1] };
    c.upsertDocument(ref('k'), value);
    value.a.push(2);
    expect(c.getDocument(ref('k'))?.value).toEqual({ a: [1] });
  });

  it('hides expired documents and applies a collection maxTTL', async () => {
    const k = clock();
    const c = await createClusterData({ now: k.now });
    c.createBucket({ name: 'b' });
    c.createCollection('b', '_default', 'ttl', { maxTTL: 60 });
    c.upsertDocument(ref('short'), 1, { expiry: T0 / 1000 + 10 });
    const capped = c.upsertDocument(ref('x', 'ttl'), 1);
    expect(capped.expiry).toBe(T0 / 1000 + 60);
    expect(c.getDocument(ref('short'))).toBeDefined();
    k.advance(10_000);
    expect(c.getDocument(ref('short'))).toBeUndefined();
    expect(c.listDocuments('b').map((r) => r.key)).toEqual(['x']);
  });

  it('lists documents sorted by scope, collection and key, optionally filtered', async () => {
    const c = await seeded();
    c.upsertDocument(ref('z'), 1);
    c.upsertDocument(ref('a'), 1);
    c.upsertDocument(ref('m', 'c1', 's1'), 1);
    expect(c.listDocuments('b').map((r) => `${r.scope}.${r.collection}.${r.key}`)).toEqual([
      '_default._default.a',
      '_default._default.z',
      's1.c1.m',
    ]);
    expect(c.listDocuments('b', { scope: 's1' }).map((r) => r.key)).toEqual(['m']);
  });

  it('restoreDocument keeps the revision and assigns a new cas', async () => {
    const c = await seeded();
    const r = c.restoreDocument({
      ...ref('k'),
      value: { a: 1 },
      expiry: 0,
      flags: 3,
      revision: 42,
      deleted: false,
    });
    expect(r).toMatchObject({ revision: 42, flags: 3, value: { a: 1 } });
    const d = c.restoreDocument({
      ...ref('k'),
      value: null,
      expiry: 0,
      flags: 0,
      revision: 43,
      deleted: true,
    });
    expect(d.deleted).toBe(true);
    expect(BigInt(d.cas)).toBeGreaterThan(BigInt(r.cas));
  });
});

describe('createClusterData (persistent)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cluster-data-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a second instance on the same directory sees every acknowledged write', async () => {
    const first = await seeded(dir);
    first.upsertDocument(ref('a'), { n: 1 }, { flags: 2, expiry: 0 });
    first.upsertDocument(ref('b', 'c1', 's1'), [1, 2]);
    first.upsertDocument(ref('gone'), 1);
    first.deleteDocument(ref('gone'));
    first.createCollection('b', 's1', 'dropped');
    first.upsertDocument(ref('x', 'dropped', 's1'), 1);
    const lastCas = first.upsertDocument(ref('a'), { n: 2 }).cas;
    first.dropCollection('b', 's1', 'dropped');
    first.createBucket({ name: 'other' });
    first.deleteBucket('other');

    // No close, no flush: the first instance is simply abandoned, as after kill -9.
    const second = await createClusterData({ dir, now: clock().now, uuid: 'ignored' });
    expect(second.uuid).toBe(first.uuid);
    expect(second.listBuckets()).toEqual(first.listBuckets());
    expect(second.listScopes('b')).toEqual(first.listScopes('b'));
    expect(second.listDocuments('b', { includeDeleted: true })).toEqual(
      first.listDocuments('b', { includeDeleted: true }),
    );
    // CAS stays monotonic across the reload even though the dropped collection held the highest one.
    const next = second.upsertDocument(ref('new'), 1);
    expect(BigInt(next.cas)).toBeGreaterThan(BigInt(lastCas));
  });

  it('ignores a torn last line left by a crash mid-write', async () => {
    const first = await seeded(dir);
    first.upsertDocument(ref('a'), 1);
    appendFileSync(join(dir, 'cluster-data.jsonl'), '{"op":"doc","record":{"bucket":"b","sco');
    const second = await createClusterData({ dir, now: clock().now });
    expect(second.listDocuments('b').map((r) => r.key)).toEqual(['a']);
    second.upsertDocument(ref('c'), 2);
    const third = await createClusterData({ dir, now: clock().now });
    expect(third.listDocuments('b').map((r) => r.key)).toEqual(['a', 'c']);
  });

  it('compacts the log and keeps the state', async () => {
    const c = await createClusterData({ dir, now: clock().now, compactSlack: 20 });
    c.createBucket({ name: 'b' });
    for (let i = 0; i < 200; i++) c.upsertDocument(ref(`k${i % 5}`), { i });
    const lines = readFileSync(join(dir, 'cluster-data.jsonl'), 'utf8').trim().split('\n').length;
    expect(lines).toBeLessThan(60);
    const reloaded = await createClusterData({ dir, now: clock().now });
    expect(reloaded.listDocuments('b').map((r) => [r.key, r.value, r.revision])).toEqual(
      c.listDocuments('b').map((r) => [r.key, r.value, r.revision]),
    );
    expect(reloaded.getDocument(ref('k4'))?.value).toEqual({ i: 199 });
  });
});
