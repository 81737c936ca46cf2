import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openArchiveRepository } from './archive-repository.ts';
import { createClusterData } from './cluster-data.ts';
import type { ArchiveRepository, ClusterData, DocumentRef, RestoreOptions } from './contract.ts';
import { DataError } from './errors.ts';

const T0 = Date.parse('2026-11-27T10:00:00Z');
const SOURCE = 'http://127.0.0.1:8091';

let tmp: string;
let archive: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'archive-repo-'));
  archive = join(tmp, 'archive');
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function at(minutes: number): Date {
  return new Date(T0 + minutes * 60_000);
}

async function newCluster(minutes = 0): Promise<ClusterData & { setMinutes(m: number): void }> {
  let t = T0 + minutes * 60_000;
  const c = await createClusterData({ now: () => new Date(t) });
  return Object.assign(c, { setMinutes: (m: number) => (t = T0 + m * 60_000) });
}

function ref(bucket: string, scope: string, collection: string, key: string): DocumentRef {
  return { bucket, scope, collection, key };
}

/** Live documents of a bucket as `scope.collection.key → value`. */
function contents(c: ClusterData, bucket: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of c.listDocuments(bucket)) out[`${r.scope}.${r.collection}.${r.key}`] = r.value;
  return out;
}

/** Source bucket `src` with three collections over two scopes plus the default one. */
async function seedSource(perCollection = 5): Promise<ClusterData & { setMinutes(m: number): void }> {
  const c = await newCluster();
  c.createBucket({ name: 'src' });
  c.createScope('src', 's1');
  c.createCollection('src', 's1', 'c1');
  c.createCollection('src', 's1', 'c2');
  for (const [scope, collection] of [
    ['_default', '_default'],
    ['s1', 'c1'],
    ['s1', 'c2'],
  ] as const) {
    for (let i = 0; i < perCollection; i++) {
      c.upsertDocument(ref('src', scope, collection, `${collection}-${i}`), {
        n: i,
        color: i % 2 === 0 ? 'red' : 'blue',
      });
    }
  }
  return c;
}

async function openRepo(): Promise<ArchiveRepository> {
  return openArchiveRepository({ archive, repo: 'repo-uuid', create: true });
}

async function expectDataError(promise: Promise<unknown>, code: string): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DataError);
  expect((caught as DataError).code).toBe(code);
}

