import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BackupClientOptions, createBackupClient } from './client.ts';
import { BackupApiError, type BackupApiErrorCode } from './errors.ts';
import { refusedUrl, startTestServer, type TestServer } from './test-server.ts';
import { buildQuery, expandPath, parseNodeUrl } from './transport.ts';

const auth = { username: 'Administrator', password: 'pw-secret-1' };

/** Runs a call and returns the BackupApiError it must throw. */
async function failure(p: Promise<unknown>): Promise<BackupApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof BackupApiError)) throw new Error(`expected BackupApiError, got ${String(err)}`);
  return err;
}

const servers: TestServer[] = [];
const clients: { close(): Promise<void> }[] = [];

async function server(): Promise<TestServer> {
  const s = await startTestServer();
  servers.push(s);
  return s;
}

/** A client whose backoff waits are recorded instead of slept. */
function client(urls: string[], extra: Partial<BackupClientOptions> = {}) {
  const delays: number[] = [];
  const c = createBackupClient({
    urls,
    auth,
    retry: { attempts: 3, baseMs: 100, maxMs: 1_000 },
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
    ...extra,
  });
  clients.push(c);
  return Object.assign(c, { delays });
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('error responses', () => {
  it.each<{ status: number; code: BackupApiErrorCode; retryable: boolean }>([
    { status: 400, code: 'BSVC_INVALID', retryable: false },
    { status: 401, code: 'BSVC_UNAUTHORIZED', retryable: false },
    { status: 403, code: 'BSVC_FORBIDDEN', retryable: false },
    { status: 404, code: 'BSVC_NOT_FOUND', retryable: false },
    { status: 409, code: 'BSVC_CONFLICT', retryable: true },
    { status: 500, code: 'BSVC_INTERNAL', retryable: true },
    { status: 502, code: 'BSVC_UNAVAILABLE', retryable: true },
    { status: 503, code: 'BSVC_UNAVAILABLE', retryable: true },
    { status: 504, code: 'BSVC_UNAVAILABLE', retryable: true },
    { status: 418, code: 'BSVC_HTTP_ERROR', retryable: false },
  ])('status $status with a service body → $code', async ({ status, code, retryable }) => {
    const s = await server();
    s.respond({ status, body: { status, msg: 'some text', extras: 'go error' } });
    const err = await failure(client([s.url]).createPlan('p1', { tasks: [] }));
    expect(err).toMatchObject({
      status,
      code,
      retryable,
      msg: 'some text',
      extras: 'go error',
      endpoint: 'POST /plan/{name}',
      node: s.url,
    });
    // A POST that reached the server is never repeated, whatever the status.
    expect(s.requests).toHaveLength(1);
  });

  it('parses the cbauth 403 body', async () => {
    const s = await server();
    s.respond({
      status: 403,
      body: {
        message: 'Forbidden. User needs one of the following permissions',
        permissions: ['cluster.backup!all'],
      },
    });
    const err = await failure(client([s.url]).getConfig());
    expect(err.code).toBe('BSVC_FORBIDDEN');
    expect(err.msg).toBe('Forbidden. User needs one of the following permissions');
    expect(err.permissions).toEqual(['cluster.backup!all']);
    // The message (what statuses and logs show) names the missing permission.
    expect(err.message).toBe(
      'GET /config: 403 Forbidden. User needs one of the following permissions: cluster.backup!all',
    );
  });

  it.each([
    { reason: 'plain-text unknown route', body: '404 Object Not Found', msg: '404 Object Not Found' },
    { reason: 'empty body', body: '', msg: 'HTTP 404' },
    { reason: 'JSON without msg', body: { error: 'x' }, msg: '{"error":"x"}' },
  ])('non-service 404 body ($reason) does not crash', async ({ body, msg }) => {
    const s = await server();
    s.respond({ status: 404, body });
    const err = await failure(client([s.url]).getPlan('nope'));
    expect(err.code).toBe('BSVC_NOT_FOUND');
    expect(err.msg).toBe(msg);
  });

  it('401 is not retried even for GET', async () => {
    const s = await server();
    s.respond({ status: 401, body: '' });
    const c = client([s.url]);
    const err = await failure(c.listPlans());
    expect(err.code).toBe('BSVC_UNAUTHORIZED');
    expect(s.requests).toHaveLength(1);
    expect(c.delays).toEqual([]);
  });

  it('never puts credentials into errors', async () => {
    const s = await server();
    s.respond({ status: 500, body: { status: 500, msg: 'boom' } });
    const err = await failure(client([s.url]).getConfig());
    const dump = `${err.message} ${err.stack} ${JSON.stringify(err)}`;
    expect(dump).not.toContain(auth.password);
    expect(dump).not.toContain(Buffer.from(`${auth.username}:${auth.password}`).toString('base64'));
  });
});

describe('retries', () => {
  it('retries GET on 503 with full-jitter exponential backoff', async () => {
    const s = await server();
    s.respond([{ status: 503, body: '' }, { status: 503, body: '' }, { body: { history_rotation_size: 7 } }]);
    const c = client([s.url]);
    await expect(c.getConfig()).resolves.toEqual({ history_rotation_size: 7 });
    expect(s.requests).toHaveLength(3);
    // random 0.5 × windows of 100 and 200 ms.
    expect(c.delays).toEqual([50, 100]);
  });

  it('gives up after the configured attempts', async () => {
    const s = await server();
    s.respond({ status: 503, body: { status: 503, msg: 'leader unavailable' } });
    const c = client([s.url], { retry: { attempts: 4, baseMs: 10, maxMs: 20 } });
    const err = await failure(c.getConfig());
    expect(err.code).toBe('BSVC_UNAVAILABLE');
    expect(s.requests).toHaveLength(4);
    expect(c.delays).toEqual([5, 10, 10]);
  });

  it('retries GET after a connection reset', async () => {
    const s = await server();
    s.respond([{ destroy: true }, { body: [] }]);
    await expect(client([s.url]).listPlans()).resolves.toEqual([]);
    expect(s.requests).toHaveLength(2);
  });

  it('does not retry POST /backup on 503 after sending', async () => {
    const s = await server();
    s.respond({ status: 503, body: '' });
    const c = client([s.url]);
    const err = await failure(c.backup('repo1', { full: true }));
    expect(err.code).toBe('BSVC_UNAVAILABLE');
    expect(s.requests).toHaveLength(1);
    expect(c.delays).toEqual([]);
  });

  it('does not retry or fail over POST /restore after a reset', async () => {
    const [a, b] = [await server(), await server()];
    a.respond({ destroy: true });
    const err = await failure(
      client([a.url, b.url]).restore('active', 'r', { target: 'http://h:8091', user: 'u', password: 'p' }),
    );
    expect(err.code).toBe('BSVC_CONNECTION');
    expect(err.status).toBe(0);
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(0);
  });

  it('retries a POST whose connection was refused on every node, then reports BSVC_CONNECTION', async () => {
    const c = client([await refusedUrl()], { retry: { attempts: 2, baseMs: 10, maxMs: 10 } });
    const err = await failure(c.backup('repo1'));
    expect(err.code).toBe('BSVC_CONNECTION');
    expect(err.retryable).toBe(true);
    expect(c.delays).toHaveLength(1);
  });
});

describe('failover', () => {
  it('moves to the second node when the first refuses connections, and remembers it', async () => {
    const refused = await refusedUrl();
    const s = await server();
    s.respond({ body: [] });
    const c = client([refused, s.url]);
    await c.listPlans();
    expect(c.activeNode()).toBe(s.url);
    expect(c.delays).toEqual([]);
    await c.listPlans();
    expect(s.requests).toHaveLength(2);
  });

  it('sends a trigger to the second node when the first refused (nothing was sent)', async () => {
    const s = await server();
    s.respond({ body: { task_name: 'BACKUP-1' } });
    await expect(client([await refusedUrl(), s.url]).backup('repo1')).resolves.toEqual({
      task_name: 'BACKUP-1',
    });
    expect(s.requests).toHaveLength(1);
  });

  it('fails a GET over to the next node on 503 and prefers that node afterwards', async () => {
    const [a, b] = [await server(), await server()];
    a.respond({ status: 503, body: '' });
    b.respond({ body: { history_rotation_size: 50 } });
    const c = client([a.url, b.url]);
    await c.getConfig();
    await c.getConfig();
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(2);
    expect(c.delays).toEqual([]);
  });

  it('does not fail a POST over on 503', async () => {
    const [a, b] = [await server(), await server()];
    a.respond({ status: 503, body: '' });
    const err = await failure(client([a.url, b.url]).merge('repo1'));
    expect(err.code).toBe('BSVC_UNAVAILABLE');
    expect(b.requests).toHaveLength(0);
  });
});

describe('timeouts and cancellation', () => {
  it('times out a slow GET with BSVC_TIMEOUT', async () => {
    const s = await server();
    s.respond({ delayMs: 1_000, body: [] });
    const c = client([s.url], { timeoutMs: 100, retry: { attempts: 1 } });
    const started = Date.now();
    const err = await failure(c.listPlans());
    expect(err.code).toBe('BSVC_TIMEOUT');
    expect(err.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('retries a timed-out GET but not a timed-out POST', async () => {
    const s = await server();
    s.respond({ delayMs: 400, body: {} });
    const c = client([s.url], { timeoutMs: 80, retry: { attempts: 2, baseMs: 1, maxMs: 1 } });
    expect((await failure(c.listPlans())).code).toBe('BSVC_TIMEOUT');
    expect(s.requests).toHaveLength(2);
    s.requests.length = 0;
    expect((await failure(c.prune('repo1'))).code).toBe('BSVC_TIMEOUT');
    expect(s.requests).toHaveLength(1);
  });

  it('reports a caller abort as BSVC_ABORTED without retrying', async () => {
    const s = await server();
    s.respond({ delayMs: 1_000, body: [] });
    const c = client([s.url]);
    const err = await failure(c.listPlans({ signal: AbortSignal.timeout(50) }));
    expect(err.code).toBe('BSVC_ABORTED');
    expect(s.requests).toHaveLength(1);
  });
});

describe('retry waits', () => {
  it('stops waiting between retries when the caller aborts', async () => {
    const s = await server();
    s.respond({ status: 503, body: '' });
    const c = createBackupClient({
      urls: [s.url],
      auth,
      retry: { attempts: 3, baseMs: 10_000, maxMs: 10_000 },
      random: () => 0.99,
    });
    clients.push(c);
    const started = Date.now();
    const err = await failure(c.getConfig({ signal: AbortSignal.timeout(100) }));
    expect(err.code).toBe('BSVC_ABORTED');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(s.requests).toHaveLength(1);
  });
});

describe('configuration', () => {
  it.each([
    ['credentials in the URL', 'http://u:p@127.0.0.1:8097'],
    ['a non-HTTP scheme', 'ftp://127.0.0.1'],
    ['a relative URL', '/api/v1'],
  ])('rejects %s', (_reason, url) => {
    expect(() => createBackupClient({ urls: [url], auth })).toThrow(TypeError);
  });

  it('rejects an empty URL list', () => {
    expect(() => createBackupClient({ urls: [], auth })).toThrow(TypeError);
  });

  it.each([
    ['http://h:8097', { origin: 'http://h:8097', basePath: '' }],
    ['https://h:18097/', { origin: 'https://h:18097', basePath: '' }],
    ['http://h:8091/_p/backup', { origin: 'http://h:8091', basePath: '/_p/backup' }],
    ['http://h:8091/_p/backup/api/v1/', { origin: 'http://h:8091', basePath: '/_p/backup' }],
  ])('parses %s', (url, expected) => {
    expect(parseNodeUrl(url)).toEqual(expected);
  });

  it('encodes path parameters and queries', () => {
    expect(expandPath('/a/{x}/b/{y}', { x: 'a+b:c', y: 'ü/ß' })).toBe('/a/a%2Bb%3Ac/b/%C3%BC%2F%C3%9F');
    expect(buildQuery({ a: '+01:00', b: undefined, c: 0, d: false })).toBe('?a=%2B01%3A00&c=0&d=false');
    expect(buildQuery({ b: undefined })).toBe('');
  });

  it('uses an injected dispatcher and leaves it open on close', async () => {
    const s = await server();
    s.respond({ body: [] });
    const agent = new Agent();
    const c = createBackupClient({ urls: [s.url], auth, dispatcher: agent });
    await c.listPlans();
    await c.close();
    expect(agent.closed).toBe(false);
    await agent.close();
    expect(s.requests).toHaveLength(1);
  });
});

describe('TLS', () => {
  let dir: string;
  const pem: Record<string, string> = {};

  beforeAll(() => {
    // node:crypto cannot issue X.509 certificates; openssl is required and its absence fails the suite.
    dir = mkdtempSync(join(tmpdir(), 'backup-api-tls-'));
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=test-ca');
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
    writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    for (const name of ['server', 'client']) {
      run('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      run(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '1',
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.crt`,
      );
    }
    for (const f of ['ca.crt', 'server.key', 'server.crt', 'client.key', 'client.crt']) {
      pem[f] = readFileSync(join(dir, f), 'utf8');
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function tlsServer(requestCert = false) {
    const s = await startTestServer({
      tls: { key: pem['server.key']!, cert: pem['server.crt']!, ca: pem['ca.crt']!, requestCert },
    });
    servers.push(s);
    s.respond({ body: { history_rotation_size: 50 } });
    return s;
  }

  it('trusts a server signed by the configured CA', async () => {
    const s = await tlsServer();
    const c = client([s.url], { tls: { ca: pem['ca.crt']! } });
    await expect(c.getConfig()).resolves.toEqual({ history_rotation_size: 50 });
  });

  it('fails with BSVC_TLS without the CA and does not retry', async () => {
    const s = await tlsServer();
    const c = client([s.url]);
    const err = await failure(c.getConfig());
    expect(err.code).toBe('BSVC_TLS');
    expect(err.retryable).toBe(false);
    expect(c.delays).toEqual([]);
    expect(s.requests).toHaveLength(0);
  });

  it('accepts any certificate with rejectUnauthorized: false', async () => {
    const s = await tlsServer();
    await expect(client([s.url], { tls: { rejectUnauthorized: false } }).getConfig()).resolves.toBeDefined();
  });

  it('presents a client certificate when given cert and key', async () => {
    const s = await tlsServer(true);
    const withCert = client([s.url], {
      tls: { ca: pem['ca.crt']!, cert: pem['client.crt']!, key: pem['client.key']! },
    });
    await expect(withCert.getConfig()).resolves.toEqual({ history_rotation_size: 50 });
    const without = client([s.url], { tls: { ca: pem['ca.crt']! }, retry: { attempts: 1 } });
    await expect(without.getConfig()).rejects.toBeInstanceOf(BackupApiError);
  });
});

describe('attempt observer', () => {
  it('sees every attempt with its endpoint template and outcome, and cannot break a call', async () => {
    const s = await server();
    s.respond([
      { status: 503, body: { status: 503, msg: 'busy' } },
      { status: 200, body: [] },
    ]);
    const seen: { endpoint: string; outcome: string }[] = [];
    const c = client([s.url], {
      onAttempt: (a) => {
        seen.push({ endpoint: a.endpoint, outcome: a.outcome });
        throw new Error('observer bug');
      },
    });
    await expect(c.listPlans()).resolves.toEqual([]);
    expect(seen).toEqual([
      { endpoint: 'GET /plan', outcome: 'BSVC_UNAVAILABLE' },
      { endpoint: 'GET /plan', outcome: 'OK' },
    ]);
  });
});
