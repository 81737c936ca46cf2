import { z } from 'zod';
import { type AttemptInfo, createTransport, type TlsOptions } from './transport.ts';

/** What the operator reads of the cluster manager's `GET /pools`. */
export const poolsSchema = z.looseObject({
  /** e.g. `7.6.2-3721-enterprise`. */
  implementationVersion: z.string(),
});
export type Pools = z.infer<typeof poolsSchema>;

/** Options for {@link createClusterManagerClient}. */
export interface ClusterManagerClientOptions {
  /** The cluster manager's address, e.g. `http://cb:8091`. */
  url: string;
  auth: { username: string; password: string };
  tls?: TlsOptions;
  timeoutMs?: number;
  onAttempt?: (attempt: AttemptInfo) => void;
}

/**
 * A client of the few cluster-manager (port 8091) reads the operator makes, with the Backup
 * Service client's transport: timeouts, retries, errors as `BackupApiError`.
 */
export function createClusterManagerClient(options: ClusterManagerClientOptions) {
  const transport = createTransport({
    urls: [options.url],
    auth: options.auth,
    apiPrefix: '',
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    // One cheap read per credentials or endpoint change: no long retry chain behind it.
    retry: { attempts: 2 },
    ...(options.onAttempt ? { onAttempt: options.onAttempt } : {}),
  });
  return {
    /** `GET /pools`: the server version (`implementationVersion`). */
    getPools: (o: { signal?: AbortSignal | undefined } = {}): Promise<Pools> =>
      transport.request({ method: 'GET', path: '/pools', schema: poolsSchema, signal: o.signal }),
    close: transport.close,
  };
}

/** The client returned by `createClusterManagerClient`. */
export type ClusterManagerClient = ReturnType<typeof createClusterManagerClient>;

/** The API feature profiles the operator knows (the emulator's profiles). */
export const SERVER_PROFILES = ['7.2', '7.6', '8.0'] as const;
export type ServerProfile = (typeof SERVER_PROFILES)[number];

/**
 * The feature profile a Couchbase Server version implies (pure): 8.0 and later → `8.0` (PRUNE,
 * retention), 7.6.x → `7.6`, anything older → `7.2`; undefined when the text is no version.
 */
export function profileOfVersion(version: string): ServerProfile | undefined {
  const m = /^(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major >= 8) return '8.0';
  if (major === 7 && minor >= 6) return '7.6';
  return '7.2';
}

/** True when a profile offers what `needed` offers (pure): `7.2` < `7.6` < `8.0`. */
export function profileAtLeast(profile: ServerProfile, needed: ServerProfile): boolean {
  return SERVER_PROFILES.indexOf(profile) >= SERVER_PROFILES.indexOf(needed);
}