describe('backup → change → incremental → merge → restore', () => {
  it('restores exactly the live documents of the source, deletions honoured', async () => {
    const src = await seedSource(20);
    const repo = await openRepo();
    const full = await repo.backup({ cluster: src, full: true, now: at(1), source: SOURCE });
    expect(full.type).toBe('FULL');
    expect(full.buckets[0]).toMatchObject({ name: 'src', items: 60, mutations: 60, tombstones: 0 });

    src.setMinutes(2);
    src.upsertDocument(ref('src', 's1', 'c1', 'c1-0'), { n: 0, color: 'green' });
    src.upsertDocument(ref('src', '_default', '_default', '_default-3'), 'plain string');
    src.deleteDocument(ref('src', 's1', 'c2', 'c2-1'));
    src.deleteDocument(ref('src', '_default', '_default', '_default-0'));
    src.upsertDocument(ref('src', 's1', 'c2', 'added'), { fresh: true });
    const incr = await repo.backup({ cluster: src, full: false, now: at(3), source: SOURCE });
    expect(incr.type).toBe('INCR');
    expect(incr.buckets[0]).toMatchObject({ items: 5, mutations: 3, tombstones: 2 });

    // Restore of the unmerged chain.
    const chainTarget = await newCluster(10);
    const chain = await repo.restore({
      target: chainTarget,
      options: { map_data: 'src=dst', auto_create_buckets: true },
      now: at(10),
    });
    expect(chain.backups).toEqual([full.date, incr.date]);
    expect(contents(chainTarget, 'dst')).toEqual(contents(src, 'src'));
    expect(chain.restored.dst).toEqual({ mutations: 63, deletions: 2, skipped: 0 });

    const merged = await repo.merge({ now: at(4) });
    expect(merged).toMatchObject({ type: 'MERGE - FULL', source: 'Merge', range: [full.date, incr.date] });
    expect(merged.date).toBe(incr.date);
    expect(await repo.listBackups()).toEqual([incr.date]);
    expect(merged.buckets[0]).toMatchObject({ items: 59, mutations: 59, tombstones: 0 });

    const target = await newCluster(10);
    const result = await repo.restore({
      target,
      options: { map_data: 'src=dst', auto_create_buckets: true },
      now: at(10),
    });
    expect(result.backups).toEqual([incr.date]);
    expect(target.getBucket('src')).toBeUndefined();
    expect(contents(target, 'dst')).toEqual(contents(src, 'src'));
    expect(Object.keys(contents(target, 'dst'))).toHaveLength(59);
    expect(target.listScopes('dst').map((s) => [s.name, s.collections.map((c) => c.name)])).toEqual([
      ['_default', ['_default']],
      ['s1', ['c1', 'c2']],
    ]);
  });

  it('an incremental backup after a merge carries only the later changes', async () => {
    const src = await seedSource(3);
    const repo = await openRepo();
    await repo.backup({ cluster: src, full: true, now: at(1), source: SOURCE });
    src.upsertDocument(ref('src', 's1', 'c1', 'c1-0'), 'v2');
    await repo.backup({ cluster: src, full: false, now: at(2), source: SOURCE });
    await repo.merge({ now: at(3) });
    src.upsertDocument(ref('src', 's1', 'c1', 'c1-1'), 'v3');
    src.deleteDocument(ref('src', 's1', 'c2', 'c2-2'));
    const incr = await repo.backup({ cluster: src, full: false, now: at(4), source: SOURCE });
    expect(incr.type).toBe('INCR');
    expect(incr.buckets[0]).toMatchObject({ mutations: 1, tombstones: 1 });

    const target = await newCluster(10);
    await repo.restore({ target, options: { auto_create_buckets: true }, now: at(10) });
    expect(contents(target, 'src')).toEqual(contents(src, 'src'));
  });
});

