import { createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import {
  type AttemptInfo,
  type BackupClient,
  type ClusterManagerClient,
  createBackupClient,
  createClusterManagerClient,
} from '../backup-api/index.ts';
import { clusterManagerAddress } from './one-shot/cluster-address.ts';
import type { BackupServiceResource as BackupService } from './resources.ts';
import type { ReadonlyDeep, ReadonlyStore } from './runtime/index.ts';
import { secretValue } from './secret-values.ts';

/** Why a BackupService cannot be connected to; stable codes for conditions and tests. */
export const CONNECTION_ERROR_CODES = {
  serviceNotFound: 'ServiceNotFound',
  secretNotFound: 'SecretNotFound',
  secretKeyMissing: 'SecretKeyMissing',
  /** The endpoints passed admission but the client refuses them (e.g. a port out of range). */
  invalidEndpoint: 'InvalidEndpoint',
} as const;
export type ConnectionErrorCode = (typeof CONNECTION_ERROR_CODES)[keyof typeof CONNECTION_ERROR_CODES];

/** The user must create or fix something before the operator can talk to the Backup Service. */
export class ConnectionError extends Error {
  readonly code: ConnectionErrorCode;
  constructor(code: ConnectionErrorCode, message: string) {
    super(message);
    this.name = 'ConnectionError';
    this.code = code;
  }
}

/** A ready-to-use client of one BackupService, and the object it was built from. */
export interface ServiceConnection {
  client: BackupClient;
  service: ReadonlyDeep<BackupService>;
  /** `namespace/name` of the BackupService. */
  key: string;
  /**
   * What the server version depends on: a digest of the endpoints, TLS, credentials and cluster
   * address. It changes when any of them does, and only then.
   */
  identity: string;
  /** A client of the cluster manager at `clusterAddress` (built on first use, same credentials). */
  clusterManager(): ClusterManagerClient;
}

/** Options for {@link createServiceConnections}. */
export interface ServiceConnectionsOptions {
  services: ReadonlyStore<BackupService>;
  secrets: ReadonlyStore<V1Secret>;
  /** Per-request timeout of Backup Service calls. */
  timeoutMs?: number;
  /** Replaces the client factory (tests). */
  createClient?: typeof createBackupClient;
  /** Replaces the cluster-manager client factory (tests). */
  createClusterManager?: typeof createClusterManagerClient;
  /** Observes every HTTP attempt to a service (request metrics). */
  onAttempt?: (serviceKey: string, attempt: AttemptInfo) => void;
}

/** Clients of every BackupService, shared by all controllers. */
export interface ServiceConnections {
  /** The connection of BackupService `namespace/name`; throws a ConnectionError the user can act on. */
  get(namespace: string, name: string): ServiceConnection;
  /** Closes the client of a BackupService that is gone. */
  release(namespace: string, name: string): void;
  /** Closes every pooled client. */
  close(): Promise<void>;
}

/** Where Secrets are looked up by `namespace/name` (the operator's cache, or the plugin's reads). */
export type SecretLookup = Pick<ReadonlyStore<V1Secret>, 'get'>;

function requireSecret(secrets: SecretLookup, namespace: string, name: string): ReadonlyDeep<V1Secret> {
  const secret = secrets.get(`${namespace}/${name}`);
  if (!secret)
    throw new ConnectionError(CONNECTION_ERROR_CODES.secretNotFound, `Secret ${namespace}/${name} not found`);
  return secret;
}

function requireValue(secret: ReadonlyDeep<V1Secret>, key: string): string {
  const value = secretValue(secret, key);
  if (value === undefined || value === '') {
    throw new ConnectionError(
      CONNECTION_ERROR_CODES.secretKeyMissing,
      `Secret ${secret.metadata?.namespace}/${secret.metadata?.name} has no key "${key}"`,
    );
  }
  return value;
}

/** Names of the Secrets a BackupService's client needs (credentials, CA, client certificate). */
export function referencedSecretNames(service: ReadonlyDeep<BackupService>): string[] {
  const { spec } = service;
  const names = [
    spec.credentialsSecretRef.name,
    spec.tls?.caSecretRef?.name,
    spec.tls?.clientCertSecretRef?.name,
  ];
  return [...new Set(names.filter((n): n is string => n !== undefined))];
}

/**
 * Everything a client is built from, resolved from the spec and its Secrets; throws a
 * ConnectionError naming a missing Secret or key.
 */
export function resolveSettings(service: ReadonlyDeep<BackupService>, secrets: SecretLookup) {
  const namespace = service.metadata.namespace ?? '';
  const { spec } = service;
  const creds = requireSecret(secrets, namespace, spec.credentialsSecretRef.name);
  const auth = {
    username: requireValue(creds, spec.credentialsSecretRef.usernameKey),
    password: requireValue(creds, spec.credentialsSecretRef.passwordKey),
  };
  const tls: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean } = {};
  if (spec.tls?.caSecretRef) {
    tls.ca = requireValue(
      requireSecret(secrets, namespace, spec.tls.caSecretRef.name),
      spec.tls.caSecretRef.key,
    );
  }
  if (spec.tls?.clientCertSecretRef) {
    const ref = spec.tls.clientCertSecretRef;
    const secret = requireSecret(secrets, namespace, ref.name);
    tls.cert = requireValue(secret, ref.certKey);
    tls.key = requireValue(secret, ref.keyKey);
  }
  if (spec.tls?.insecureSkipVerify) tls.rejectUnauthorized = false;
  const clusterAddress = spec.clusterAddress ?? clusterManagerAddress(spec.endpoints[0] ?? '') ?? '';
  return { urls: [...spec.endpoints], auth, tls, clusterAddress };
}

