import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { type CoreV1Event, KubeConfig, type V1Secret } from '@kubernetes/client-node';
import {
  collectionPath,
  createKubeRest,
  KubeApiError,
  objectPath,
} from '../controllers/runtime/kube-client.ts';
import type { KindMeta } from '../crds/index.ts';
import { CliError, EXIT } from './exit-codes.ts';

/** The kubectl-style flags every command takes. */
export interface KubeFlags {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
  allNamespaces?: boolean | undefined;
}

/** What a request asked for, so that a refusal can name the missing permission. */
export interface Access {
  verb: 'get' | 'list' | 'create' | 'watch';
  /** Plural resource, with its group for custom resources (`backupservices.cbbs.dev`). */
  resource: string;
  namespace?: string | undefined;
  name?: string | undefined;
}

/** A plain custom object as the API server returns it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    generation?: number;
    creationTimestamp?: string;
    uid?: string;
    [k: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Loads the kubeconfig with kubectl's rules: `--kubeconfig`, else every file in KUBECONFIG (merged),
 * else ~/.kube/config, else the in-cluster service account; `--context` picks the context. Unlike
 * client-node's loadFromDefault it never falls back to localhost:8080 silently.
 */
export function loadKubeConfig(flags: KubeFlags, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (flags.kubeconfig) kc.loadFromFile(flags.kubeconfig);
    else if (env.KUBECONFIG)
      loadMerged(
        kc,
        env.KUBECONFIG.split(delimiter).filter((f) => f !== ''),
      );
    else if (existsSync(join(env.HOME ?? homedir(), '.kube', 'config')))
      kc.loadFromFile(join(env.HOME ?? homedir(), '.kube', 'config'));
    else if (env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN)) kc.loadFromCluster();
    else
      throw new CliError(
        EXIT.usage,
        'no kubeconfig: set KUBECONFIG, pass --kubeconfig or create ~/.kube/config',
      );
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(EXIT.usage, `cannot read kubeconfig: ${firstLine(err)}`);
  }
  if (flags.context) {
    if (!kc.getContextObject(flags.context))
      throw new CliError(EXIT.usage, `context "${flags.context}" not found in the kubeconfig`);
    kc.setCurrentContext(flags.context);
  }
  if (!kc.getCurrentCluster()) throw new CliError(EXIT.usage, 'the kubeconfig has no current cluster');
  return kc;
}

/**
 * kubectl's merge of the files in KUBECONFIG: the first file that names a cluster, user or context
 * wins, and so does the first current-context (client-node's own merge lets the last one win and
 * fails on duplicate names).
 */
export function mergeKubeConfigs(configs: readonly KubeConfig[]): KubeConfig {
  const firstByName = <T extends { name: string }>(lists: readonly (readonly T[])[]) => {
    const seen = new Map<string, T>();
    for (const list of lists) for (const item of list) if (!seen.has(item.name)) seen.set(item.name, item);
    return [...seen.values()];
  };
  const merged = new KubeConfig();
  merged.loadFromOptions({
    clusters: firstByName(configs.map((c) => c.clusters)),
    users: firstByName(configs.map((c) => c.users)),
    contexts: firstByName(configs.map((c) => c.contexts)),
    currentContext: configs.map((c) => c.currentContext).find((c) => c) ?? '',
  });
  return merged;
}

function loadMerged(into: KubeConfig, files: readonly string[]): void {
  // kubectl skips files in KUBECONFIG that do not exist.
  const configs = files
    .filter((f) => existsSync(f))
    .map((f) => {
      const kc = new KubeConfig();
      kc.loadFromFile(f);
      return kc;
    });
  if (configs.length === 0)
    throw new CliError(EXIT.usage, `no kubeconfig: none of the files in KUBECONFIG exists`);
  const merged = mergeKubeConfigs(configs);
  into.loadFromOptions({
    clusters: merged.clusters,
    users: merged.users,
    contexts: merged.contexts,
    currentContext: merged.currentContext,
  });
}

/** The namespace kubectl would use: `-n`, else the context's namespace, else `default`. */
export function resolveNamespace(kc: KubeConfig, flag: string | undefined): string {
  if (flag) return flag;
  const ctx = kc.getContextObject(kc.getCurrentContext());
  return ctx?.namespace || 'default';
}

/** The resource name kubectl's RBAC messages use: `plural.group`, or `plural` for the core group. */
export function resourceOf(meta: KindMeta): string {
  return `${meta.plural}.${meta.group}`;
}

/** One line that says which permission is missing, as `kubectl auth can-i` would ask it. */
export function forbiddenMessage(access: Access, user: string | undefined): string {
  const where = access.namespace ? ` in namespace "${access.namespace}"` : ' cluster-wide';
  const what = access.name ? `${access.resource} "${access.name}"` : access.resource;
  const who = user ? `user "${user}"` : 'you';
  return `forbidden: ${who} may not ${access.verb} ${what}${where} (needs RBAC verb "${access.verb}" on resource "${access.resource}"${where})`;
}

