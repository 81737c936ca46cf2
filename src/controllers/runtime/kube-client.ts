import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { type Dispatcher, getGlobalDispatcher } from 'undici';
import { deadline } from '../../platform/deadline.ts';
import { isNotFound } from './errors.ts';

/**
 * The Kubernetes REST calls the operator makes, over undici, with client-node's KubeConfig for
 * loading and authentication only.
 *
 * Why not client-node's generated API classes: importing them loads about 700 model and 60 API
 * modules, whose source text and compiled code held about 80 MB of the operator's RSS (a heap
 * snapshot at 50 repositories: 21 MB of module source strings alone, docs/scale.md). The operator
 * uses a dozen calls of five resources; those are below. The image's bundle (scripts/bundle.ts)
 * then leaves the generated modules out.
 */

/** Options for {@link createKubeRest}. */
export interface KubeRestOptions {
  /** Abort every non-watch request after this long; 30 s unless told. */
  requestTimeoutMs?: number;
  userAgent?: string;
  /** How long applied credentials are reused; {@link CREDENTIALS_REUSE_MS} unless told. */
  credentialsReuseMs?: number;
  /** The clock of that reuse (tests). */
  now?: () => number;
}

/**
 * How long the credentials client-node applied are reused before it is asked again. Applying them
 * reads the CA, certificate and key files synchronously and builds an undici Agent each time (the
 * operator keeps only the first): per request, that was most of the operator's CPU per status
 * write in a cold sync. Tokens that rotate are re-read within this time (client-node itself
 * re-reads a token file at most once a minute), and a 401 on reused credentials is retried once
 * with fresh ones.
 */
export const CREDENTIALS_REUSE_MS = 10_000;

/** One Kubernetes API request. */
export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the server URL, e.g. `/api/v1/namespaces/ns/secrets/name`. */
  path: string;
  query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Sent as JSON. */
  body?: unknown;
  /** Content-Type of the body; `application/json` unless told (patches name their strategy). */
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  /** The answer is not read (resolves `undefined`): for writes whose result nothing uses. */
  discardBody?: boolean;
}

/** A Kubernetes API error: the HTTP status and the response text (a metav1.Status as JSON). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  /** HTTP status; `errors.ts` reads it as client-node's `ApiException.code`. */
  readonly code: number;
  /** The raw response text, as client-node's `ApiException.body`. */
  readonly body: string;

  constructor(code: number, body: string, method: string, path: string) {
    super(`HTTP ${code} on ${method} ${path}: ${statusMessage(body)}`);
    this.code = code;
    this.body = body;
  }
}

function statusMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON (a proxy's error page): a short excerpt says enough.
  }
  return body.slice(0, 200);
}

/** Sends Kubernetes API requests with the kubeconfig's server and credentials. */
export interface KubeRest {
  /** The parsed JSON answer; rejects with {@link KubeApiError} on a non-2xx status. */
  request<T>(req: KubeRequest): Promise<T>;
  /** A GET whose body is streamed (a watch); no request timeout; rejects on a non-2xx status. */
  stream(req: Omit<KubeRequest, 'method' | 'body' | 'contentType'>): Promise<Dispatcher.ResponseData>;
}

type Authentication = Pick<KubeConfig, 'getCurrentCluster' | 'applySecurityAuthentication'>;

/**
 * Creates a {@link KubeRest} for the kubeconfig's current cluster.
 *
 * Credentials are applied again every {@link CREDENTIALS_REUSE_MS} and after a 401 (tokens and
 * exec plugins may rotate them); the HTTP
 * dispatcher of the first request serves every later one. Why: client-node builds a new undici
 * Agent per authentication, so each call would open its own TLS connection (the handshake was the
 * largest item of a cold sync's CPU profile); the TLS material of a kubeconfig does not change
 * while the process runs.
 */
