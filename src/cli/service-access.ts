import type { V1Secret } from '@kubernetes/client-node';
import {
  type BackupClient,
  BACKUP_API_ERROR_CODES as C,
  createBackupClient,
  describeAnswer,
  isBackupApiError,
  type RepositoryPathState,
} from '../backup-api/index.ts';
import type { BackupServiceResource } from '../controllers/resources.ts';
import {
  CONNECTION_ERROR_CODES,
  ConnectionError,
  referencedSecretNames,
  resolveSettings,
} from '../controllers/service-connections.ts';
import {
  type BackupRepository,
  BackupRepositorySchema,
  type BackupService,
  BackupServiceSchema,
  backupRepositoryKind,
  backupServiceKind,
} from '../crds/index.ts';
import { CliError, EXIT } from './exit-codes.ts';
import type { Kube, KubeObject } from './kube.ts';
import { clusterInternalService, portForwardHint } from './service-proxy.ts';

/** A repository on a Backup Service, as the commands address it. */
export interface RepositoryTarget {
  namespace: string;
  /** BackupService object name. */
  serviceName: string;
  /** Repository id on the Backup Service. */
  repositoryId: string;
  /** Path segment of its state on the service. */
  state: RepositoryPathState;
  /** The BackupRepository object, when one manages the repository. */
  object?: BackupRepository | undefined;
}

/** How to find a repository: a BackupRepository name, or `--service` plus a repository id. */
export interface RepositoryQuery {
  repository: string;
  service?: string | undefined;
  state?: RepositoryPathState | undefined;
}

/** Parses an object read from the API server with our schema (defaults filled in). */
export function parseObject<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
  obj: KubeObject,
): T {
  const parsed = schema.safeParse(obj);
  if (!parsed.success) {
    throw new CliError(
      EXIT.error,
      `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name} does not match its schema`,
    );
  }
  return parsed.data;
}

/** The path state of a managed repository, from its observed (else desired) state. */
export function pathStateOf(repo: BackupRepository): RepositoryPathState {
  if (repo.spec.import !== undefined || repo.status?.state === 'Imported') return 'imported';
  if (repo.status?.state === 'Archived') return 'archived';
  return 'active';
}

/** Resolves the repository a command addresses; unknown names exit 3 with a hint. */
export async function resolveRepository(kube: Kube, q: RepositoryQuery): Promise<RepositoryTarget> {
  const namespace = kube.namespace;
  if (q.service) {
    return { namespace, serviceName: q.service, repositoryId: q.repository, state: q.state ?? 'active' };
  }
  const obj = await kube.find(backupRepositoryKind, namespace, q.repository);
  if (!obj) {
    throw new CliError(
      EXIT.notFound,
      `BackupRepository "${q.repository}" not found in namespace "${namespace}" (for a repository no BackupRepository manages, add --service NAME and give its repository id)`,
    );
  }
  const repo = parseObject<BackupRepository>(BackupRepositorySchema, obj);
  return {
    namespace,
    serviceName: repo.spec.serviceRef.name,
    repositoryId: repo.spec.repositoryId ?? repo.metadata.name,
    state: q.state ?? pathStateOf(repo),
    object: repo,
  };
}

/** Options of {@link connectService}. */
export interface ConnectOptions {
  /** Replaces the BackupService's endpoints (a port-forward, e.g. http://127.0.0.1:8097). */
  endpoint?: string | undefined;
  timeoutMs?: number | undefined;
}

/** A client of one BackupService, built with the user's own Kubernetes permissions. */
export interface ServiceAccess {
  service: BackupService;
  client: BackupClient;
  urls: readonly string[];
  /** Runs one Backup Service call, turning its failure into a one-line CliError. */
  call<T>(what: string, fn: (client: BackupClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Reads a BackupService and its Secrets with the user's kubeconfig (so RBAC decides who may ask the
 * service) and builds the operator's typed client from them, with the operator's own settings
 * resolution (keys, TLS) so both read a BackupService the same way.
 */
export async function connectService(
  kube: Kube,
  namespace: string,
  name: string,
  opts: ConnectOptions = {},
): Promise<ServiceAccess> {
  const obj = await kube.find(backupServiceKind, namespace, name);
  if (!obj)
    throw new CliError(EXIT.notFound, `BackupService "${name}" not found in namespace "${namespace}"`);
  const service = parseObject<BackupService>(BackupServiceSchema, obj);
  const resource = service as unknown as BackupServiceResource;
  const secrets = new Map<string, V1Secret>();
  for (const secretName of referencedSecretNames(resource)) {
    try {
      secrets.set(`${namespace}/${secretName}`, await kube.getSecret(namespace, secretName));
    } catch (err) {
      // A missing Secret is reported by the shared resolution below, in the operator's words.
      if (!(err instanceof CliError && err.exitCode === EXIT.notFound)) throw err;
    }
  }
  let settings: ReturnType<typeof resolveSettings>;
  try {
    settings = resolveSettings(resource, { get: (key) => secrets.get(key) });
  } catch (err) {
    if (err instanceof ConnectionError) {
      const code = err.code === CONNECTION_ERROR_CODES.secretNotFound ? EXIT.notFound : EXIT.error;
      throw new CliError(code, `BackupService ${namespace}/${name}: ${err.message}`);
    }
    throw err;
  }
  const urls = opts.endpoint ? [opts.endpoint] : settings.urls;
  let client: BackupClient;
  try {
    client = createBackupClient({
      urls,
      auth: settings.auth,
      ...(Object.keys(settings.tls).length > 0 ? { tls: settings.tls } : {}),
      timeoutMs: opts.timeoutMs ?? 10_000,
      // A person is waiting: one retry, short backoff.
      retry: { attempts: 2, baseMs: 200, maxMs: 1_000 },
    });
  } catch (err) {
    throw new CliError(
      EXIT.usage,
      `cannot use endpoint: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return {
    service,
    client,
    urls,
    call: async (what, fn) => {
      try {
        return await fn(client);
      } catch (err) {
        throw serviceError(err, what, { namespace, name, urls });
      }
    },
    close: () => client.close(),
  };
}

/** Maps a Backup Service failure to a one-line CliError; unreachable *.svc names get a port-forward hint. */
export function serviceError(
  err: unknown,
  what: string,
  where: { namespace: string; name: string; urls: readonly string[] },
): CliError {
  if (err instanceof CliError) return err;
  if (!isBackupApiError(err))
    return new CliError(EXIT.error, `${what}: ${err instanceof Error ? err.message : String(err)}`);
  if (err.status === 0 && (err.code === C.connection || err.code === C.timeout || err.code === C.tls)) {
    const internal = where.urls.map(clusterInternalService).find((s) => s !== undefined);
    const hint = internal ? `; ${portForwardHint(internal)}` : '';
    return new CliError(
      EXIT.unreachable,
      `cannot reach BackupService ${where.namespace}/${where.name} at ${where.urls.join(', ')} (${err.code}: ${err.msg})${hint}`,
    );
  }
  if (err.code === C.unauthorized) {
    return new CliError(
      EXIT.forbidden,
      `${what}: the Backup Service refused the credentials of BackupService ${where.namespace}/${where.name} (401)`,
    );
  }
  if (err.code === C.forbidden) {
    const perms = err.permissions?.length ? ` (needs ${err.permissions.join(' or ')})` : '';
    return new CliError(EXIT.forbidden, `${what}: the Backup Service user may not do this${perms}`);
  }
  if (err.code === C.notFound) return new CliError(EXIT.notFound, `${what}: ${describeAnswer(err)}`);
  return new CliError(EXIT.error, `${what}: ${describeAnswer(err)}`);
}
