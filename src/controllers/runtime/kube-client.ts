import {
  type Configuration,
  type CustomObjectsApi,
  createConfiguration,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  PatchStrategy,
  type RequestContext,
  type SecurityAuthentication,
  ServerConfiguration,
  setHeaderMiddleware,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { isNotFound } from './errors.ts';

/** Options for {@link createApiFactory}. */
export interface ApiFactoryOptions {
  /** Abort every non-watch request after this long; 30 s unless told. client-node 2.0.1 sets none. */
  requestTimeoutMs?: number;
  userAgent?: string;
}

/** Makes client-node API clients that share one configuration. */
export interface ApiFactory {
  makeApiClient<T>(apiClientType: new (config: Configuration) => T): T;
}

/**
 * Creates client-node API clients with a request timeout on every call.
 *
 * Why: client-node 2.0.1's `KubeConfig.makeApiClient` passes no AbortSignal to undici, so a request on
 * a half-open connection hangs forever and with it the reconcile. A promise middleware sets
 * `AbortSignal.timeout` on every request context; per-call options built with `setHeaderOptions` use
 * the `append` merge strategy and keep it.
 */
export function createApiFactory(kc: KubeConfig, opts: ApiFactoryOptions = {}): ApiFactory {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const timeoutMs = opts.requestTimeoutMs ?? 30_000;
  const config = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: withSharedDispatcher(kc) },
    middleware: [setHeaderMiddleware('User-Agent', opts.userAgent ?? 'cbbs-operator')],
    promiseMiddleware: [
      {
        pre: async (ctx) => {
          ctx.setSignal(AbortSignal.timeout(timeoutMs));
          return ctx;
        },
        post: async (res) => res,
      },
    ],
  });
  return { makeApiClient: (apiClientType) => new apiClientType(config) };
}

/**
 * The kubeconfig's authentication, with one HTTP dispatcher for every request.
 *
 * Why: client-node 2.0.1 builds a new undici Agent in every `applySecurityAuthentication`, so each
 * Kubernetes call opened its own TLS connection (the handshake was the largest item of a cold
 * sync's CPU profile). Headers (tokens, which may rotate) are still applied per request; the TLS
 * material of a kubeconfig does not change while the process runs, so the first dispatcher serves.
 */
export function withSharedDispatcher(
  kc: Pick<KubeConfig, 'applySecurityAuthentication' | 'getName'>,
): SecurityAuthentication {
  let shared: ReturnType<RequestContext['getDispatcher']>;
  return {
    getName: () => kc.getName(),
    async applySecurityAuthentication(context: RequestContext) {
      await kc.applySecurityAuthentication(context);
      const fresh = context.getDispatcher();
      if (fresh === undefined) return;
      if (shared === undefined) shared = fresh;
      else context.setDispatcher(shared);
    },
  };
}

/** `Accept` of a LIST that returns only metadata (`PartialObjectMetadataList`), for any resource. */
export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
/** `Accept` of a WATCH whose events carry only metadata (`PartialObjectMetadata`). */
export const METADATA_WATCH_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** Options for {@link createWatch}. */
export interface WatchOptions {
  /** See {@link createWatch}; 180 s unless told. */
  inactivityTimeoutMs?: number;
  /** An `Accept` header for every watch request, e.g. {@link METADATA_WATCH_ACCEPT}. */
  accept?: string;
}

/**
 * Creates a client-node `Watch` whose inactivity timeout is `inactivityTimeoutMs`.
 *
 * Why: client-node 2.0.1's Watch aborts a stream after 30 s without data (private `requestTimeoutMs`,
 * also used as the connect timeout). The apiserver sends bookmarks only about once a minute, so idle
 * watches would be torn down every 30 s. The reflector has its own watchdog; this one is set above it.
 *
 * `accept`: client-node's Watch takes no headers; it reads only the current cluster and the request
 * authentication from its KubeConfig, so a config that adds the header after authenticating is
 * enough (a metadata-only watch then needs no watch implementation of our own).
 */
export function createWatch(kc: KubeConfig, opts: WatchOptions = {}): Watch {
  const { accept } = opts;
  const config = accept
    ? ({
        getCurrentCluster: () => kc.getCurrentCluster(),
        applySecurityAuthentication: async (ctx: RequestContext) => {
          await kc.applySecurityAuthentication(ctx);
          ctx.setHeaderParam('Accept', accept);
        },
      } as unknown as KubeConfig)
    : kc;
  const watch = new Watch(config);
  const internals = watch as unknown as { requestTimeoutMs?: number };
  if (typeof internals.requestTimeoutMs === 'number')
    internals.requestTimeoutMs = opts.inactivityTimeoutMs ?? 180_000;
  return watch;
}

/** An RFC 6902 JSON patch operation. */
export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** Identifies a custom resource's API. */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
}

/** Typed access to one namespaced custom resource through client-node's CustomObjectsApi. */
export interface CustomResourceClient<T extends KubernetesObject> {
  /** The object, or `undefined` when it does not exist. */
  get(namespace: string, name: string): Promise<T | undefined>;
  /** Lists one namespace, or all namespaces when `namespace` is undefined. */
  list(namespace: string | undefined): Promise<KubernetesListObject<T>>;
  /** JSON merge patch of the `/status` subresource; `patch` is the body, e.g. `{ status: {...} }`. */
  patchStatus(namespace: string, name: string, patch: object): Promise<T>;
  /** JSON merge patch of the object (metadata/spec). */
  mergePatch(namespace: string, name: string, patch: object): Promise<T>;
  /** RFC 6902 JSON patch of the object; `test` ops make it conditional. */
  jsonPatch(namespace: string, name: string, ops: readonly JsonPatchOp[]): Promise<T>;
  /** The collection path for client-node's Watch. */
  watchPath(namespace: string | undefined): string;
}

/**
 * Creates a {@link CustomResourceClient}.
 *
 * Why the explicit Content-Type: the generated patch methods pick the first media type they accept,
 * `application/json-patch+json`, whatever the body is; a merge-patch body then fails. Custom
 * resources do not support strategic merge patch at all.
 */
export function createCustomResourceClient<T extends KubernetesObject>(
  api: CustomObjectsApi,
  ref: ResourceRef,
): CustomResourceClient<T> {
  const { group, version, plural } = ref;
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const json = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
  return {
    async get(namespace, name) {
      try {
        return (await api.getNamespacedCustomObject({ group, version, plural, namespace, name })) as T;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async list(namespace) {
      const res = namespace
        ? await api.listNamespacedCustomObject({ group, version, plural, namespace })
        : await api.listClusterCustomObject({ group, version, plural });
      return res as KubernetesListObject<T>;
    },
    async patchStatus(namespace, name, patch) {
      return (await api.patchNamespacedCustomObjectStatus(
        { group, version, plural, namespace, name, body: patch },
        merge,
      )) as T;
    },
    async mergePatch(namespace, name, patch) {
      return (await api.patchNamespacedCustomObject(
        { group, version, plural, namespace, name, body: patch },
        merge,
      )) as T;
    },
    async jsonPatch(namespace, name, ops) {
      return (await api.patchNamespacedCustomObject(
        { group, version, plural, namespace, name, body: ops },
        json,
      )) as T;
    },
    watchPath: (namespace) =>
      namespace
        ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}`
        : `/apis/${group}/${version}/${plural}`,
  };
}
