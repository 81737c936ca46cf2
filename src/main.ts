#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createOperator } from './controllers/operator.ts';
import { allReconcilers } from './controllers/reconcilers.ts';
import { readConfig } from './operator/config.ts';
import { createLogger } from './operator/log.ts';
import { startMetricsServer, startProbeServer } from './operator/probe-server.ts';

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Loads credentials explicitly: client-node's loadFromDefault silently falls back to localhost:8080. */
function loadKubeConfig(path: string, env: NodeJS.ProcessEnv): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else if (env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN)) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster())
    throw new Error('no Kubernetes cluster configured: pass --kubeconfig or run in a pod');
  return kc;
}

/** Composition root: settings → logger → Kubernetes client → operator → probe and metrics servers. */
async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const result = readConfig(argv, env);
  if (result.kind === 'help') {
    process.stdout.write(result.text);
    return 0;
  }
  if (result.kind === 'error') {
    process.stderr.write(`cbbs-operator: ${result.message}\n`);
    return 2;
  }
  const config = result.config;
  const log = createLogger({ level: config.logLevel });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const kc = loadKubeConfig(config.kubeconfig, env);
  const operator = createOperator({
    kc,
    namespaces: config.namespaces,
    reconcilers: allReconcilers,
    timings: {
      servicePollIntervalMs: config.servicePollInterval,
      taskPollIntervalMs: config.taskPollInterval,
      finalizerTimeoutMs: config.finalizerTimeout,
    },
    ...(config.leaderElect
      ? {
          leaderElection: {
            namespace: config.leaseNamespace,
            name: config.leaseName,
            identity: config.identity,
          },
        }
      : {}),
    identity: config.identity,
    log,
    registry,
    resyncPeriodMs: config.resyncPeriod,
    workersPerKind: config.workers,
    ...(config.crashAt
      ? {
          crashPoint: (name: string) => {
            if (name === config.crashAt) process.kill(process.pid, 'SIGKILL');
          },
        }
      : {}),
    onLeadershipLost: () => {
      // As controller-runtime does: exit at once (no drain), another replica may lead already.
      log.fatal('leadership lost; exiting so that a restart campaigns again');
      log.flush();
      process.exit(1);
    },
  });

  const probes = await startProbeServer({
    host: config.healthAddress,
    port: config.healthPort,
    liveness: [{ name: 'ping', check: () => true }],
    readiness: [{ name: 'caches-synced', check: () => operator.synced() }],
  });
  const metricsServer = await startMetricsServer({
    host: config.metricsAddress,
    port: config.metricsPort,
    registry,
  });
  log.info(
    {
      namespaces: config.namespaces.length ? config.namespaces : 'all',
      leaderElection: config.leaderElect,
      identity: config.identity,
      workers: config.workers,
      healthPort: probes.port,
      metricsPort: metricsServer.port,
    },
    'cbbs-operator starting',
  );

  let stopping: Promise<void> | undefined;
  const shutdown = (code: number) => {
    stopping ??= (async () => {
      log.info('shutting down');
      const force = setTimeout(() => process.exit(code || 1), 30_000);
      force.unref();
      await operator.stop();
      await Promise.all([probes.close(), metricsServer.close()]);
      log.flush();
      process.exit(code);
    })();
    return stopping;
  };
  process.once('SIGTERM', () => void shutdown(0));
  process.once('SIGINT', () => void shutdown(0));

  await operator.start();
  return await new Promise<number>(() => {});
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`cbbs-operator: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
