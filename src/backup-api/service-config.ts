import {
  type ClusterInfo,
  clusterInfoSchema,
  type NodesThreadsMap,
  nodesThreadsMapSchema,
  type ServiceConfig,
  type ServiceConfigUpdate,
  serviceConfigSchema,
} from './schemas.ts';
import type { CallOptions, Transport } from './transport.ts';

/** Cluster, service configuration and node-thread endpoints (docs/backup-service-api.md §3). */
export function serviceConfigMethods(t: Transport) {
  return {
    /** `GET /cluster/self`: all repositories grouped by state. */
    getClusterInfo: (o: CallOptions = {}): Promise<ClusterInfo> =>
      t.request({ method: 'GET', path: '/cluster/self', schema: clusterInfoSchema, signal: o.signal }),

    /** `GET /config`. */
    getConfig: (o: CallOptions = {}): Promise<ServiceConfig> =>
      t.request({ method: 'GET', path: '/config', schema: serviceConfigSchema, signal: o.signal }),

    /**
     * `POST /config` (docs, examinador) or `PATCH /config` (couchbase-cli); both exist with the same
     * validation. Out-of-range values → BSVC_INVALID.
     */
    updateConfig: (
      config: ServiceConfigUpdate,
      o: CallOptions & { method?: 'POST' | 'PATCH' } = {},
    ): Promise<void> =>
      t.request({ method: o.method ?? 'POST', path: '/config', body: config, signal: o.signal }),

    /** `GET /nodesThreadsMap` (7.6.2+); never set → BSVC_NOT_FOUND. */
    getNodesThreadsMap: (o: CallOptions = {}): Promise<NodesThreadsMap> =>
      t.request({ method: 'GET', path: '/nodesThreadsMap', schema: nodesThreadsMapSchema, signal: o.signal }),

    /** `POST /nodesThreadsMap`: replaces all per-node thread overrides. */
    setNodesThreadsMap: (map: NodesThreadsMap, o: CallOptions = {}): Promise<void> =>
      t.request({
        method: 'POST',
        path: '/nodesThreadsMap',
        body: { nodes_threads_map: map },
        signal: o.signal,
      }),

    /** `PATCH /nodesThreadsMap`: merges into the existing overrides. */
    patchNodesThreadsMap: (map: NodesThreadsMap, o: CallOptions = {}): Promise<void> =>
      t.request({
        method: 'PATCH',
        path: '/nodesThreadsMap',
        body: { nodes_threads_map: map },
        signal: o.signal,
      }),
  };
}
