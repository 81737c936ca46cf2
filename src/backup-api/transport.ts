import { setTimeout as delay } from 'node:timers/promises';
import { type Dispatcher, Pool } from 'undici';
import type { z } from 'zod';
import { deadline } from '../platform/deadline.ts';
import { DEFAULT_RETRY, fullJitterDelay, type RetryOptions } from './backoff.ts';
import {
  BACKUP_API_ERROR_CODES,
  BackupApiError,
  classifyTransportError,
  errorFromResponse,
  tryParseJson,
} from './errors.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** TLS settings for `https://` node URLs (ignored when a dispatcher is injected). */
export interface TlsOptions {
  /** PEM CA bundle that signed the service certificate (Couchbase's cluster CA). */
  ca?: string | Buffer;
  /** PEM client certificate and key, for clusters that accept certificate authentication. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** @default true */
  rejectUnauthorized?: boolean;
}

export interface TransportOptions {
  /**
   * One or more node base URLs: `http://host:8097`, `https://host:18097` or the cluster-manager proxy
   * `http://host:8091/_p/backup`. `/api/v1` is appended. Must not carry credentials.
   */
  urls: readonly string[];
  auth: { username: string; password: string };
  /** Path between a node's base URL and a request path. @default '/api/v1' ('' for the cluster manager) */
  apiPrefix?: string;
  tls?: TlsOptions;
  /** Per attempt, from sending until the body is read. @default 10_000 */
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  /** Used for every node instead of per-node pools (tests, proxies); its lifecycle stays with the caller. */
  dispatcher?: Dispatcher;
  /** Waits between retries; injectable so tests can observe delays. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /** Observes every attempt (metrics); must not throw. */
  onAttempt?: (attempt: AttemptInfo) => void;
}

/** One HTTP attempt as {@link TransportOptions.onAttempt} sees it. */
export interface AttemptInfo {
  /** Method and path template, e.g. `GET /cluster/self`. */
  endpoint: string;
  /** `OK`, or the error code of the failed attempt (e.g. `BSVC_UNAVAILABLE`). */
  outcome: string;
  durationMs: number;
}

/** One API call, described declaratively so retry and failover policy live in one place. */
export interface RequestSpec<T> {
  method: HttpMethod;
  /** Path template below `/api/v1`, e.g. `/plan/{name}`; also names the endpoint in errors. */
  path: string;
  params?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON body; POST/PUT/PATCH always send one (`{}` when omitted) because the service rejects a missing body. */
  body?: unknown;
  /** Response schema; omit for calls whose success body is empty or irrelevant. */
  schema?: z.ZodType<T>;
  /** Turns the body text into the value the schema checks. @default JSON, empty body → undefined */
  decode?: (text: string) => unknown;
  signal?: AbortSignal | undefined;
}

/** Per-call options every client method accepts. */
export interface CallOptions {
  /** Aborts the call (including retry waits); the error is `BSVC_ABORTED`. */
  signal?: AbortSignal | undefined;
}

/** Sends requests to the configured nodes with timeouts, retries and failover. */
export interface Transport {
  request<T>(spec: RequestSpec<T> & { schema: z.ZodType<T> }): Promise<T>;
  request(spec: RequestSpec<unknown> & { schema?: undefined }): Promise<void>;
  /** Base URL of the node that served the last successful call (or the first node). */
  activeNode(): string;
  /** Closes the pools this transport created. */
  close(): Promise<void>;
}

interface Node {
  origin: string;
  basePath: string;
  label: string;
  dispatcher: Dispatcher;
}

