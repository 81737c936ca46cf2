import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

/** A minimal object as the test API server stores it. */
export interface TestObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    resourceVersion?: string;
    generation?: number;
    finalizers?: string[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** How the next watch request is answered. */
export type WatchMisbehaviour = 'http410' | 'error410' | 'silent' | 'http500';

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

const GROUP_PATH = '/apis/test.cbbs.dev/v1';
const PLURAL = 'things';

/**
 * A scripted list+watch API server for one custom resource on 127.0.0.1 (test helper). It keeps an
 * event history so watches can resume from a resourceVersion, and misbehaves on command.
 */
export async function startTestApiServer() {
  const objects = new Map<string, TestObject>();
  const history: Array<{ rv: number; type: string; object: TestObject }> = [];
  const streams = new Set<{ namespace: string | undefined; res: ServerResponse }>();
  const requests: Recorded[] = [];
  const nextWatch: WatchMisbehaviour[] = [];
  const nextReply: Array<{ status: number; body: unknown }> = [];
  let rv = 100;
  let hangNext = 0;
  let compactedBelow = 0;

  const inNs = (o: TestObject, ns: string | undefined) => ns === undefined || o.metadata.namespace === ns;
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const statusBody = (code: number, reason: string) => ({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code,
    reason,
    message: `test server: ${reason}`,
  });

  const record = (type: string, object: TestObject) => {
    rv++;
    const stored = structuredClone({
      ...object,
      metadata: { ...object.metadata, resourceVersion: String(rv) },
    });
    if (type === 'DELETED') objects.delete(`${object.metadata.namespace}/${object.metadata.name}`);
    else objects.set(`${object.metadata.namespace}/${object.metadata.name}`, stored);
    history.push({ rv, type, object: stored });
    for (const s of streams)
      if (inNs(stored, s.namespace)) s.res.write(`${JSON.stringify({ type, object: stored })}\n`);
    return stored;
  };

  const handleOne = (
    req: IncomingMessage,
    res: ServerResponse,
    key: string,
    status: boolean,
    body: string,
  ) => {
    const current = objects.get(key);
    if (!current) return send(res, 404, statusBody(404, 'NotFound'));
    if (req.method === 'GET') return send(res, 200, current);
    if (req.method !== 'PATCH') return send(res, 405, statusBody(405, 'MethodNotAllowed'));
    const type = req.headers['content-type'];
    const patch: unknown = JSON.parse(body);
    let next: TestObject;
    if (type === 'application/merge-patch+json') {
      const p = patch as Partial<TestObject>;
      next = status
        ? { ...current, status: mergePatch(current.status, p.status) as Record<string, unknown> }
        : (mergePatch(current, { ...p, status: undefined }) as TestObject);
      const wantRv = p.metadata?.resourceVersion;
      if (wantRv !== undefined && wantRv !== current.metadata.resourceVersion)
        return send(res, 409, statusBody(409, 'Conflict'));
    } else if (type === 'application/json-patch+json' && !status) {
      try {
        next = applyJsonPatch(current, patch as JsonOp[]);
      } catch {
        return send(res, 422, statusBody(422, 'Invalid'));
      }
    } else {
      return send(res, 415, statusBody(415, 'UnsupportedMediaType'));
    }
    return send(res, 200, record('MODIFIED', next));
  };

  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      });
      if (hangNext > 0) {
        hangNext--;
        return; // never answer: only a client timeout ends this request
      }
      const reply = nextReply.shift();
      if (reply) return send(res, reply.status, reply.body);
      const one = url.pathname.match(
        /^\/apis\/test\.cbbs\.dev\/v1\/namespaces\/([^/]+)\/things\/([^/]+)(\/status)?$/,
      );
      if (one) return handleOne(req, res, `${one[1]}/${one[2]}`, one[3] !== undefined, body);
      const m = url.pathname.match(/^\/apis\/test\.cbbs\.dev\/v1\/(?:namespaces\/([^/]+)\/)?things$/);
      if (!m) return send(res, 404, statusBody(404, 'NotFound'));
      const ns = m[1];
      if (url.searchParams.get('watch') !== 'true') {
        const items = [...objects.values()].filter((o) => inNs(o, ns));
        return send(res, 200, {
          apiVersion: 'test.cbbs.dev/v1',
          kind: 'ThingList',
          metadata: { resourceVersion: String(rv) },
          items,
        });
      }
      const from = Number(url.searchParams.get('resourceVersion') ?? rv);
      const mis = nextWatch.shift();
      if (mis === 'http410' || (from < compactedBelow && mis === undefined))
        return send(res, 410, statusBody(410, 'Expired'));
      if (mis === 'http500') return send(res, 500, statusBody(500, 'InternalError'));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      if (mis === 'silent') return; // headers sent, then nothing: only a watchdog notices
      if (mis === 'error410') {
        res.write(`${JSON.stringify({ type: 'ERROR', object: statusBody(410, 'Expired') })}\n`);
        return;
      }
      for (const e of history)
        if (e.rv > from && inNs(e.object, ns))
          res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
      const stream = { namespace: ns, res };
      streams.add(stream);
      res.on('close', () => streams.delete(stream));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: url, skipTLSVerify: true }],
    users: [{ name: 'test', token: 'test-token' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
    currentContext: 'test',
  });

  const thing = (namespace: string, name: string, spec: Record<string, unknown> = {}): TestObject => ({
    apiVersion: 'test.cbbs.dev/v1',
    kind: 'Thing',
    metadata: { name, namespace },
    spec,
  });

  return {
    url,
    kc,
    group: 'test.cbbs.dev',
    version: 'v1',
    plural: PLURAL,
    requests,
    watchPath: (ns: string | undefined) =>
      ns ? `${GROUP_PATH}/namespaces/${ns}/${PLURAL}` : `${GROUP_PATH}/${PLURAL}`,
    create: (ns: string, name: string, spec?: Record<string, unknown>) =>
      record('ADDED', thing(ns, name, spec)),
    update: (ns: string, name: string, spec: Record<string, unknown>) =>
      record('MODIFIED', thing(ns, name, spec)),
    remove: (ns: string, name: string) => record('DELETED', objects.get(`${ns}/${name}`) ?? thing(ns, name)),
    /** Objects as the server holds them, keyed `ns/name` → spec. */
    snapshot: () => Object.fromEntries([...objects].map(([k, o]) => [k, o.spec])),
    /** Forget history so that watches from an older resourceVersion get 410. */
    compact: () => {
      compactedBelow = rv;
    },
    /** Cuts every open watch connection mid-stream (no clean end of the chunked response). */
    dropWatches: () => {
      for (const s of [...streams]) {
        streams.delete(s);
        s.res.socket?.destroy();
      }
    },
    /** Ends every open watch cleanly, as the apiserver does at timeoutSeconds. */
    endWatches: () => {
      for (const s of [...streams]) {
        streams.delete(s);
        s.res.end();
      }
    },
    openWatches: () => streams.size,
    /** Leaves the next `n` requests unanswered. */
    hangNext: (n = 1) => {
      hangNext += n;
    },
    get: (ns: string, name: string) => objects.get(`${ns}/${name}`),
    misbehaveNextWatch: (m: WatchMisbehaviour) => nextWatch.push(m),
    /** Answers the next request (of any kind) with this status and body. */
    replyNext: (status: number, body: unknown) => nextReply.push({ status, body }),
    close: async () => {
      for (const s of streams) s.res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

type JsonOp = { op: string; path: string; value?: unknown };

// RFC 7386 merge: null deletes, objects merge recursively, everything else replaces.
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (v !== undefined) out[k] = mergePatch(out[k], v);
  }
  return out;
}

// Enough of RFC 6902 for finalizer patches: test, add (incl. "-"), remove on objects and arrays.
function applyJsonPatch<T>(doc: T, ops: JsonOp[]): T {
  const root = structuredClone(doc) as unknown as Record<string, unknown>;
  for (const op of ops) {
    const parts = op.path
      .split('/')
      .slice(1)
      .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = parts.pop()!;
    let parent: Record<string, unknown> | unknown[] = root;
    for (const p of parts) parent = (parent as Record<string, unknown>)[p] as Record<string, unknown>;
    if (parent === undefined) throw new Error(`no parent for ${op.path}`);
    const get = () =>
      Array.isArray(parent) ? parent[Number(last)] : (parent as Record<string, unknown>)[last];
    if (op.op === 'test') {
      if (JSON.stringify(get() ?? null) !== JSON.stringify(op.value ?? null)) throw new Error('test failed');
    } else if (op.op === 'add') {
      if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, op.value);
      else parent[last] = op.value;
    } else if (op.op === 'remove') {
      if (get() === undefined) throw new Error('nothing to remove');
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else throw new Error(`unsupported op ${op.op}`);
  }
  return root as unknown as T;
}

export type TestApiServer = Awaited<ReturnType<typeof startTestApiServer>>;
