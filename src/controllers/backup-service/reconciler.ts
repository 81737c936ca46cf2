import { type BackupClient, isBackupApiError } from '../../backup-api/index.ts';
import { CONDITION_TYPES } from '../../crds/index.ts';
import type { ControllerDeps } from '../operator.ts';
import type { BackupServiceResource } from '../resources.ts';
import { EventType, findCondition, type Reconciler, writeStatus } from '../runtime/index.ts';
import { ConnectionError } from '../service-connections.ts';
import { servicePollIntervalMs } from './poll-interval.ts';
import { type ServiceObservation, serviceStatus } from './status.ts';

/** How often the configuration is re-read when the spec did not change (drift is rare and cheap to fix). */
const CONFIG_RECHECK_MS = 10 * 60_000;
/** Retry delay while the service is unreachable, capped by the poll interval. */
const UNREACHABLE_RETRY_MS = 10_000;

type ServiceConfigSpec = NonNullable<BackupServiceResource['spec']['config']>;

/**
 * Makes the server's configuration match the fields the spec sets; returns the observed history
 * rotation size and, when the server refuses, its message (a user error, not a retry case).
 */
async function applyConfig(
  client: BackupClient,
  desired: ServiceConfigSpec | undefined,
  signal: AbortSignal,
): Promise<{ historyRotationSize?: number | undefined; configError?: string }> {
  try {
    const config = await client.getConfig({ signal });
    let historyRotationSize = config.history_rotation_size;
    if (desired?.historyRotationSize !== undefined && desired.historyRotationSize !== historyRotationSize) {
      await client.updateConfig({ history_rotation_size: desired.historyRotationSize }, { signal });
      historyRotationSize = desired.historyRotationSize;
    }
    if (desired?.nodesThreads) {
      const current = await client.getNodesThreadsMap({ signal }).catch((err: unknown) => {
        // Never set before: the service answers 404.
        if (isBackupApiError(err) && err.status === 404) return {};
        throw err;
      });
      if (JSON.stringify(sortKeys(current)) !== JSON.stringify(sortKeys(desired.nodesThreads))) {
        await client.setNodesThreadsMap({ ...desired.nodesThreads }, { signal });
      }
    }
    return { historyRotationSize };
  } catch (err) {
    if (isBackupApiError(err) && !err.retryable && err.status !== 401 && err.status !== 403) {
      return { configError: err.extras ? `${err.msg}: ${err.extras}` : err.msg };
    }
    throw err;
  }
}

function sortKeys(map: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(map).sort(([a], [b]) => a.localeCompare(b));
}

/**
 * The BackupService reconciler: one `GET /cluster/self` per service per poll interval, recorded in
 * the shared observations and fanned out to the repositories that changed; the cluster-wide
 * configuration is applied when the spec changes and re-checked every few minutes.
 */
export function createBackupServiceReconciler(deps: ControllerDeps): Reconciler {
  const access = deps.kinds.services;
  const configChecked = new Map<string, { generation: number; at: number }>();

  return async (req, ctx) => {
    const obj = access.store.get(req.key) as BackupServiceResource | undefined;
    if (!obj) {
      deps.connections.release(req.namespace, req.name);
      deps.observations.forget(req.key);
      configChecked.delete(req.key);
      return;
    }
    const generation = obj.metadata.generation ?? 0;
    const pollMs = servicePollIntervalMs(obj, deps.timings.servicePollIntervalMs);

    let obs: ServiceObservation;
    try {
      const { client } = deps.connections.get(req.namespace, req.name);
      const info = await client.getClusterInfo({ signal: ctx.signal });
      deps.repositoriesChanged(req.key, deps.observations.record(req.key, info, deps.clock.now()));
      const checked = configChecked.get(req.key);
      const needsConfig =
        !checked ||
        checked.generation !== generation ||
        deps.clock.now() - checked.at > CONFIG_RECHECK_MS ||
        !obj.status?.config;
      let config: { historyRotationSize?: number | undefined; configError?: string | undefined } = {
        historyRotationSize: obj.status?.config?.historyRotationSize,
      };
      if (needsConfig) {
        config = await applyConfig(client, obj.spec.config, ctx.signal);
        configChecked.set(req.key, { generation, at: deps.clock.now() });
      }
      obs = {
        kind: 'ok',
        info,
        activeEndpoint: client.activeNode() ?? obj.spec.endpoints[0] ?? '',
        historyRotationSize: config.historyRotationSize,
        configError: config.configError,
      };
    } catch (err) {
      if (err instanceof ConnectionError)
        obs = { kind: 'connection-error', code: err.code, message: err.message };
      else if (isBackupApiError(err)) obs = { kind: 'api-error', code: err.code, message: err.message };
      else throw err;
    }

    const status = serviceStatus(obj.status, obs, generation, new Date(deps.clock.now()));
    const wasReady = findCondition(obj.status?.conditions, CONDITION_TYPES.Ready)?.status;
    const ready = findCondition(status.conditions, CONDITION_TYPES.Ready);
    await writeStatus(access.client, obj, status);
    if (ready && ready.status !== wasReady && (wasReady !== undefined || ready.status !== 'True')) {
      void deps.events.record(obj, {
        type: ready.status === 'True' ? EventType.Normal : EventType.Warning,
        reason: ready.reason,
        action: 'Connect',
        note: ready.message,
      });
    }

    // Credentials problems wait for a Secret or spec change (both re-trigger); still look again
    // now and then in case the server-side user was fixed.
    if (obs.kind === 'ok') return { requeueAfterMs: pollMs };
    if (obs.kind === 'api-error' && obs.code !== 'BSVC_UNAUTHORIZED' && obs.code !== 'BSVC_FORBIDDEN') {
      return { requeueAfterMs: Math.min(pollMs, UNREACHABLE_RETRY_MS) };
    }
    return { requeueAfterMs: Math.max(pollMs, 60_000) };
  };
}