describe('backup', () => {
  it('makes the first backup of a repository full even when incremental was asked', async () => {
    const src = await seedSource(2);
    const repo = await openRepo();
    const first = await repo.backup({ cluster: src, full: false, now: at(1), source: SOURCE });
    expect(first.type).toBe('FULL');
    expect(first.source).toBe(SOURCE);
    expect(first.source_cluster_uuid).toBe(src.uuid);
    const second = await repo.backup({ cluster: src, full: false, now: at(2), source: SOURCE });
    expect(second.type).toBe('INCR');
    expect(second.buckets[0]?.items).toBe(0);
    const third = await repo.backup({ cluster: src, full: true, now: at(3), source: SOURCE });
    expect(third.buckets[0]?.items).toBe(6);
  });

  it('gives unique, chronologically sorted names to backups taken in the same millisecond', async () => {
    const src = await seedSource(1);
    const repo = await openRepo();
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      names.push((await repo.backup({ cluster: src, full: false, now: at(1), source: SOURCE })).date);
    }
    expect(names[0]).toBe('2026-11-27T10_01_00.000000000Z');
    expect(new Set(names).size).toBe(3);
    expect(await repo.listBackups()).toEqual(names);
    expect([...names].sort()).toEqual(names);
  });

  it('does not back up expired documents as live ones', async () => {
    const src = await seedSource(0);
    const d = (key: string): DocumentRef => ref('src', '_default', '_default', key);
    src.upsertDocument(d('keep'), 1);
    src.upsertDocument(d('soon'), 1, { expiry: T0 / 1000 + 90 });
    src.upsertDocument(d('gone'), 1, { expiry: T0 / 1000 + 30 });
    const repo = await openRepo();
    src.setMinutes(1);
    const full = await repo.backup({ cluster: src, bucket: 'src', full: true, now: at(1), source: SOURCE });
    expect(full.buckets[0]).toMatchObject({ mutations: 2, tombstones: 0 });
    // 'brief' changes after the full backup and expires before the next: it arrives as a deletion.
    src.upsertDocument(d('brief'), 1, { expiry: T0 / 1000 + 100 });
    src.setMinutes(2);
    src.upsertDocument(d('keep'), 2);
    const incr = await repo.backup({ cluster: src, bucket: 'src', full: false, now: at(2), source: SOURCE });
    expect(incr.buckets[0]).toMatchObject({ mutations: 1, tombstones: 1 });
    const path = 'src._default._default';
    expect((await repo.examine({ key: 'gone', dataPath: path })).map((e) => e.event_type)).toEqual([
      'not_found',
      'not_found',
    ]);
    expect((await repo.examine({ key: 'brief', dataPath: path })).map((e) => e.event_type)).toEqual([
      'not_found',
      'deletion',
    ]);
    // 'soon' was stored with its expiry, so a restore does not bring it back to life.
    const target = await newCluster(10);
    await repo.restore({ target, options: { auto_create_buckets: true }, now: at(10) });
    expect(contents(target, 'src')).toEqual({ '_default._default.keep': 2 });
  });

  it('backs up every non-memcached bucket when no bucket is given, and rejects an unknown one', async () => {
    const src = await seedSource(1);
    src.createBucket({ name: 'other' });
    src.createBucket({ name: 'cache', bucketType: 'memcached' });
    src.upsertDocument(ref('other', '_default', '_default', 'k'), 1);
    const repo = await openRepo();
    const info = await repo.backup({ cluster: src, full: true, now: at(1), source: SOURCE });
    expect(info.buckets.map((b) => [b.name, b.items])).toEqual([
      ['other', 1],
      ['src', 3],
    ]);
    await expectDataError(
      repo.backup({ cluster: src, bucket: 'nope', full: true, now: at(2), source: SOURCE }),
      'BUCKET_NOT_FOUND',
    );
  });

  it('reports increasing progress ending at 100', async () => {
    const src = await seedSource(3);
    src.createBucket({ name: 'b2' });
    const repo = await openRepo();
    const seen: number[] = [];
    await repo.backup({
      cluster: src,
      full: true,
      now: at(1),
      source: SOURCE,
      onProgress: (p) => seen.push(p),
    });
    expect(seen.at(-1)).toBe(100);
    expect(seen.length).toBeGreaterThan(2);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1] as number);
  });
});

describe('merge', () => {
  it('keeps tombstones when the range starts at an incremental backup', async () => {
    const src = await seedSource(2);
    const repo = await openRepo();
    const full = await repo.backup({ cluster: src, full: true, now: at(1), source: SOURCE });
    src.deleteDocument(ref('src', 's1', 'c1', 'c1-0'));
    const i1 = await repo.backup({ cluster: src, full: false, now: at(2), source: SOURCE });
    src.upsertDocument(ref('src', 's1', 'c1', 'c1-1'), 'x');
    const i2 = await repo.backup({ cluster: src, full: false, now: at(3), source: SOURCE });
    const merged = await repo.merge({ start: i1.date, end: i2.date, now: at(4) });
    expect(merged.type).toBe('MERGE - INCR');
    expect(merged.buckets[0]).toMatchObject({ mutations: 1, tombstones: 1 });
    expect(await repo.listBackups()).toEqual([full.date, i2.date]);

    const target = await newCluster(10);
    await repo.restore({ target, options: { auto_create_buckets: true }, now: at(10) });
    expect(contents(target, 'src')).toEqual(contents(src, 'src'));
  });

  const badRanges: {
    name: string;
    range: (n: string[]) => { start?: string; end?: string };
    code: string;
  }[] = [
    { name: 'unknown start', range: () => ({ start: 'nope' }), code: 'BACKUP_NOT_FOUND' },
    {
      name: 'unknown end',
      range: () => ({ end: '2000-01-01T00_00_00.000000000Z' }),
      code: 'BACKUP_NOT_FOUND',
    },
    {
      name: 'start after end',
      range: (n) => ({ start: n[1] as string, end: n[0] as string }),
      code: 'INVALID_RANGE',
    },
    {
      name: 'single backup',
      range: (n) => ({ start: n[0] as string, end: n[0] as string }),
      code: 'INVALID_RANGE',
    },
  ];
  it.each(badRanges)('fails with $code for $name', async ({ range, code }) => {
    const src = await seedSource(1);
    const repo = await openRepo();
    await repo.backup({ cluster: src, full: true, now: at(1), source: SOURCE });
    await repo.backup({ cluster: src, full: false, now: at(2), source: SOURCE });
    await expectDataError(repo.merge({ ...range(await repo.listBackups()), now: at(3) }), code);
    expect(await repo.listBackups()).toHaveLength(2);
  });

  it('fails with NO_BACKUPS on an empty repository', async () => {
    const repo = await openRepo();
    await expectDataError(repo.merge({ now: at(1) }), 'NO_BACKUPS');
  });
});

