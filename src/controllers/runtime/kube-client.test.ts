import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/support/runtime.ts';
import {
  startTestApiServer,
  type TestApiServer,
  type TestObject,
} from '../../../test/support/scripted-apiserver.ts';
import { isConflict, kubeStatus } from './errors.ts';
import { createCustomResourceClient, createKubeRest, KubeApiError } from './kube-client.ts';
import { createWatch } from './kube-watch.ts';

let server: TestApiServer;
beforeEach(async () => {
  server = await startTestApiServer();
});
afterEach(async () => {
  await server.close();
});

const client = (requestTimeoutMs?: number) =>
  createCustomResourceClient<TestObject>(
    createKubeRest(server.kc, requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
    server,
  );

describe('createKubeRest', () => {
  it('aborts a request the server never answers', async () => {
    server.create('ns', 'one');
    server.hangNext();
    const started = Date.now();
    await expect(client(100).get('ns', 'one')).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('an error carries the numeric code and the Status JSON as a string body, as client-node 2.x did', async () => {
    server.replyNext(409, { kind: 'Status', code: 409, reason: 'Conflict', message: 'stale' });
    const err = await client()
      .list('ns')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).code).toBe(409);
    expect(typeof (err as KubeApiError).body).toBe('string');
    expect((err as KubeApiError).message).toContain('stale');
    expect(isConflict(err)).toBe(true);
    expect(kubeStatus(err)).toMatchObject({ reason: 'Conflict', message: 'stale' });
  });
  it('does not read the answer of a request that discards it, and still rejects on an error status', async () => {
    server.create('ns', 'one', { v: 1 });
    const rest = createKubeRest(server.kc);
    const path = `/apis/${server.group}/${server.version}/namespaces/ns/${server.plural}/one`;
    expect(await rest.request({ method: 'GET', path, discardBody: true })).toBeUndefined();
    expect(await rest.request<TestObject>({ method: 'GET', path })).toMatchObject({ spec: { v: 1 } });
    server.replyNext(403, { kind: 'Status', code: 403, reason: 'Forbidden', message: 'no events' });
    await expect(rest.request({ method: 'GET', path, discardBody: true })).rejects.toMatchObject({
      code: 403,
    });
  });
});

describe('createCustomResourceClient', () => {
  it('get returns undefined for 404 and the object otherwise', async () => {
    server.create('ns', 'one', { v: 1 });
    expect(await client().get('ns', 'missing')).toBeUndefined();
    expect((await client().get('ns', 'one'))?.spec).toEqual({ v: 1 });
  });

  it('lists one namespace or all', async () => {
    server.create('a', 'one');
    server.create('b', 'two');
    expect((await client().list('a')).items.map((o) => o.metadata.name)).toEqual(['one']);
    expect((await client().list(undefined)).items).toHaveLength(2);
  });

  it('mergePatch and jsonPatch send their content types', async () => {
    server.create('ns', 'one', { v: 1 });
    await client().mergePatch('ns', 'one', { spec: { v: 2 } });
    expect(server.requests.at(-1)?.headers['content-type']).toBe('application/merge-patch+json');
    await client().jsonPatch('ns', 'one', [
      { op: 'test', path: '/spec/v', value: 2 },
      { op: 'add', path: '/spec/w', value: 3 },
    ]);
    expect(server.requests.at(-1)?.headers['content-type']).toBe('application/json-patch+json');
    expect(server.get('ns', 'one')?.spec).toEqual({ v: 2, w: 3 });
  });
});

describe('shared dispatcher', () => {
  it('applies the credentials once per reuse window, again after a 401, and keeps the first dispatcher', async () => {
    const used: number[] = [];
    let built = 0;
    let nowMs = 0;
    const kc = {
      getCurrentCluster: () => server.kc.getCurrentCluster(),
      async applySecurityAuthentication(ctx: {
        setHeaderParam(k: string, v: string): void;
        setDispatcher(d: unknown): void;
      }) {
        built++;
        await server.kc.applySecurityAuthentication(ctx as never);
        ctx.setHeaderParam('Authorization', `Bearer token-${built}`);
        const id = built;
        ctx.setDispatcher(
          new (class extends Agent {
            override dispatch(...args: Parameters<Agent['dispatch']>) {
              used.push(id);
              return super.dispatch(...args);
            }
          })(),
        );
      },
    };
    const rest = createKubeRest(kc as never, { now: () => nowMs, credentialsReuseMs: 10_000 });
    server.create('ns', 'one');
    const get = () => rest.request({ method: 'GET', path: `${server.watchPath('ns')}/one` });
    for (let i = 0; i < 3; i++) await get();
    expect(built).toBe(1);
    nowMs = 10_000;
    await get();
    expect(built).toBe(2);
    // A token rejected while reused (it rotated): retried once with freshly applied credentials.
    server.replyNext(401, { kind: 'Status', code: 401, reason: 'Unauthorized' });
    await get();
    expect(built).toBe(3);
    expect(server.requests.slice(-6).map((r) => r.headers.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-1',
      'Bearer token-1',
      'Bearer token-2',
      'Bearer token-2',
      'Bearer token-3',
    ]);
    expect(used).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

describe('createWatch', () => {
  const watchOnce = (rest: ReturnType<typeof createKubeRest>, inactivityTimeoutMs?: number) => {
    const events: Array<[string, string | undefined]> = [];
    let resolveDone: (err: unknown) => void = () => {};
    const done = new Promise<unknown>((r) => {
      resolveDone = r;
    });
    const started = createWatch(rest, inactivityTimeoutMs === undefined ? {} : { inactivityTimeoutMs }).watch(
      server.watchPath('ns'),
      { resourceVersion: '0' },
      (phase, obj) => events.push([phase, (obj as { metadata?: { name?: string } }).metadata?.name]),
      (err) => resolveDone(err),
    );
    return { events, done, started };
  };

  it('delivers one event per line and ends once when aborted', async () => {
    server.create('ns', 'one');
    const { events, done, started } = watchOnce(createKubeRest(server.kc));
    const controller = await started;
    server.create('ns', 'two');
    await eventually(() => events.some((e) => e[1] === 'two'));
    expect(events.every(([phase]) => phase === 'ADDED')).toBe(true);
    controller.abort();
    expect(await done).toBeDefined();
  });

  it('ends with the HTTP status of a refused watch', async () => {
    server.misbehaveNextWatch('http500');
    const { done } = watchOnce(createKubeRest(server.kc));
    expect(await done).toMatchObject({ code: 500 });
  });

  it('ends with a TimeoutError when the stream stays silent past the inactivity timeout', async () => {
    server.misbehaveNextWatch('silent');
    const { done } = watchOnce(createKubeRest(server.kc), 200);
    expect(await done).toMatchObject({ name: 'TimeoutError' });
  });
});
