import type { Logger } from 'pino';
import { profileOfVersion, SERVER_PROFILES, type ServerProfile, serverText } from '../../backup-api/index.ts';
import type { Clock } from '../runtime/index.ts';
import type { ServiceConnection } from '../service-connections.ts';

/** The Couchbase Server version of a BackupService and the feature profile it implies. */
export interface ServerVersion {
  version: string;
  profile: ServerProfile;
}

/** How long a failed version read waits before it is tried again (the cluster manager may be closed to us). */
export const VERSION_RETRY_MS = 10 * 60_000;
/** How long a version read holds without a change: an in-place server upgrade shows within this. */
export const VERSION_RECHECK_MS = 60 * 60_000;
/** A version read gives up after this long, whatever the transport's own timeouts. */
export const VERSION_READ_TIMEOUT_MS = 15_000;

/** Reads and remembers each BackupService's server version. */
export interface VersionReader {
  /**
   * The version known for this connection, at once. A read of the cluster manager's `GET /pools`
   * starts in the background when the connection's identity (endpoints, TLS, credentials, cluster
   * address) changed, and otherwise once an hour (a server upgraded in place), never per poll; its
   * result shows from the next poll on. Never throws and never delays a poll: an unreadable
   * version must not make the service look slow or unreachable.
   */
  current(uid: string, connection: ServiceConnection, log: Logger): ServerVersion | undefined;
  /** Drops what is remembered of services whose UID is not in `live`. */
  retain(live: ReadonlySet<string | undefined>): void;
  /** Resolves when no read is in flight (tests). */
  idle(): Promise<void>;
}

interface Seen {
  identity: string;
  at: number;
  value?: ServerVersion | undefined;
  failed?: boolean;
}

/** One `GET /pools`; throws when the answer carries no version. */
async function readVersion(connection: ServiceConnection): Promise<ServerVersion> {
  const pools = await connection
    .clusterManager()
    .getPools({ signal: AbortSignal.timeout(VERSION_READ_TIMEOUT_MS) });
  const version = pools.implementationVersion.slice(0, 64);
  const profile = profileOfVersion(version);
  if (!profile) throw new Error(`implementationVersion is not a version: ${version}`);
  return { version, profile };
}

/** Creates the per-process version memory (keyed by object UID, so a recreated object reads again). */
export function createVersionReader(clock: Pick<Clock, 'now'>): VersionReader {
  const seen = new Map<string, Seen>();
  const inFlight = new Map<string, Promise<void>>();

  const start = (
    uid: string,
    connection: ServiceConnection,
    log: Logger,
    keep: ServerVersion | undefined,
  ) => {
    const { identity } = connection;
    const read = readVersion(connection).then(
      (value) => {
        seen.set(uid, { identity, at: clock.now(), value });
      },
      (err: unknown) => {
        log.info({ reason: serverText(err) }, 'could not read the server version from /pools');
        // A failed hourly re-check keeps what the same connection read before.
        seen.set(uid, { identity, at: clock.now(), value: keep, failed: true });
      },
    );
    const tracked = read.finally(() => inFlight.delete(uid));
    inFlight.set(uid, tracked);
  };

  return {
    current(uid, connection, log) {
      const last = seen.get(uid);
      const same = last?.identity === connection.identity ? last : undefined;
      const age = same ? clock.now() - same.at : Number.POSITIVE_INFINITY;
      const fresh = same !== undefined && age < (same.failed ? VERSION_RETRY_MS : VERSION_RECHECK_MS);
      if (!fresh && !inFlight.has(uid)) start(uid, connection, log, same?.value);
      return same?.value;
    },
    retain(live) {
      for (const uid of seen.keys()) if (!live.has(uid)) seen.delete(uid);
    },
    async idle() {
      await Promise.all(inFlight.values());
    },
  };
}

/** The version a status records, if it records one with a known profile (pure). */
export function recordedVersion(
  status: { version?: string | undefined; profile?: string | undefined } | undefined,
): ServerVersion | undefined {
  const profile = SERVER_PROFILES.find((p) => p === status?.profile);
  return status?.version && profile ? { version: status.version, profile } : undefined;
}