/**
 * Creates the shared connection registry. A client is built on first use and reused until the
 * BackupService's endpoints/TLS or the content of a referenced Secret change; then the old pool is
 * closed and a new client built, so Secret rotation takes effect without a restart.
 */
export function createServiceConnections(opts: ServiceConnectionsOptions): ServiceConnections {
  const make = opts.createClient ?? createBackupClient;
  const makeManager = opts.createClusterManager ?? createClusterManagerClient;
  interface Entry {
    fingerprint: string;
    client: BackupClient;
    manager?: ClusterManagerClient;
    clusterManager(): ClusterManagerClient;
  }
  const cache = new Map<string, Entry>();
  const closeEntry = (entry: Entry) => {
    void entry.client.close();
    void entry.manager?.close();
  };
  const connection = (entry: Entry, service: ReadonlyDeep<BackupService>, key: string) => ({
    client: entry.client,
    service,
    key,
    identity: entry.fingerprint,
    clusterManager: entry.clusterManager,
  });

  return {
    get(namespace, name) {
      const key = `${namespace}/${name}`;
      const service = opts.services.get(key);
      if (!service) {
        throw new ConnectionError(CONNECTION_ERROR_CODES.serviceNotFound, `BackupService ${key} not found`);
      }
      const settings = resolveSettings(service, opts.secrets);
      // A digest, so the cache never holds the credentials in a comparable plain string.
      const fingerprint = createHash('sha256').update(JSON.stringify(settings)).digest('hex');
      const cached = cache.get(key);
      if (cached?.fingerprint === fingerprint) return connection(cached, service, key);
      if (cached) {
        // Dropped before building: if the new settings fail, a closed client must not stay cached.
        cache.delete(key);
        closeEntry(cached);
      }
      let client: BackupClient;
      try {
        client = make({
          urls: settings.urls,
          auth: settings.auth,
          ...(Object.keys(settings.tls).length > 0 ? { tls: settings.tls } : {}),
          timeoutMs: opts.timeoutMs ?? 10_000,
          ...(opts.onAttempt ? { onAttempt: (a: AttemptInfo) => opts.onAttempt?.(key, a) } : {}),
        });
      } catch (err) {
        // Endpoints the CRD admitted before its rules were tightened reach here; a ConnectionError
        // becomes a Stalled condition instead of a reconcile error retried forever. Client errors
        // name the problem, not the URL; the replace keeps a future one from leaking `user:pass@`.
        const problem = (err instanceof Error ? err.message : String(err)).replace(/\/\/[^\s/?#@]*@/g, '//');
        throw new ConnectionError(
          CONNECTION_ERROR_CODES.invalidEndpoint,
          `BackupService ${key} has an endpoint the operator cannot use: ${problem}`,
        );
      }
      const entry: Entry = {
        fingerprint,
        client,
        clusterManager() {
          entry.manager ??= makeManager({
            url: settings.clusterAddress,
            auth: settings.auth,
            ...(Object.keys(settings.tls).length > 0 ? { tls: settings.tls } : {}),
            timeoutMs: opts.timeoutMs ?? 10_000,
            ...(opts.onAttempt ? { onAttempt: (a: AttemptInfo) => opts.onAttempt?.(key, a) } : {}),
          });
          return entry.manager;
        },
      };
      cache.set(key, entry);
      return connection(entry, service, key);
    },
    release(namespace, name) {
      const key = `${namespace}/${name}`;
      const cached = cache.get(key);
      cache.delete(key);
      if (cached) closeEntry(cached);
    },
    async close() {
      const entries = [...cache.values()];
      cache.clear();
      await Promise.all(entries.flatMap((e) => [e.client.close(), e.manager?.close()]));
    },
  };
}
