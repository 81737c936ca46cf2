import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pull, push } from './mirror.ts';
import type { ListedObject, ObjectStore } from './object-store-client.ts';

/** An object store in memory that records the order of writes and deletes. */
function memoryStore(): ObjectStore & { objects: Map<string, Buffer>; log: string[] } {
  const objects = new Map<string, Buffer>();
  const log: string[] = [];
  const etag = (b: Buffer) => createHash('md5').update(b).digest('hex');
  return {
    uri: 's3://mem',
    objects,
    log,
    list: async (rel) => {
      const out = new Map<string, ListedObject>();
      for (const [k, v] of objects) if (k.startsWith(rel)) out.set(k, { etag: etag(v), size: v.length });
      return out;
    },
    exists: async (rel) => objects.has(rel),
    get: async (rel) => objects.get(rel) ?? Buffer.alloc(0),
    put: async (rel, body) => {
      objects.set(rel, body);
      log.push(`put ${rel}`);
      return etag(body);
    },
    delete: async (rel) => {
      objects.delete(rel);
      log.push(`delete ${rel}`);
    },
    close: () => {},
  };
}

const B1 = '2025-01-01T00_00_00.000000001Z';
const B2 = '2025-01-02T00_00_00.000000001Z';
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cbbs-mirror-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pull', () => {
  it('leaves out a backup whose manifest never reached the store (an interrupted upload)', async () => {
    const store = memoryStore();
    store.objects.set('repo/backup-meta.json', Buffer.from('{}'));
    store.objects.set(`repo/${B1}/manifest.json`, Buffer.from('{"m":1}'));
    store.objects.set(`repo/${B1}/data/b/s/c.jsonl`, Buffer.from('x'));
    store.objects.set(`repo/${B2}/data/b/s/c.jsonl`, Buffer.from('y'));
    await pull(store, 'repo/', join(dir, 'repo'));
    expect((await readdir(join(dir, 'repo'))).sort()).toEqual([B1, 'backup-meta.json']);
  });

  it('removes a whole local backup the store no longer holds, and work in progress is never pulled', async () => {
    const store = memoryStore();
    store.objects.set('repo/backup-meta.json', Buffer.from('{}'));
    store.objects.set('repo/.tmp-1-abc/manifest.json', Buffer.from('{}'));
    await mkdir(join(dir, 'repo', B1, 'data'), { recursive: true });
    await writeFile(join(dir, 'repo', B1, 'manifest.json'), '{}');
    await pull(store, 'repo/', join(dir, 'repo'));
    expect(await readdir(join(dir, 'repo'))).toEqual(['backup-meta.json']);
  });
});

describe('push', () => {
  it('uploads data before manifests, only what changed, and deletes manifests before data', async () => {
    const store = memoryStore();
    const local = join(dir, 'repo');
    await mkdir(join(local, B1, 'data'), { recursive: true });
    await writeFile(join(local, 'backup-meta.json'), '{}');
    await writeFile(join(local, B1, 'manifest.json'), '{"m":1}');
    await writeFile(join(local, B1, 'data', 'c.jsonl'), 'x');
    await push(store, 'repo/', local, new Map());
    expect(store.log.indexOf(`put repo/${B1}/data/c.jsonl`)).toBeLessThan(
      store.log.indexOf(`put repo/${B1}/manifest.json`),
    );

    const listed = await pull(store, 'repo/', local);
    store.log.length = 0;
    await push(store, 'repo/', local, listed);
    expect(store.log).toEqual([]);

    await rm(join(local, B1), { recursive: true });
    await push(
      store,
      'repo/',
      local,
      await store.list('repo/').then((m) => new Map([...m].map(([k, v]) => [k.slice(5), v]))),
    );
    expect(store.log).toEqual([`delete repo/${B1}/manifest.json`, `delete repo/${B1}/data/c.jsonl`]);
  });
});