/** What the retry loop may do after a failed attempt. */
interface Failure {
  error: BackupApiError;
  tryOtherNode: boolean;
  retryLater: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;
// Short idle keep-alive (undici's default): a POST on a socket the server already closed fails as
// "maybe sent" and is not retried, so stale sockets must be rare.
const KEEP_ALIVE_MS = 4_000;
const C = BACKUP_API_ERROR_CODES;

/**
 * Creates the HTTP transport.
 *
 * Guarantees:
 * - Only GET is ever repeated after a request may have reached a server. Other methods are repeated
 *   (on the same or another node) only when the connection failed before anything was sent.
 * - Failover to the next node on connection failures and 502/503/504 (idempotent calls), or on
 *   refused/unresolvable connections (all calls). A node that answered becomes the first one tried.
 * - Every failure surfaces as a `BackupApiError`; credentials never appear in errors.
 */
export function createTransport(opts: TransportOptions): Transport {
  if (opts.urls.length === 0) throw new TypeError('createBackupClient: at least one node URL is required');
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const apiPrefix = opts.apiPrefix ?? '/api/v1';
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...opts.retry };
  const sleep = opts.sleep ?? ((ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal }));
  const random = opts.random ?? Math.random;
  const authorization = `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64')}`;
  const ownedPools: Pool[] = [];
  const nodes: Node[] = opts.urls.map((raw) => {
    const { origin, basePath } = parseNodeUrl(raw);
    let dispatcher = opts.dispatcher;
    if (dispatcher === undefined) {
      const pool = new Pool(origin, {
        keepAliveTimeout: KEEP_ALIVE_MS,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        connect: { timeout: timeoutMs, ...tlsConnectOptions(opts.tls) },
      });
      ownedPools.push(pool);
      dispatcher = pool;
    }
    return { origin, basePath, label: `${origin}${basePath}`, dispatcher };
  });
  // The index of the node that answered last; per client instance, never module-level.
  let preferred = 0;

  async function attempt<T>(
    node: Node,
    spec: RequestSpec<T>,
    target: string,
  ): Promise<{ value: T } | Failure> {
    if (!opts.onAttempt) return attemptOnce(node, spec, target);
    const started = performance.now();
    const result = await attemptOnce(node, spec, target);
    const failed = 'error' in result ? result.error : undefined;
    try {
      opts.onAttempt({
        endpoint: `${spec.method} ${spec.path}`,
        outcome: failed ? failed.code : 'OK',
        durationMs: performance.now() - started,
      });
    } catch {
      // An observer must never break a request.
    }
    return result;
  }

  async function attemptOnce<T>(
    node: Node,
    spec: RequestSpec<T>,
    target: string,
  ): Promise<{ value: T } | Failure> {
    const endpoint = `${spec.method} ${spec.path}`;
    const idempotent = spec.method === 'GET';
    const timeout = deadline(timeoutMs, spec.signal);
    const { signal } = timeout;
    const hasBody = spec.method === 'POST' || spec.method === 'PUT' || spec.method === 'PATCH';
    const headers: Record<string, string> = { authorization, accept: 'application/json' };
    if (hasBody) headers['content-type'] = 'application/json';
    let status: number;
    let text: string;
    try {
      const res = await node.dispatcher.request({
        origin: node.origin,
        path: `${node.basePath}${apiPrefix}${target}`,
        method: spec.method,
        headers,
        body: hasBody ? JSON.stringify(spec.body ?? {}) : null,
        signal,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (cause) {
      timeout.dispose();
      const base = { status: 0, endpoint, node: node.label, cause };
      if (spec.signal?.aborted) {
        const error = new BackupApiError({ ...base, code: C.aborted, msg: 'request aborted by caller' });
        return { error, tryOtherNode: false, retryLater: false };
      }
      if (timeout.timedOut()) {
        const error = new BackupApiError({
          ...base,
          code: C.timeout,
          msg: `no complete response within ${timeoutMs} ms`,
        });
        return { error, tryOtherNode: idempotent, retryLater: idempotent };
      }
      const failure = classifyTransportError(cause);
      const msg = failure.notSent ? 'connection failed before the request was sent' : 'connection failed';
      const error = new BackupApiError({ ...base, code: failure.code, msg });
      if (failure.code === C.tls) return { error, tryOtherNode: true, retryLater: false };
      const safe = idempotent || failure.notSent;
      return { error, tryOtherNode: safe, retryLater: safe };
    }
    timeout.dispose();
    if (status < 200 || status > 299) {
      const error = errorFromResponse({ status, endpoint, bodyText: text, node: node.label });
      const unavailable = error.code === C.unavailable && idempotent;
      return { error, tryOtherNode: unavailable, retryLater: unavailable };
    }
    if (spec.schema === undefined) return { value: undefined as T };
    return parseBody(spec, text, status, node.label);
  }

  async function request<T>(spec: RequestSpec<T>): Promise<T | undefined> {
    // Built before any I/O so a bad parameter is a programming error, not a transport failure.
    const target = `${expandPath(spec.path, spec.params)}${buildQuery(spec.query)}`;
    let last: Failure | undefined;
    for (let round = 0; round < Math.max(1, retry.attempts); round++) {
      if (round > 0) {
        try {
          await sleep(fullJitterDelay(round - 1, retry, random), spec.signal);
        } catch (cause) {
          throw new BackupApiError({
            code: C.aborted,
            status: 0,
            endpoint: `${spec.method} ${spec.path}`,
            msg: 'request aborted by caller',
            cause,
          });
        }
      }
      let retryRound = true;
      const start = preferred;
      for (let i = 0; i < nodes.length; i++) {
        const index = (start + i) % nodes.length;
        const outcome = await attempt(nodes[index] as Node, spec, target);
        if ('value' in outcome) {
          preferred = index;
          return outcome.value;
        }
        last = outcome;
        retryRound &&= outcome.retryLater;
        if (!outcome.tryOtherNode) throw outcome.error;
      }
      if (!retryRound) break;
    }
    throw (last as Failure).error;
  }

  return {
    request: request as Transport['request'],
    activeNode: () => (nodes[preferred] as Node).label,
    close: async () => {
      await Promise.all(ownedPools.map((p) => p.close()));
    },
  };
}

function parseBody<T>(
  spec: RequestSpec<T>,
  text: string,
  status: number,
  node: string,
): { value: T } | Failure {
  const endpoint = `${spec.method} ${spec.path}`;
  const bad = (msg: string, cause?: unknown) => ({
    error: new BackupApiError({ code: C.badResponse, status, endpoint, node, msg, cause }),
    tryOtherNode: false,
    retryLater: false,
  });
  let decoded: unknown;
  try {
    decoded = (spec.decode ?? decodeJson)(text);
  } catch (cause) {
    return bad('response body is not valid JSON', cause);
  }
  const parsed = (spec.schema as z.ZodType<T>).safeParse(decoded);
  if (parsed.success) return { value: parsed.data };
  // Paths and zod messages only: the values may hold data we should not copy into logs.
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  return bad(`unexpected response shape: ${issues}`, parsed.error);
}

function decodeJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  const value = tryParseJson(text);
  if (value === undefined) throw new SyntaxError('invalid JSON');
  return value;
}

/** Splits a node URL into origin and path prefix; rejects credentials in the URL. */
export function parseNodeUrl(raw: string): { origin: string; basePath: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError('createBackupClient: a node URL is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`createBackupClient: unsupported protocol ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError('createBackupClient: node URLs must not carry credentials; use the auth option');
  }
  // Accept URLs that already end in /api/v1 rather than sending /api/v1/api/v1.
  const basePath = url.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  return { origin: url.origin, basePath };
}

/** Fills `{param}` placeholders with percent-encoded values (backup names contain `+` and `:`). */
export function expandPath(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = params[name];
    // An empty or dot segment would silently address another route (e.g. DELETE /plan/ → 404 "gone").
    if (value === undefined || value === '' || value === '.' || value === '..') {
      throw new TypeError(`backup-api: path parameter '${name}' must be a non-empty name`);
    }
    return encodeURIComponent(value);
  });
}

/** Builds `?k=v&…` with encodeURIComponent so `+` in timestamps arrives as `%2B`, not a space. */
export function buildQuery(query: RequestSpec<unknown>['query']): string {
  if (query === undefined) return '';
  const parts = Object.entries(query)
    .filter((e): e is [string, string | number | boolean] => e[1] !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

function tlsConnectOptions(tls: TlsOptions | undefined): Record<string, unknown> {
  if (tls === undefined) return {};
  const out: Record<string, unknown> = {};
  if (tls.ca !== undefined) out.ca = tls.ca;
  if (tls.cert !== undefined) out.cert = tls.cert;
  if (tls.key !== undefined) out.key = tls.key;
  if (tls.rejectUnauthorized !== undefined) out.rejectUnauthorized = tls.rejectUnauthorized;
  return out;
}
