import { type BackupClient, isBackupApiError } from '../../backup-api/index.ts';
import type { BackupServiceResource } from '../resources.ts';
import { byCodeUnits, type ReadonlyDeep } from '../runtime/index.ts';

/** How often the configuration is re-read when the spec did not change (drift is rare and cheap to fix). */
export const CONFIG_RECHECK_MS = 10 * 60_000;

/** The cluster-wide configuration as last read from the service. */
export interface ObservedConfig {
  historyRotationSize?: number | undefined;
  /** Only read when the spec sets a node thread map. */
  nodesThreads?: Readonly<Record<string, number>> | undefined;
}

/** One write of the cluster-wide configuration. */
export type ConfigAction =
  | { kind: 'set-history-rotation'; to: number }
  | { kind: 'set-nodes-threads'; map: Readonly<Record<string, number>> };

type Spec = ReadonlyDeep<BackupServiceResource['spec']> | BackupServiceResource['spec'];

const sorted = (map: Readonly<Record<string, number>> | undefined) =>
  JSON.stringify(Object.entries(map ?? {}).sort(([a], [b]) => byCodeUnits(a, b)));

/** The next configuration write the spec asks for, if any (pure). */
export function nextConfigAction(spec: Spec, observed: ObservedConfig): ConfigAction | undefined {
  const want = spec.config;
  if (want?.historyRotationSize !== undefined && want.historyRotationSize !== observed.historyRotationSize) {
    return { kind: 'set-history-rotation', to: want.historyRotationSize };
  }
  if (want?.nodesThreads && sorted(want.nodesThreads) !== sorted(observed.nodesThreads)) {
    return { kind: 'set-nodes-threads', map: { ...want.nodesThreads } };
  }
  return undefined;
}

/** The configuration after `action` succeeded (pure). */
export function afterConfigAction(observed: ObservedConfig, action: ConfigAction): ObservedConfig {
  return action.kind === 'set-history-rotation'
    ? { ...observed, historyRotationSize: action.to }
    : { ...observed, nodesThreads: action.map };
}

/** Reads the configuration the spec manages (the node thread map only when the spec sets one). */
export async function readConfig(
  client: BackupClient,
  spec: Spec,
  signal: AbortSignal,
): Promise<ObservedConfig> {
  const config = await client.getConfig({ signal });
  if (!spec.config?.nodesThreads) return { historyRotationSize: config.history_rotation_size };
  const nodesThreads = await client.getNodesThreadsMap({ signal }).catch((err: unknown) => {
    // Never set before: the service answers 404.
    if (isBackupApiError(err) && err.status === 404) return {};
    throw err;
  });
  return { historyRotationSize: config.history_rotation_size, nodesThreads };
}

/** Performs one configuration write. */
export async function applyConfigAction(
  client: BackupClient,
  action: ConfigAction,
  signal: AbortSignal,
): Promise<void> {
  if (action.kind === 'set-history-rotation') {
    await client.updateConfig({ history_rotation_size: action.to }, { signal });
  } else {
    await client.setNodesThreadsMap({ ...action.map }, { signal });
  }
}

/** The spec asks for a configuration the server's version does not have; nothing is sent. */
export class ConfigUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigUnsupportedError';
  }
}

/**
 * Why `action` cannot be sent to a server of this profile (pure): node thread maps need 7.6.2, so
 * a 7.2 profile refuses them. Undefined when it can, or while the profile is unknown.
 */
export function unsupportedConfig(
  action: ConfigAction,
  version: string | undefined,
  profile: string | undefined,
): string | undefined {
  if (action.kind !== 'set-nodes-threads' || profile !== '7.2') return undefined;
  return `spec.config.nodesThreads needs Couchbase Server 7.6.2 or later; the server runs ${version ?? 'an older version'} (profile ${profile}). Remove spec.config.nodesThreads or upgrade the cluster.`;
}
