import {
  BACKUP_API_ERROR_CODES,
  type ClusterInfo,
  isBackupApiError,
  serverMessage,
} from '../../backup-api/index.ts';
import { formatDurationMs } from '../../crds/duration.ts';
import { isStale } from '../cluster-observations.ts';
import type { ManagedKind } from '../engine/managed-kind.ts';
import type { Refusal } from '../engine/refusal-memory.ts';
import type { ControllerDeps } from '../operator.ts';
import { type BackupServiceResource, FINALIZER } from '../resources.ts';
import { ConnectionError } from '../service-connections.ts';
import {
  afterConfigAction,
  applyConfigAction,
  CONFIG_RECHECK_MS,
  type ConfigAction,
  ConfigUnsupportedError,
  nextConfigAction,
  type ObservedConfig,
  readConfig,
  unsupportedConfig,
} from './config.ts';
import { createServiceFanOut } from './fan-out.ts';
import { servicePollIntervalMs } from './poll-interval.ts';
import { POLL_FLOOR_MS, pollRequestDelayMs } from './poll-request.ts';
import { SERVICE_REASONS, serviceStatusFor } from './status.ts';
import { createVersionReader, recordedVersion, type ServerVersion } from './version.ts';

type Service = BackupServiceResource;
type Status = NonNullable<Service['status']>;

/** What one poll of a BackupService saw. */
export interface ServiceObserved {
  info: ClusterInfo;
  activeEndpoint: string;
  config: ObservedConfig;
  /** The server version, once read (after a credentials or endpoint change). */
  version?: ServerVersion | undefined;
}

/** How long a poll must still wait for the floor (pure): 0 when it may go now. */
export function pollFloorWaitMs(
  last: { generation: number; at: number } | undefined,
  generation: number,
  nowMs: number,
  floorMs: number,
): number {
  // A spec change (new endpoints, config) is polled at once.
  if (!last || last.generation !== generation) return 0;
  return pollRequestDelayMs(last.at, nowMs, floorMs);
}

/** How soon rejected credentials are tried again without a change (a role may be granted server-side). */
export const CREDENTIALS_RECHECK_MS = 60_000;

/** Classifies what the Backup Service answered (pure, by type and status): a refusal or transient. */
export function classifyServiceError(
  err: unknown,
  action: ConfigAction | undefined,
  credentialsRecheckMs = CREDENTIALS_RECHECK_MS,
): Refusal | undefined {
  if (err instanceof ConnectionError) return { reason: err.code, message: err.message };
  if (err instanceof ConfigUnsupportedError) {
    return {
      reason: SERVICE_REASONS.unsupportedByServer,
      message: err.message,
      recheckAfterMs: CONFIG_RECHECK_MS,
    };
  }
  if (!isBackupApiError(err)) return undefined;
  if (err.code === BACKUP_API_ERROR_CODES.unauthorized || err.code === BACKUP_API_ERROR_CODES.forbidden) {
    return {
      reason:
        err.code === BACKUP_API_ERROR_CODES.unauthorized
          ? SERVICE_REASONS.unauthorized
          : SERVICE_REASONS.forbidden,
      message: err.message,
      recheckAfterMs: credentialsRecheckMs,
    };
  }
  if (action && !err.retryable) {
    const text = serverMessage(err);
    return {
      reason: SERVICE_REASONS.configRejected,
      message: `The Backup Service rejected the configuration: ${text}`,
      recheckAfterMs: CONFIG_RECHECK_MS,
    };
  }
  return undefined;
}

/**
 * The BackupService as a managed kind: one `GET /cluster/self` per service per poll interval,
 * recorded in the shared observations and fanned out to the repositories that changed (all of
 * them when the observation turns stale or fresh again); the cluster-wide configuration is read
 * when the spec changes and every few minutes, and written when it differs.
 */
