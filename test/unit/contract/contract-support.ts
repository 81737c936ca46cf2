/**
 * Shared pieces of the contract tests: the client pointed at an emulator, the emulator-only
 * `/_emulator` API (documents, clock, faults, request log) spoken over plain HTTP, and task waits
 * done through the client. The tests never reach into the emulator's memory.
 */
import {
  type BackupClient,
  type BackupClientOptions,
  createBackupClient,
  type RepositoryPathState,
  type TaskRun,
} from '../../../src/backup-api/index.ts';

export const ADMIN = { username: 'admin', password: 'password' } as const;

/** Fast retries so fault tests stay quick; delays are not what these tests check. */
export const FAST_RETRY = { attempts: 3, baseMs: 1, maxMs: 5 } as const;

/** A client for `url` with admin credentials and fast retries; options override. */
export function clientFor(url: string, options: Partial<BackupClientOptions> = {}): BackupClient {
  return createBackupClient({ urls: [url], auth: ADMIN, retry: FAST_RETRY, timeoutMs: 5_000, ...options });
}

/** A document as the emulator API returns it. */
export interface DocRecord {
  bucket: string;
  scope: string;
  collection: string;
  key: string;
  value: unknown;
  revision: number;
  deleted: boolean;
}

/** The `/_emulator` API of one emulator. Throws on any non-2xx answer. */
export function emulatorControl(baseUrl: string) {
  async function call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const res = await fetch(`${baseUrl}/_emulator${path}`, init);
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} /_emulator${path}: ${res.status} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
  const docPath = (bucket: string, scope: string, collection: string, key: string) =>
    `/buckets/${enc(bucket)}/scopes/${enc(scope)}/collections/${enc(collection)}/docs/${enc(key)}`;

  return {
    call,
    createBucket: (name: string) => call('POST', '/buckets', { name }),
    createScope: (bucket: string, name: string) => call('POST', `/buckets/${enc(bucket)}/scopes`, { name }),
    createCollection: (bucket: string, scope: string, name: string) =>
      call('POST', `/buckets/${enc(bucket)}/scopes/${enc(scope)}/collections`, { name }),
    putDoc: (bucket: string, scope: string, collection: string, key: string, value: unknown) =>
      call<DocRecord>('PUT', docPath(bucket, scope, collection, key), value),
    deleteDoc: (bucket: string, scope: string, collection: string, key: string) =>
      call<DocRecord>('DELETE', docPath(bucket, scope, collection, key)),
    /** Live documents of a bucket (tombstones excluded). */
    docs: (bucket: string) => call<DocRecord[]>('GET', `/buckets/${enc(bucket)}/docs`),
    listBuckets: () => call<Array<{ name: string }>>('GET', '/buckets'),
    now: async () => (await call<{ nowMs: number }>('GET', '/time')).nowMs,
    advance: (duration: string) => call<{ nowMs: number }>('POST', '/time/advance', { duration }),
    idle: () => call('POST', '/idle'),
    setFaults: (settings: unknown) => call('PUT', '/faults', settings),
    clearFaults: () => call('DELETE', '/faults'),
    requests: (filter: { method?: string; path?: string } = {}) => {
      const q = new URLSearchParams(filter as Record<string, string>).toString();
      return call<{ entries: Array<{ method: string; path: string; status: number }> }>(
        'GET',
        `/requests${q === '' ? '' : `?${q}`}`,
      );
    },
    clearRequests: () => call('DELETE', '/requests'),
  };
}

export type EmulatorControl = ReturnType<typeof emulatorControl>;

const enc = encodeURIComponent;

/** Polls `taskHistory` through the client until `taskName` has finished, and returns its record. */
export async function waitForTask(
  client: BackupClient,
  state: RepositoryPathState,
  id: string,
  taskName: string,
  timeoutMs = 10_000,
): Promise<TaskRun> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [run] = await client.taskHistory(state, id, { taskName });
    if (run !== undefined) return run;
    if (Date.now() > deadline) throw new Error(`task ${taskName} not in history after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs `fn` and returns what it threw (fails the test when it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}