describe('restore options', () => {
  /** Source with a full backup (minute 1) and an incremental (minute 2) that deletes c1-1. */
  async function prepared(): Promise<{ src: ClusterData; repo: ArchiveRepository; names: string[] }> {
    const src = await seedSource(3);
    src.upsertDocument(ref('src', 's1', 'c2', 'expired'), { old: true }, { expiry: T0 / 1000 + 120 });
    const repo = await openRepo();
    await repo.backup({ cluster: src, full: true, now: at(1), source: SOURCE });
    src.deleteDocument(ref('src', 's1', 'c1', 'c1-1'));
    await repo.backup({ cluster: src, full: false, now: at(2), source: SOURCE });
    return { src, repo, names: await repo.listBackups() };
  }

  const all = [
    '_default._default._default-0',
    '_default._default._default-1',
    '_default._default._default-2',
    's1.c1.c1-0',
    's1.c1.c1-2',
    's1.c2.c2-0',
    's1.c2.c2-1',
    's1.c2.c2-2',
  ];
  const cases: {
    name: string;
    options: (names: string[]) => RestoreOptions;
    bucket?: string;
    keys?: string[];
    expiry?: (e: Record<string, number>) => void;
    code?: string;
  }[] = [
    { name: 'no options', options: () => ({}), keys: all },
    {
      name: 'include a scope',
      options: () => ({ include_data: 'src.s1' }),
      keys: all.filter((k) => k.startsWith('s1.')),
    },
    {
      name: 'include a collection and the default scope',
      options: () => ({ include_data: 'src.s1.c1,src._default' }),
      keys: all.filter((k) => !k.startsWith('s1.c2')),
    },
    {
      name: 'exclude a collection',
      options: () => ({ exclude_data: 'src.s1.c2' }),
      keys: all.filter((k) => !k.startsWith('s1.c2')),
    },
    { name: 'exclude the bucket', options: () => ({ exclude_data: 'src' }), keys: [] },
    {
      name: 'include and exclude together',
      options: () => ({ include_data: 'src', exclude_data: 'src.s1' }),
      code: 'INVALID_ARGUMENT',
    },
    {
      name: 'map a bucket and, more specifically, a collection',
      options: () => ({ map_data: 'src=dst,src.s1.c1=dst.moved.here', auto_create_buckets: true }),
      bucket: 'dst',
      keys: all.map((k) => k.replace('s1.c1.', 'moved.here.')).sort(),
    },
    { name: 'mapping across levels', options: () => ({ map_data: 'src=dst.s' }), code: 'INVALID_ARGUMENT' },
    { name: 'mapping without =', options: () => ({ map_data: 'src' }), code: 'INVALID_ARGUMENT' },
    {
      name: 'filter_keys',
      options: () => ({ filter_keys: '^c[12]-0$' }),
      keys: ['s1.c1.c1-0', 's1.c2.c2-0'],
    },
    {
      name: 'filter_values against the JSON text',
      options: () => ({ filter_values: '"color":"blue"' }),
      keys: ['_default._default._default-1', 's1.c2.c2-1'],
    },
    { name: 'invalid regular expression', options: () => ({ filter_keys: '(' }), code: 'INVALID_ARGUMENT' },
    {
      name: 'missing target bucket without auto_create_buckets',
      options: () => ({ map_data: 'src=dst' }),
      code: 'BUCKET_NOT_FOUND',
    },
    {
      name: 'start/end select the full backup only (the deletion is not replayed)',
      options: (n) => ({ start: n[0] as string, end: n[0] as string }),
      keys: [...all, 's1.c1.c1-1'].sort(),
    },
    { name: 'unknown start', options: () => ({ start: 'nope' }), code: 'BACKUP_NOT_FOUND' },
    {
      name: 'start after end',
      options: (n) => ({ start: n[1] as string, end: n[0] as string }),
      code: 'INVALID_RANGE',
    },
    { name: 'disable_data', options: () => ({ disable_data: true }), keys: [] },
    {
      name: 'replace_ttl all with a time',
      options: () => ({ replace_ttl: 'all', replace_ttl_with: '2030-01-01T00:00:00Z' }),
      keys: [...all, 's1.c2.expired'].sort(),
      expiry: (e) => {
        for (const v of Object.values(e)) expect(v).toBe(Date.parse('2030-01-01T00:00:00Z') / 1000);
      },
    },
    {
      name: 'replace_ttl expired with 0 revives expired documents only',
      options: () => ({ replace_ttl: 'expired', replace_ttl_with: '0' }),
      keys: [...all, 's1.c2.expired'].sort(),
      expiry: (e) => {
        expect(e['s1.c2.expired']).toBe(0);
        expect(Object.values(e).every((v) => v === 0)).toBe(true);
      },
    },
    {
      name: 'replace_ttl without replace_ttl_with',
      options: () => ({ replace_ttl: 'all' }),
      code: 'INVALID_ARGUMENT',
    },
    {
      name: 'replace_ttl_with not RFC 3339',
      options: () => ({ replace_ttl: 'all', replace_ttl_with: 'tomorrow' }),
      code: 'INVALID_ARGUMENT',
    },
  ];

  it.each(cases)('$name', async ({ options, bucket = 'src', keys, expiry, code }) => {
    const { repo, names } = await prepared();
    // The target runs at minute 10: the document expiring at minute 2 is expired there.
    const target = await newCluster(10);
    target.createBucket({ name: 'src' });
    const run = repo.restore({ target, options: options(names), now: at(10) });
    if (code !== undefined) {
      await expectDataError(run, code);
      expect(target.listDocuments('src', { includeDeleted: true })).toEqual([]);
      return;
    }
    await run;
    const live = target.getBucket(bucket) === undefined ? [] : target.listDocuments(bucket);
    expect(live.map((r) => `${r.scope}.${r.collection}.${r.key}`).sort()).toEqual(keys);
    if (expiry !== undefined) {
      expiry(Object.fromEntries(live.map((r) => [`${r.scope}.${r.collection}.${r.key}`, r.expiry])));
    }
  });

  it('skips documents that are newer in the target unless force_updates', async () => {
    const { src, repo } = await prepared();
    src.upsertDocument(ref('src', 's1', 'c1', 'c1-0'), 'changed after backup');
    const result = await repo.restore({ target: src, options: {}, now: at(10) });
    expect(src.getDocument(ref('src', 's1', 'c1', 'c1-0'))?.value).toBe('changed after backup');
    // Everything already in the cluster is at least as new as the backup.
    expect(result.restored.src).toMatchObject({ mutations: 0, deletions: 0 });
    expect(result.restored.src?.skipped).toBe(11);

    const forced = await repo.restore({ target: src, options: { force_updates: true }, now: at(10) });
    expect(src.getDocument(ref('src', 's1', 'c1', 'c1-0'))?.value).toEqual({ n: 0, color: 'red' });
    expect(forced.restored.src).toMatchObject({ mutations: 10, deletions: 1, skipped: 0 });
  });

  it('applies tombstones as deletions of live target documents', async () => {
    const { repo, names } = await prepared();
    const target = await newCluster(10);
    await repo.restore({
      target,
      options: { start: names[0] as string, end: names[0] as string, auto_create_buckets: true },
      now: at(10),
    });
    expect(target.getDocument(ref('src', 's1', 'c1', 'c1-1'))).toBeDefined();
    const second = await repo.restore({ target, options: { start: names[1] as string }, now: at(11) });
    expect(target.getDocument(ref('src', 's1', 'c1', 'c1-1'))).toBeUndefined();
    expect(second.restored.src).toMatchObject({ deletions: 1 });
  });

  it('drops collections dropped between backups only with auto_remove_collections', async () => {
    const src = await seedSource(1);
    const repo = await openRepo();
    await repo.backup({ cluster: src, full: true, now: at(1), source: SOURCE });
    src.dropCollection('src', 's1', 'c2');
    await repo.backup({ cluster: src, full: false, now: at(2), source: SOURCE });
    const collectionsAfter = async (options: RestoreOptions): Promise<string[]> => {
      const target = await newCluster(10);
      await repo.restore({ target, options: { ...options, auto_create_buckets: true }, now: at(10) });
      return target.listScopes('src').flatMap((s) => s.collections.map((c) => `${s.name}.${c.name}`));
    };
    expect(await collectionsAfter({})).toEqual(['_default._default', 's1.c1', 's1.c2']);
    expect(await collectionsAfter({ auto_remove_collections: true })).toEqual(['_default._default', 's1.c1']);
  });

  it('reports progress up to 100', async () => {
    const { repo } = await prepared();
    const target = await newCluster(10);
    const seen: number[] = [];
    await repo.restore({
      target,
      options: { auto_create_buckets: true },
      now: at(10),
      onProgress: (p) => seen.push(p),
    });
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(100);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });
});