export function createBackupServiceKind(
  deps: ControllerDeps,
): ManagedKind<Service, ServiceObserved, ConfigAction, 'polled', Status> {
  const access = deps.kinds.services;
  /** The configuration last read, per object UID (a recreated object reads it again). */
  const configSeen = new Map<string, { generation: number; at: number; config: ObservedConfig }>();
  /** When each service (by UID) was last let through to poll. */
  const lastPoll = new Map<string, { generation: number; at: number }>();
  /** Services whose observation was announced stale to their dependents. */
  const staleAnnounced = new Set<string>();
  const pollOf = (obj: Service) => servicePollIntervalMs(obj, deps.timings.servicePollIntervalMs);

  const { declaredIds, listPlans, announceAll } = createServiceFanOut(deps);
  const versions = createVersionReader(deps.clock);

  return {
    store: access.store as ManagedKind<Service, ServiceObserved, ConfigAction, 'polled', Status>['store'],
    client: access.client,
    finalizer: FINALIZER,
    wantsFinalizer: () => false,
    pollIntervalMs: pollOf,
    gate(obj, nowMs) {
      const uid = obj.metadata.uid ?? `${obj.metadata.namespace}/${obj.metadata.name}`;
      const generation = obj.metadata.generation ?? 0;
      const wait = pollFloorWaitMs(
        lastPoll.get(uid),
        generation,
        nowMs,
        Math.min(POLL_FLOOR_MS, pollOf(obj)),
      );
      if (wait > 0) return { skip: { requeueAfterMs: wait } };
      lastPoll.set(uid, { generation, at: nowMs });
      return { passed: () => {} };
    },
    session(obj, ctx) {
      const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
      const uid = obj.metadata.uid ?? key;
      const generation = obj.metadata.generation ?? 0;
      const { signal } = ctx;
      const connection = () => deps.connections.get(obj.metadata.namespace ?? '', obj.metadata.name);
      return {
        async observe() {
          const conn = connection();
          const { client } = conn;
          // Timed at the request, not the answer: a write of ours that lands while the poll is in
          // flight is newer than what the poll says (the writer's own read wins until the next one).
          const startedAt = deps.clock.now();
          let info: ClusterInfo;
          try {
            info = await client.getClusterInfo({ signal });
          } catch (err) {
            const last = deps.observations.get(key);
            if (last && isStale(last, pollOf(obj), deps.clock.now()) && !staleAnnounced.has(key)) {
              // Dependents mirror this observation: tell them it no longer holds.
              staleAnnounced.add(key);
              announceAll(key, last.info, obj);
            }
            throw err;
          }
          const first = deps.observations.get(key) === undefined;
          const changed = deps.observations.record(key, info, startedAt);
          if (staleAnnounced.delete(key)) announceAll(key, info, obj);
          else if (first) {
            // Repositories waiting for this process's first poll (absent on the server ones too)
            // are looked at now, once, instead of each asking again every second.
            deps.repositoriesChanged(key, [...new Set([...changed, ...declaredIds(obj)])]);
          } else deps.repositoriesChanged(key, changed);
          await listPlans(obj, client, key, signal, ctx.log);
          const seen = configSeen.get(uid);
          let config = seen?.config;
          if (!seen || seen.generation !== generation || deps.clock.now() - seen.at > CONFIG_RECHECK_MS) {
            config = await readConfig(client, obj.spec, signal);
            configSeen.set(uid, { generation, at: deps.clock.now(), config });
          }
          return {
            info,
            activeEndpoint: client.activeNode() ?? obj.spec.endpoints[0] ?? '',
            config: config ?? {},
            // Until this process has read it, the version status last recorded stands.
            version: versions.current(uid, conn, ctx.log) ?? recordedVersion(obj.status),
          };
        },
        decide(observed) {
          const action = nextConfigAction(obj.spec, observed.config);
          return action
            ? { kind: 'act', action }
            : { kind: 'done', detail: 'polled', requeueAfterMs: pollOf(obj) };
        },
        async act(action, observed) {
          const unsupported = unsupportedConfig(action, observed.version?.version, observed.version?.profile);
          if (unsupported) throw new ConfigUnsupportedError(unsupported);
          await applyConfigAction(connection().client, action, signal);
          const config = afterConfigAction(observed.config, action);
          configSeen.set(uid, { generation, at: deps.clock.now(), config });
          return { ...observed, config };
        },
        status: ({ observed, result, now }) => ({
          ...serviceStatusFor(obj.status, observed, result, generation, now),
          pollInterval: formatDurationMs(pollOf(obj)),
        }),
      };
    },
    actionName: (action) => action.kind,
    // A new server profile lets a refused configuration through at once.
    digest: (_obj, observed) =>
      observed ? { config: observed.config, profile: observed.version?.profile ?? null } : null,
    classify: (err, action) =>
      classifyServiceError(err, action, deps.timings.credentialsRecheckMs ?? CREDENTIALS_RECHECK_MS),
    readyEventAction: 'Connect',
    forget(key) {
      deps.connections.release(...(key.split('/') as [string, string]));
      deps.observations.forget(key);
      staleAnnounced.delete(key);
      const live = new Set(access.store.list().map((s) => s.metadata.uid));
      for (const uid of configSeen.keys()) if (!live.has(uid)) configSeen.delete(uid);
      for (const uid of lastPoll.keys()) if (!live.has(uid)) lastPoll.delete(uid);
      versions.retain(live);
    },
  };
}