/** Translates a failed API call into a one-line CliError with an exit code scripts can use. */
export function kubeError(err: unknown, access: Access, user?: string): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof KubeApiError) {
    const code = err.code;
    if (code === 403) return new CliError(EXIT.forbidden, forbiddenMessage(access, user));
    if (code === 401) return new CliError(EXIT.forbidden, 'the Kubernetes API refused the credentials (401)');
    if (code === 404) {
      const what = access.name ? `${access.resource} "${access.name}"` : access.resource;
      const where = access.namespace ? ` in namespace "${access.namespace}"` : '';
      return new CliError(EXIT.notFound, `${what} not found${where}`);
    }
    return new CliError(
      EXIT.error,
      `Kubernetes API answered ${code} to ${access.verb} ${access.resource}: ${statusMessage(err.body)}`,
    );
  }
  return new CliError(EXIT.unreachable, `cannot reach the Kubernetes API: ${firstLine(err)}`);
}

function statusMessage(body: unknown): string {
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  const message = (parsed as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : String(body).slice(0, 200);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The first line of an error's message (client-node errors span several lines). */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
  return `${text.split('\n')[0]}${cause}`;
}

/** Kubernetes reads and writes of the plugin, each failure mapped by {@link kubeError}. */
export interface Kube {
  readonly kc: KubeConfig;
  /** The namespace commands act in (`-n`, the context's, or default). */
  readonly namespace: string;
  /** `-A`: list across all namespaces. */
  readonly allNamespaces: boolean;
  list(meta: KindMeta, namespace: string | undefined): Promise<KubeObject[]>;
  get(meta: KindMeta, namespace: string, name: string): Promise<KubeObject>;
  /** Like get, but undefined when the object does not exist. */
  find(meta: KindMeta, namespace: string, name: string): Promise<KubeObject | undefined>;
  create(meta: KindMeta, namespace: string, body: object): Promise<KubeObject>;
  /** Create with `dryRun=All`: the API server validates and defaults, nothing is stored. */
  createDryRun(meta: KindMeta, namespace: string, body: object): Promise<KubeObject>;
  getSecret(namespace: string, name: string): Promise<V1Secret>;
  /** Events about one object, newest last. */
  events(namespace: string, kind: string, name: string): Promise<CoreV1Event[]>;
}

const SECRETS = { group: '', version: 'v1', plural: 'secrets' };
const EVENTS = { group: '', version: 'v1', plural: 'events' };

/**
 * Builds the Kubernetes access of one invocation from its flags, on the operator's thin REST client
 * (client-node only loads the kubeconfig and authenticates).
 */
export function createKube(flags: KubeFlags, env: NodeJS.ProcessEnv = process.env): Kube {
  const kc = loadKubeConfig(flags, env);
  const namespace = resolveNamespace(kc, flags.namespace);
  const rest = createKubeRest(kc, { userAgent: 'kubectl-cbbs', requestTimeoutMs: 30_000 });
  const user = kc.getCurrentUser()?.impersonateUser ?? undefined;
  const call = async <T>(access: Access, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw kubeError(err, access, user);
    }
  };
  const get = (meta: KindMeta, ns: string, name: string) =>
    call({ verb: 'get', resource: resourceOf(meta), namespace: ns, name }, () =>
      rest.request<KubeObject>({ method: 'GET', path: objectPath(meta, ns, name) }),
    );
  const create = (meta: KindMeta, ns: string, body: object, dryRun: boolean) =>
    call({ verb: 'create', resource: resourceOf(meta), namespace: ns }, () =>
      rest.request<KubeObject>({
        method: 'POST',
        path: collectionPath(meta, ns),
        body,
        ...(dryRun ? { query: { dryRun: 'All' } } : {}),
      }),
    );
  return {
    kc,
    namespace,
    allNamespaces: flags.allNamespaces === true,
    list: (meta, ns) =>
      call({ verb: 'list', resource: resourceOf(meta), namespace: ns }, async () => {
        const list = await rest.request<{ items?: KubeObject[] }>({
          method: 'GET',
          path: collectionPath(meta, ns),
        });
        return list.items ?? [];
      }),
    get,
    find: async (meta, ns, name) => {
      try {
        return await get(meta, ns, name);
      } catch (err) {
        if (err instanceof CliError && err.exitCode === EXIT.notFound) return undefined;
        throw err;
      }
    },
    create: (meta, ns, body) => create(meta, ns, body, false),
    createDryRun: (meta, ns, body) => create(meta, ns, body, true),
    getSecret: (ns, name) =>
      call({ verb: 'get', resource: 'secrets', namespace: ns, name }, () =>
        rest.request<V1Secret>({ method: 'GET', path: objectPath(SECRETS, ns, name) }),
      ),
    events: (ns, kind, name) =>
      call({ verb: 'list', resource: 'events', namespace: ns }, async () => {
        const list = await rest.request<{ items?: CoreV1Event[] }>({
          method: 'GET',
          path: collectionPath(EVENTS, ns),
          query: { fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` },
        });
        return [...(list.items ?? [])].sort((a, b) => eventTime(a) - eventTime(b));
      }),
  };
}

function eventTime(e: CoreV1Event): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp;
  return t ? new Date(t).getTime() : 0;
}