export function createKubeRest(kc: Authentication, opts: KubeRestOptions = {}): KubeRest {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  // A server URL may carry a path (a proxy in front of the API server): it prefixes every path.
  const serverUrl = new URL(cluster.server);
  const origin = serverUrl.origin;
  const prefix = serverUrl.pathname.replace(/\/+$/, '');
  const timeoutMs = opts.requestTimeoutMs ?? 30_000;
  const userAgent = opts.userAgent ?? 'cbbs-operator';
  let shared: Dispatcher | undefined;
  let credentials: { headers: Record<string, string>; at: number } | undefined;
  const now = opts.now ?? Date.now;
  const reuseMs = opts.credentialsReuseMs ?? CREDENTIALS_REUSE_MS;

  /** Applies the kubeconfig's credentials: headers, and the dispatcher the first time. */
  async function applyCredentials(): Promise<Record<string, string>> {
    const headers: Record<string, string> = {};
    let fresh: Dispatcher | undefined;
    const context = {
      setHeaderParam: (key: string, value: string) => {
        headers[key.toLowerCase()] = value;
      },
      setDispatcher: (d: Dispatcher) => {
        fresh = d;
      },
      getDispatcher: () => fresh,
    };
    await kc.applySecurityAuthentication(context as never);
    if (shared === undefined && fresh !== undefined) shared = fresh;
    else if (fresh !== undefined && fresh !== shared) void fresh.close().catch(() => undefined);
    credentials = { headers, at: now() };
    return headers;
  }

  async function authenticated(): Promise<{
    headers: Record<string, string>;
    dispatcher: Dispatcher;
    reused: boolean;
  }> {
    const reused = credentials !== undefined && now() - credentials.at < reuseMs;
    const headers = reused && credentials ? credentials.headers : await applyCredentials();
    return { headers: { ...headers }, dispatcher: shared ?? getGlobalDispatcher(), reused };
  }

  async function send(req: KubeRequest, signal: AbortSignal | undefined): Promise<Dispatcher.ResponseData> {
    let body: string | undefined;
    if (req.body !== undefined) body = JSON.stringify(req.body);
    const attempt = async () => {
      const { headers, dispatcher, reused } = await authenticated();
      headers['user-agent'] = userAgent;
      headers.accept = req.accept ?? 'application/json';
      if (body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
      const res = await dispatcher.request({
        origin,
        path: prefix + req.path + queryString(req.query),
        method: req.method,
        headers,
        ...(body === undefined ? {} : { body }),
        ...(signal ? { signal } : {}),
      });
      return { res, reused };
    };
    let { res, reused } = await attempt();
    if (res.statusCode === 401 && reused) {
      // The token may have rotated since the credentials were applied: once more with fresh ones.
      await res.body.dump();
      credentials = undefined;
      ({ res, reused } = await attempt());
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return res;
    throw new KubeApiError(res.statusCode, await res.body.text(), req.method, req.path);
  }

  return {
    async request<T>(req: KubeRequest): Promise<T> {
      const timeout = deadline(timeoutMs, req.signal);
      try {
        const res = await send(req, timeout.signal);
        if (req.discardBody) {
          await res.body.dump();
          return undefined as T;
        }
        const text = await res.body.text();
        return (text === '' ? undefined : JSON.parse(text)) as T;
      } finally {
        timeout.dispose();
      }
    },
    stream: (req) => send({ ...req, method: 'GET' }, req.signal),
  };
}

function queryString(query: KubeRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** `Accept` of a LIST that returns only metadata (`PartialObjectMetadataList`), for any resource. */
export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
/** `Accept` of a WATCH whose events carry only metadata (`PartialObjectMetadata`). */
export const METADATA_WATCH_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** The collection path of a namespaced resource, or of all namespaces when `namespace` is undefined. */
export function collectionPath(ref: ResourceRef, namespace: string | undefined): string {
  const base = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  return namespace === undefined
    ? `${base}/${ref.plural}`
    : `${base}/namespaces/${encodeURIComponent(namespace)}/${ref.plural}`;
}

/** The path of one namespaced object. */
export function objectPath(ref: ResourceRef, namespace: string, name: string): string {
  return `${collectionPath(ref, namespace)}/${encodeURIComponent(name)}`;
}

/** An RFC 6902 JSON patch operation. */
export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** Identifies a resource's API; `group` is `''` for the core group. */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
}

/** Typed access to one namespaced custom resource. */
export interface CustomResourceClient<T extends KubernetesObject> {
  /** The object, or `undefined` when it does not exist. */
  get(namespace: string, name: string): Promise<T | undefined>;
  /** Lists one namespace, or all namespaces when `namespace` is undefined. */
  list(namespace: string | undefined, signal?: AbortSignal): Promise<KubernetesListObject<T>>;
  /** JSON merge patch of the `/status` subresource; `patch` is the body, e.g. `{ status: {...} }`. */
  patchStatus(namespace: string, name: string, patch: object): Promise<T>;
  /** JSON merge patch of the object (metadata/spec). */
  mergePatch(namespace: string, name: string, patch: object): Promise<T>;
  /** RFC 6902 JSON patch of the object; `test` ops make it conditional. */
  jsonPatch(namespace: string, name: string, ops: readonly JsonPatchOp[]): Promise<T>;
  /** The collection path to watch. */
  watchPath(namespace: string | undefined): string;
}

const MERGE_PATCH = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';

/** Creates a {@link CustomResourceClient}; custom resources take merge and JSON patches only. */
export function createCustomResourceClient<T extends KubernetesObject>(
  rest: KubeRest,
  ref: ResourceRef,
): CustomResourceClient<T> {
  const patch = (path: string, body: unknown, contentType: string) =>
    rest.request<T>({ method: 'PATCH', path, body, contentType });
  return {
    async get(namespace, name) {
      try {
        return await rest.request<T>({ method: 'GET', path: objectPath(ref, namespace, name) });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    list: (namespace, signal) =>
      rest.request<KubernetesListObject<T>>({
        method: 'GET',
        path: collectionPath(ref, namespace),
        ...(signal ? { signal } : {}),
      }),
    patchStatus: (namespace, name, body) =>
      patch(`${objectPath(ref, namespace, name)}/status`, body, MERGE_PATCH),
    mergePatch: (namespace, name, body) => patch(objectPath(ref, namespace, name), body, MERGE_PATCH),
    jsonPatch: (namespace, name, ops) => patch(objectPath(ref, namespace, name), ops, JSON_PATCH),
    watchPath: (namespace) => collectionPath(ref, namespace),
  };
}
