import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { Registry } from 'prom-client';
import {
  createOperator,
  type Operator,
  type OperatorOptions,
  type ReconcilerFactories,
} from '../../src/controllers/operator.ts';
import { allReconcilers } from '../../src/controllers/reconcilers.ts';
import type { KindMeta } from '../../src/crds/index.ts';

/** Options for {@link startTestOperator}. */
export interface TestOperatorOptions {
  kc: KubeConfig;
  /** The operator watches only this namespace, so test files cannot disturb each other. */
  namespace: string;
  reconcilers?: ReconcilerFactories;
  timings?: Partial<OperatorOptions['timings']>;
  leaderElection?: OperatorOptions['leaderElection'];
  identity?: string;
  /** Concurrent reconciles per kind (the operator's default unless told). */
  workersPerKind?: number;
  /** pino level for the operator's logs (silent unless CBBS_TEST_LOG_LEVEL is set). */
  logLevel?: string;
  /** Where the operator registers its metrics (a fresh one unless told), for tests that scrape them. */
  registry?: Registry;
  /** More namespaces to watch besides `namespace` (tests across namespaces). */
  moreNamespaces?: string[];
  /** Called at the operator's named crash points (a test may throw there). */
  crashPoint?: (name: string) => void;
}

/** Starts an in-process operator against the test API server, with fast test timings. */
export async function startTestOperator(opts: TestOperatorOptions): Promise<Operator> {
  const operator = createOperator({
    kc: opts.kc,
    namespaces: [opts.namespace, ...(opts.moreNamespaces ?? [])],
    ...(opts.crashPoint ? { crashPoint: opts.crashPoint } : {}),
    reconcilers: opts.reconcilers ?? allReconcilers,
    timings: {
      servicePollIntervalMs: 1_000,
      taskPollIntervalMs: 250,
      finalizerTimeoutMs: 10_000,
      ...opts.timings,
    },
    ...(opts.leaderElection ? { leaderElection: opts.leaderElection } : {}),
    identity: opts.identity ?? `test-${opts.namespace}`,
    ...(opts.workersPerKind !== undefined ? { workersPerKind: opts.workersPerKind } : {}),
    log: pino(
      { level: opts.logLevel ?? process.env.CBBS_TEST_LOG_LEVEL ?? 'silent' },
      process.env.CBBS_TEST_LOG_FILE
        ? pino.destination({ dest: process.env.CBBS_TEST_LOG_FILE, sync: true })
        : undefined,
    ),
    registry: opts.registry ?? new Registry(),
  });
  await operator.start();
  return operator;
}

/** Reconciles of one controller so far, from the operator's own metrics. */
export async function reconciles(operator: Operator, controller: string): Promise<number> {
  const metric = await operator.deps.registry.getSingleMetric('controller_runtime_reconcile_total')?.get();
  return (metric?.values ?? [])
    .filter((v) => v.labels.controller === controller)
    .reduce((sum, v) => sum + v.value, 0);
}

/** Creates a Secret with username/password keys. */
export async function createCredentialsSecret(
  kc: KubeConfig,
  namespace: string,
  name: string,
  username = 'admin',
  password = 'password',
): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace,
    body: { metadata: { name }, stringData: { username, password } },
  });
}

/** Creates one of our custom resources from a spec. */
export async function createResource(
  kc: KubeConfig,
  meta: KindMeta,
  namespace: string,
  name: string,
  spec: object,
): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: meta.group,
    version: meta.version,
    namespace,
    plural: meta.plural,
    body: { apiVersion: meta.apiVersion, kind: meta.kind, metadata: { name, namespace }, spec },
  });
}

/** Reads one of our custom resources. */
export async function getResource<T = Record<string, unknown>>(
  kc: KubeConfig,
  meta: KindMeta,
  namespace: string,
  name: string,
): Promise<T> {
  return (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: meta.group,
    version: meta.version,
    namespace,
    plural: meta.plural,
    name,
  })) as T;
}

interface Conditioned {
  metadata?: { generation?: number };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** Polls until `predicate` holds for the resource; fails with the last status seen. */
export async function waitForResource<T extends Conditioned = Conditioned>(
  kc: KubeConfig,
  meta: KindMeta,
  namespace: string,
  name: string,
  predicate: (obj: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    try {
      last = await getResource<T>(kc, meta, namespace, name);
      if (predicate(last)) return last;
    } catch {
      // not created yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${meta.kind} ${namespace}/${name}: condition not met in ${timeoutMs} ms; last status ${JSON.stringify(last?.status)}`,
  );
}

/** True when condition `type` has `status` and the status is current (observedGeneration = generation). */
export function hasCondition(
  obj: Conditioned,
  type: string,
  status: 'True' | 'False' | 'Unknown' = 'True',
): boolean {
  const current = obj.status?.observedGeneration === obj.metadata?.generation;
  return current && (obj.status?.conditions ?? []).some((c) => c.type === type && c.status === status);
}