describe('examine', () => {
  it("shows a key's history across backups, oldest first", async () => {
    const src = await seedSource(1);
    const repo = await openRepo();
    const key = ref('src', 's1', 'c1', 'c1-0');
    await repo.backup({ cluster: src, full: true, now: at(1), source: SOURCE });
    await repo.backup({ cluster: src, full: false, now: at(2), source: SOURCE });
    src.upsertDocument(key, { v: 2 }, { flags: 5 });
    await repo.backup({ cluster: src, full: false, now: at(3), source: SOURCE });
    src.deleteDocument(key);
    await repo.backup({ cluster: src, full: false, now: at(4), source: SOURCE });
    const names = await repo.listBackups();

    const entries = await repo.examine({ key: 'c1-0', dataPath: 'src.s1.c1' });
    expect(entries.map((e) => [e.backup, e.event_type])).toEqual([
      [names[0], 'mutation'],
      [names[1], 'not_found'],
      [names[2], 'mutation'],
      [names[3], 'deletion'],
    ]);
    expect(entries[0]?.document).toMatchObject({
      key: 'c1-0',
      value: { n: 0, color: 'red' },
      deleted: false,
    });
    expect(entries[2]?.document?.metadata).toMatchObject({ flags: 5, revseqno: 2, datatype: 1 });
    expect(entries[3]?.document).toMatchObject({ value: null, deleted: true, metadata: { revseqno: 3 } });

    const some = await repo.examine({
      key: 'c1-0',
      dataPath: 'src.s1.c1',
      backups: `${names[3]},${names[0]}`,
    });
    expect(some.map((e) => e.backup)).toEqual([names[0], names[3]]);
    await expectDataError(
      repo.examine({ key: 'k', dataPath: 'src.s1.c1', backups: 'nope' }),
      'BACKUP_NOT_FOUND',
    );
    await expectDataError(repo.examine({ key: 'k', dataPath: 'src' }), 'INVALID_ARGUMENT');
    await expectDataError(repo.examine({ key: 'k', dataPath: 'src.s1' }), 'INVALID_ARGUMENT');
  });

  it('accepts a bucket-only path for a collection-unaware backup, with escaped dots', async () => {
    const src = await newCluster();
    src.createBucket({ name: 'travel.sample' });
    src.upsertDocument(ref('travel.sample', '_default', '_default', 'k'), 1);
    const repo = await openRepo();
    await repo.backup({ cluster: src, full: true, now: at(1), source: SOURCE });
    const entries = await repo.examine({ key: 'k', dataPath: 'travel\\.sample' });
    expect(entries.map((e) => e.event_type)).toEqual(['mutation']);
  });
});

