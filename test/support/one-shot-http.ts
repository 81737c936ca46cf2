import type { RequestLogEntry } from '../../src/emulator/request-log.ts';

/** Emulator HTTP helpers for one-shot integration tests (test helper, not used by the operator). */
export function emulatorHttp(url: string, user = 'admin', password = 'password') {
  const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  return {
    call,
    /** Creates an active repository on a built-in plan with a filesystem archive. */
    createRepository: (id: string, archive: string, plan = '_daily_backups') =>
      call('POST', `/api/v1/cluster/self/repository/active/${id}`, { plan, archive }),
    archiveRepository: (id: string) =>
      call('POST', `/api/v1/cluster/self/repository/active/${id}/archive`, { id }),
    backupNow: async (id: string) =>
      (
        (await call('POST', `/api/v1/cluster/self/repository/active/${id}/backup`, {})) as {
          task_name: string;
        }
      ).task_name,
    info: async (state: string, id: string) =>
      (
        (await call('GET', `/api/v1/cluster/self/repository/${state}/${id}/info`)) as {
          backups: { date: string }[];
        }
      ).backups.map((b) => b.date),
    createBucket: (name: string) => call('POST', '/_emulator/buckets', { name }),
    putDoc: (bucket: string, key: string, value: unknown, scope = '_default', collection = '_default') =>
      call(
        'PUT',
        `/_emulator/buckets/${bucket}/scopes/${scope}/collections/${collection}/docs/${encodeURIComponent(key)}`,
        value,
      ),
    /** Live documents of a bucket: `scope.collection/key` → value. */
    docs: async (bucket: string): Promise<Record<string, unknown>> => {
      const list = (await call('GET', `/_emulator/buckets/${bucket}/docs`)) as {
        scope: string;
        collection: string;
        key: string;
        value: unknown;
      }[];
      return Object.fromEntries(list.map((d) => [`${d.scope}.${d.collection}/${d.key}`, d.value]));
    },
    bucketExists: async (bucket: string) =>
      ((await call('GET', '/_emulator/buckets')) as { name: string }[]).some((b) => b.name === bucket),
  };
}

const TASK_POST = /\/repository\/(active|archived|imported)\/([^/]+)\/(backup|merge|restore)(\?|$)/;

/** Task-starting POSTs (backup, merge, restore) in a request log, per repository id. */
export function taskPostsByRepository(entries: readonly RequestLogEntry[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of entries) {
    if (e.method !== 'POST') continue;
    const m = TASK_POST.exec(e.path);
    if (m?.[2]) counts[m[2]] = (counts[m[2]] ?? 0) + 1;
  }
  return counts;
}

/** Task-starting POSTs per `repositoryId/operation` (e.g. `r1/restore`). */
export function taskPostsByOperation(entries: readonly RequestLogEntry[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of entries) {
    if (e.method !== 'POST') continue;
    const m = TASK_POST.exec(e.path);
    if (m?.[2] && m[3]) counts[`${m[2]}/${m[3]}`] = (counts[`${m[2]}/${m[3]}`] ?? 0) + 1;
  }
  return counts;
}
