import { ApiException, CustomObjectsApi, Watch } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startTestApiServer,
  type TestApiServer,
  type TestObject,
} from '../../../test/support/scripted-apiserver.ts';
import { isConflict, kubeStatus } from './errors.ts';
import {
  createApiFactory,
  createCustomResourceClient,
  createWatch,
  withSharedDispatcher,
} from './kube-client.ts';

let server: TestApiServer;
beforeEach(async () => {
  server = await startTestApiServer();
});
afterEach(async () => {
  await server.close();
});

const client = (requestTimeoutMs?: number) =>
  createCustomResourceClient<TestObject>(
    createApiFactory(server.kc, requestTimeoutMs === undefined ? {} : { requestTimeoutMs }).makeApiClient(
      CustomObjectsApi,
    ),
    server,
  );

describe('createApiFactory', () => {
  it('aborts a request the server never answers', async () => {
    server.create('ns', 'one');
    server.hangNext();
    const started = Date.now();
    await expect(client(100).get('ns', 'one')).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('client-node 2.x ApiException carries a numeric code and the Status JSON as a string body', async () => {
    server.replyNext(409, { kind: 'Status', code: 409, reason: 'Conflict', message: 'stale' });
    const err = await client()
      .list('ns')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<unknown>).code).toBe(409);
    expect(typeof (err as ApiException<unknown>).body).toBe('string');
    expect(isConflict(err)).toBe(true);
    expect(kubeStatus(err)).toMatchObject({ reason: 'Conflict', message: 'stale' });
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

  it('without explicit options client-node sends json-patch+json for a merge body (why the wrapper exists)', async () => {
    server.create('ns', 'one');
    const raw = server.kc.makeApiClient(CustomObjectsApi);
    await raw
      .patchNamespacedCustomObjectStatus({
        ...server,
        namespace: 'ns',
        name: 'one',
        body: { status: { a: 1 } },
      })
      .catch(() => undefined);
    expect(server.requests.at(-1)?.headers['content-type']).toBe('application/json-patch+json');
  });
});

describe('createWatch', () => {
  it('raises client-node’s private watch inactivity timeout (fails if the field disappears)', () => {
    const defaults = new Watch(server.kc) as unknown as { requestTimeoutMs: number };
    expect(defaults.requestTimeoutMs).toBe(30_000);
    expect(
      (createWatch(server.kc, { inactivityTimeoutMs: 123_000 }) as unknown as { requestTimeoutMs: number })
        .requestTimeoutMs,
    ).toBe(123_000);
  });
});

describe('withSharedDispatcher', () => {
  it('hands every request the first dispatcher, with the headers applied each time', async () => {
    let built = 0;
    const kc = {
      getName: () => 'kubeconfig authentication',
      async applySecurityAuthentication(ctx: {
        setHeaderParam(k: string, v: string): void;
        setDispatcher(d: unknown): void;
      }) {
        built++;
        ctx.setHeaderParam('Authorization', `Bearer token-${built}`);
        ctx.setDispatcher({ agent: built });
      },
    };
    const auth = withSharedDispatcher(kc as never);
    const contexts = [1, 2, 3].map(() => {
      const headers: Record<string, string> = {};
      let dispatcher: unknown;
      return {
        headers,
        setHeaderParam: (k: string, v: string) => {
          headers[k] = v;
        },
        setDispatcher: (d: unknown) => {
          dispatcher = d;
        },
        getDispatcher: () => dispatcher,
      };
    });
    for (const ctx of contexts) await auth.applySecurityAuthentication(ctx as never);
    expect(contexts.map((c) => c.getDispatcher())).toEqual([{ agent: 1 }, { agent: 1 }, { agent: 1 }]);
    expect(contexts.map((c) => c.headers.Authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-2',
      'Bearer token-3',
    ]);
    expect(auth.getName()).toBe('kubeconfig authentication');
  });
});