describe('info, delete and persistence', () => {
  it('counts what is stored, with pagination', async () => {
    const src = await seedSource(4);
    const repo = await openRepo();
    await repo.backup({ cluster: src, full: true, now: at(1), source: SOURCE });
    src.deleteDocument(ref('src', 's1', 'c1', 'c1-0'));
    src.upsertDocument(ref('src', 's1', 'c2', 'c2-0'), 1);
    await repo.backup({ cluster: src, full: false, now: at(2), source: SOURCE });
    await repo.backup({ cluster: src, full: false, now: at(3), source: SOURCE });

    const info = await repo.info();
    expect(info).toMatchObject({ name: 'repo-uuid', count: 3 });
    expect(info.backups.map((b) => [b.type, b.buckets[0]?.mutations, b.buckets[0]?.tombstones])).toEqual([
      ['FULL', 12, 0],
      ['INCR', 1, 1],
      ['INCR', 0, 0],
    ]);
    const s1 = info.backups[1]?.buckets[0]?.scopes['8'];
    expect(s1).toMatchObject({ name: 's1', mutations: 1, tombstones: 1 });
    expect(s1?.collections['9']).toEqual({ id: 9, name: 'c1', mutations: 0, tombstones: 1 });
    for (const b of info.backups) {
      expect(b.complete).toBe(true);
      expect(b.size).toBeGreaterThan(b.buckets[0]?.size ?? 0);
    }
    expect(info.backups[0]?.buckets[0]?.size).toBeGreaterThan(info.backups[1]?.buckets[0]?.size ?? 0);
    expect(info.size).toBeGreaterThan(info.backups.reduce((n, b) => n + b.size, 0));

    const page = await repo.info({ limit: 1, offset: 1 });
    expect(page.count).toBe(3);
    expect(page.backups.map((b) => b.date)).toEqual([info.backups[1]?.date]);
    expect((await repo.info({ offset: 5 })).backups).toEqual([]);
    await expectDataError(repo.info({ limit: -1 }), 'INVALID_ARGUMENT');
  });

  it('a new repository object on the same directory sees the same backups', async () => {
    const src = await seedSource(2);
    const repo = await openRepo();
    await repo.backup({ cluster: src, full: true, now: at(1), source: SOURCE });
    await repo.backup({ cluster: src, full: false, now: at(2), source: SOURCE });
    const again = await openArchiveRepository({ archive, repo: 'repo-uuid', create: false });
    expect(await again.listBackups()).toEqual(await repo.listBackups());
    expect(await again.info()).toEqual(await repo.info());
    const target = await newCluster(10);
    await again.restore({ target, options: { auto_create_buckets: true }, now: at(10) });
    expect(contents(target, 'src')).toEqual(contents(src, 'src'));
  });

  it('persists cluster data and archive across a simulated crash', async () => {
    const dataDir = join(tmp, 'cluster');
    const first = await createClusterData({ dir: dataDir, now: () => at(0) });
    first.createBucket({ name: 'b' });
    first.upsertDocument(ref('b', '_default', '_default', 'k'), { v: 1 });
    const repo = await openRepo();
    await repo.backup({ cluster: first, full: true, now: at(1), source: SOURCE });
    first.upsertDocument(ref('b', '_default', '_default', 'k'), { v: 2 });

    const reloaded = await createClusterData({ dir: dataDir, now: () => at(5) });
    const repo2 = await openArchiveRepository({ archive, repo: 'repo-uuid', create: false });
    const incr = await repo2.backup({ cluster: reloaded, full: false, now: at(6), source: SOURCE });
    expect(incr.type).toBe('INCR');
    expect(incr.buckets[0]?.mutations).toBe(1);
  });

  it('recovers from a merge interrupted between its renames', async () => {
    const src = await seedSource(1);
    const repo = await openRepo();
    const a = await repo.backup({ cluster: src, full: true, now: at(1), source: SOURCE });
    const repoDir = join(archive, 'repo-uuid');
    // Debris of a process that died (its tag is not this process's).
    renameSync(join(repoDir, a.date), join(repoDir, `.trash-1x0dead-${a.date}`));
    mkdirSync(join(repoDir, '.tmp-1x0dead-stage-0000'));
    const reopened = await openArchiveRepository({ archive, repo: 'repo-uuid', create: false });
    expect(await reopened.listBackups()).toEqual([a.date]);
    expect(readdirSync(repoDir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('deletes one backup, rejects unknown names, and removes the whole repository', async () => {
    const src = await seedSource(1);
    const repo = await openRepo();
    const a = await repo.backup({ cluster: src, full: true, now: at(1), source: SOURCE });
    const b = await repo.backup({ cluster: src, full: false, now: at(2), source: SOURCE });
    await expectDataError(repo.deleteBackup('2000-01-01T00_00_00.000000000Z'), 'BACKUP_NOT_FOUND');
    await expectDataError(repo.deleteBackup('../../etc'), 'BACKUP_NOT_FOUND');
    await repo.deleteBackup(a.date);
    expect(await repo.listBackups()).toEqual([b.date]);
    await repo.removeAll();
    expect(existsSync(join(archive, 'repo-uuid'))).toBe(false);
    expect(existsSync(archive)).toBe(true);
  });

  const unusable: { name: string; setup: () => { archive: string; create: boolean } }[] = [
    { name: 'a relative archive path', setup: () => ({ archive: 'relative/dir', create: true }) },
    {
      name: 'an archive that is a file',
      setup: () => {
        writeFileSync(join(tmp, 'file'), 'x');
        return { archive: join(tmp, 'file'), create: true };
      },
    },
    {
      name: 'a non-empty directory that is not an archive',
      setup: () => {
        mkdirSync(join(tmp, 'busy'));
        writeFileSync(join(tmp, 'busy', 'stuff'), 'x');
        return { archive: join(tmp, 'busy'), create: true };
      },
    },
    { name: 'importing a missing repository', setup: () => ({ archive: join(tmp, 'none'), create: false }) },
  ];
  it.each(unusable)('rejects $name with ARCHIVE_UNUSABLE', async ({ setup }) => {
    await expectDataError(openArchiveRepository({ ...setup(), repo: 'r' }), 'ARCHIVE_UNUSABLE');
  });

  it('lets several repositories share one archive', async () => {
    const one = await openArchiveRepository({ archive, repo: 'one', create: true });
    const two = await openArchiveRepository({ archive, repo: 'two', create: true });
    const src = await seedSource(1);
    await one.backup({ cluster: src, full: true, now: at(1), source: SOURCE });
    expect(await two.listBackups()).toEqual([]);
  });
});

describe('performance', () => {
  it('backs up, merges and restores thousands of documents quickly', async () => {
    const src = await seedSource(2000);
    const repo = await openRepo();
    const started = performance.now();
    await repo.backup({ cluster: src, full: true, now: at(1), source: SOURCE });
    for (let i = 0; i < 1000; i++) src.upsertDocument(ref('src', 's1', 'c1', `c1-${i}`), { v: i });
    await repo.backup({ cluster: src, full: false, now: at(2), source: SOURCE });
    await repo.merge({ now: at(3) });
    const target = await newCluster(10);
    const result = await repo.restore({ target, options: { auto_create_buckets: true }, now: at(10) });
    const elapsed = performance.now() - started;
    expect(result.restored.src?.mutations).toBe(6000);
    // Generous bound: catches quadratic work (which takes seconds at this size), not machine speed.
    expect(elapsed).toBeLessThan(3000);
  });
});
