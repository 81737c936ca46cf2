import type { Logger } from 'pino';
import { profileOfVersion, type ServerProfile, serverText } from '../../backup-api/index.ts';
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

/** Reads and remembers each BackupService's server version. */
export interface VersionReader {
  /**
   * The version, read from the cluster manager's `GET /pools` only when the connection's identity
   * (endpoints, TLS, credentials, cluster address) changed, and otherwise once an hour (a server
   * upgraded in place), never per poll; undefined while unknown.
   * Never throws: an unreadable version must not make the service look unreachable.
   */
  read(
    uid: string,
    connection: ServiceConnection,
    signal: AbortSignal,
    log: Logger,
  ): Promise<ServerVersion | undefined>;
  /** Drops what is remembered of services whose UID is not in `live`. */
  retain(live: ReadonlySet<string | undefined>): void;
}

/** Creates the per-process version memory (keyed by object UID, so a recreated object reads again). */
export function createVersionReader(clock: Pick<Clock, 'now'>): VersionReader {
  const seen = new Map<string, { identity: string; at: number; value?: ServerVersion; failed?: boolean }>();
  return {
    async read(uid, connection, signal, log) {
      const last = seen.get(uid);
      if (last?.identity === connection.identity) {
        const age = clock.now() - last.at;
        if (!last.failed && age < VERSION_RECHECK_MS) return last.value;
        if (last.failed && age < VERSION_RETRY_MS) return undefined;
      }
      try {
        const pools = await connection.clusterManager().getPools({ signal });
        const profile = profileOfVersion(pools.implementationVersion);
        if (!profile) throw new Error(`not a version: ${pools.implementationVersion.slice(0, 64)}`);
        const value = { version: pools.implementationVersion.slice(0, 64), profile };
        seen.set(uid, { identity: connection.identity, at: clock.now(), value });
        return value;
      } catch (err) {
        log.info({ reason: serverText(err) }, 'could not read the server version from /pools');
        seen.set(uid, { identity: connection.identity, at: clock.now(), failed: true });
        return undefined;
      }
    },
    retain(live) {
      for (const uid of seen.keys()) if (!live.has(uid)) seen.delete(uid);
    },
  };
}
