import type { KubeConfig, KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KindMeta } from '../crds/index.ts';
import { type ClaimIndex, createClaimIndex } from './claim-index.ts';
import { type ClusterObservations, createClusterObservations } from './cluster-observations.ts';
import {
  createRepositoriesChanged,
  enqueueSecretDependents,
  wireDependents,
  wireOwnershipRequeues,
} from './dependents.ts';
import {
  registerBackupServiceRequestMetrics,
  registerDomainMetrics,
  registerEventMetrics,
} from './domain-metrics.ts';
import {
  KIND_META,
  KIND_NAMES,
  type KindName,
  type KindQueues,
  type KindReflectors,
  type KindTypes,
} from './kinds.ts';
import { createLifecycle } from './lifecycle.ts';
import { createReferenceIndex, type ReferenceIndex } from './reference-index.ts';
import {
  createReferencedSecrets,
  enqueueOnceSecretsRead,
  type ReferencedSecrets,
} from './referenced-secrets.ts';
import {
  type Clock,
  type Controller,
  type CustomResourceClient,
  createBackoff,
  createController,
  createCustomResourceClient,
  createEventRecorder,
  createEventsClient,
  createKubeRest,
  createReflector,
  createRuntimeMetrics,
  createSecretsClient,
  createWatch,
  createWorkQueue,
  type EventRecorder,
  EXTERNAL_API_BACKOFF,
  enqueueKeys,
  type KubeRest,
  METADATA_WATCH_ACCEPT,
  type ReadonlyStore,
  type Reconciler,
  type Reflector,
  type ReflectorHandler,
  type ReflectorOptions,
  type RuntimeMetrics,
  systemClock,
} from './runtime/index.ts';
import { createServiceConnections, type ServiceConnections } from './service-connections.ts';
import { perServiceBound, servicePartitionOf } from './service-partitions.ts';

export { dependentsCare } from './dependents.ts';
export { KIND_NAMES, type KindName } from './kinds.ts';

/**
 * Backoff of a BackupService whose poll fails: short, because its poll is what every repository,
 * run and restore of the service mirrors (a service back up is seen within half a minute).
 */
const SERVICE_POLL_BACKOFF = { baseMs: 1_000, maxMs: 30_000 } as const;

/**
 * Concurrent reconciles per kind unless {@link OperatorOptions.workersPerKind} says otherwise: four,
 * so that one BackupService's objects still get two at a time (as before the per-service bound).
 */
export const DEFAULT_WORKERS_PER_KIND = 4;

/** What a reconciler may use of one kind: its API, its cache, and a way to ask for a reconcile. */
export interface KindAccess<T extends KubernetesObject> {
  meta: KindMeta;
  client: CustomResourceClient<T>;
  store: ReadonlyStore<T>;
  enqueue(key: string): void;
  enqueueAfter(key: string, delayMs: number): void;
}

/** Intervals that shape how often the operator talks to the Backup Service. */
export interface OperatorTimings {
  /** Default poll interval of a BackupService when its spec does not set one. */
  servicePollIntervalMs: number;
  /** How often running one-shot tasks are followed. */
  taskPollIntervalMs: number;
  /** How long a finalizer waits on an unreachable Backup Service before giving up. */
  finalizerTimeoutMs: number;
  /**
   * How soon a BackupService whose credentials were refused (401/403) asks again without a change
   * of its own (a role may be granted server-side); default 60 s, doubling while refused.
   */
  credentialsRecheckMs?: number;
}

/** Everything a kind's reconciler is built from (see {@link ReconcilerFactories}). */
export interface ControllerDeps {
  kinds: { [K in KindName]: KindAccess<KindTypes[K]> };
  secrets: ReadonlyStore<V1Secret>;
  connections: ServiceConnections;
  observations: ClusterObservations;
  /**
   * Called by the BackupService reconciler after each poll with the repository ids whose entry
   * changed; enqueues the repositories, runs and restores that follow them.
   */
  repositoriesChanged(serviceKey: string, ids: readonly string[]): void;
  /** Which cached objects reference a given one (runs of a repository, repositories of a plan…). */
  references: ReferenceIndex;
  /** Which cached plans and repositories, in any namespace, claim a server object (ownership.ts). */
  claims: ClaimIndex;
  events: EventRecorder;
  timings: OperatorTimings;
  clock: Clock;
  log: Logger;
  registry: Registry;
  /**
   * Named points in non-idempotent flows (e.g. `restore:after-request`) where tests make the
   * process die, to prove exactly-once behaviour across crashes. A no-op in production.
   */
  crashPoint(name: string): void;
}

/** One reconciler factory per kind; kinds without one are watched but not reconciled. */
export type ReconcilerFactories = Partial<Record<KindName, (deps: ControllerDeps) => Reconciler>>;

/** Options for {@link createOperator}. */
export interface OperatorOptions {
  kc: KubeConfig;
  /** Namespaces to watch; all when empty. */
  namespaces: readonly string[];
  reconcilers: ReconcilerFactories;
  timings: OperatorTimings;
  /** Lease settings; omit to run without leader election (a single replica). */
  leaderElection?: {
    namespace: string;
    name: string;
    identity: string;
    leaseDurationMs?: number;
    renewDeadlineMs?: number;
    retryPeriodMs?: number;
  };
  /** reportingInstance of Events. */
  identity: string;
  log: Logger;
  registry: Registry;
  clock?: Clock;
  resyncPeriodMs?: number;
  /**
   * Concurrent reconciles per kind ({@link DEFAULT_WORKERS_PER_KIND} unless told); of one
   * BackupService's objects, at most half of them (at least one) at a time.
   */
  workersPerKind?: number;
  /** Called when leadership is lost after it was held; the process should exit (controller-runtime does). */
  onLeadershipLost?: () => void;
  /** See {@link ControllerDeps.crashPoint}; defaults to a no-op. */
  crashPoint?: (name: string) => void;
}

/** A running operator. */
export interface Operator {
  /** Starts the caches and, once leader (or at once without election), the controllers. */
  start(): Promise<void>;
  /** Stops controllers, caches and connections; releases the lease. */
  stop(): Promise<void>;
  /** True when every cache has listed at least once. */
  synced(): boolean;
  isLeader(): boolean;
  readonly deps: ControllerDeps;
}

/** What every reflector of the operator shares (all but the kind and how to list and watch it). */
type SharedReflectorOptions = Omit<ReflectorOptions<KubernetesObject>, 'kind' | 'list' | 'watchPath'>;

/** The per-kind pieces: a work queue, a reflector feeding it, and the access reconcilers get. */
interface KindCaches {
  queues: KindQueues;
  reflectors: KindReflectors;
  kinds: ControllerDeps['kinds'];
}

/**
 * Builds one client, work queue and reflector per kind (see {@link enqueueOwnKeys}); the queues of
 * kinds that talk to a Backup Service are partitioned by service (see {@link servicePartitionOf}).
 */
function createKindCaches(
  rest: KubeRest,
  reflectorOptions: SharedReflectorOptions,
  clock: Clock,
  metrics: RuntimeMetrics,
  workersPerKind: number,
): KindCaches {
  const queues = {} as KindQueues;
  const reflectors = {} as KindReflectors;
  const kinds = {} as ControllerDeps['kinds'];
  for (const name of KIND_NAMES) {
    const meta = KIND_META[name];
    const client = createCustomResourceClient<KindTypes[typeof name]>(rest, meta);
    const partitionOf = servicePartitionOf(name, reflectors);
    const queue = createWorkQueue({
      name: meta.singular,
      backoff: createBackoff(name === 'services' ? SERVICE_POLL_BACKOFF : EXTERNAL_API_BACKOFF),
      clock,
      metrics,
      ...(partitionOf ? { partitionOf, maxPerPartition: perServiceBound(workersPerKind) } : {}),
    });
    const reflector = createReflector<KindTypes[typeof name]>({
      ...reflectorOptions,
      kind: meta.kind,
      list: (ns, signal) => client.list(ns, signal),
      watchPath: (ns) => client.watchPath(ns),
    });
    queues[name] = queue;
    (reflectors as Record<KindName, Reflector<KubernetesObject>>)[name] =
      reflector as Reflector<KubernetesObject>;
    (kinds as Record<KindName, KindAccess<KubernetesObject>>)[name] = {
      meta,
      client: client as CustomResourceClient<KubernetesObject>,
      store: reflector.store as ReadonlyStore<KubernetesObject>,
      enqueue: (key) => queue.add(key),
      enqueueAfter: (key, ms) => queue.addAfter(key, ms),
    };
  }
  return { queues, reflectors, kinds };
}

/** Makes each kind's reflector enqueue its own keys, once the Secrets an object reads are cached. */
function enqueueOwnKeys(reflectors: KindReflectors, queues: KindQueues, secrets: ReferencedSecrets): void {
  for (const name of KIND_NAMES) {
    const reflector = reflectors[name] as Reflector<KubernetesObject>;
    reflector.addHandler(
      enqueueOnceSecretsRead(name, enqueueKeys(queues[name]), secrets) as ReflectorHandler<KubernetesObject>,
    );
  }
}

/** The workers of each controller, at least one. */
const workerCount = (opts: OperatorOptions): number =>
  Math.max(1, opts.workersPerKind ?? DEFAULT_WORKERS_PER_KIND);

/** Builds one controller per kind that has a reconciler factory. */
function createControllers(
  opts: OperatorOptions,
  queues: KindQueues,
  deps: ControllerDeps,
  metrics: RuntimeMetrics,
): Controller[] {
  const controllers: Controller[] = [];
  for (const kind of KIND_NAMES) {
    const factory = opts.reconcilers[kind];
    if (!factory) continue;
    controllers.push(
      createController({
        name: KIND_META[kind].singular,
        queue: queues[kind],
        reconcile: factory(deps),
        workers: workerCount(opts),
        log: deps.log,
        metrics,
        clock: deps.clock,
      }),
    );
  }
  return controllers;
}

/**
 * Assembles the operator: one reflector and work queue per kind plus the referenced Secrets, the shared
 * connections and observations, cross-kind wiring (a change to an object re-reconciles every object
 * that references it), and one controller per kind with a reconciler.
 */
export function createOperator(opts: OperatorOptions): Operator {
  const clock = opts.clock ?? systemClock;
  const log = opts.log;
  const metrics: RuntimeMetrics = createRuntimeMetrics(opts.registry);
  const rest = createKubeRest(opts.kc);
  const reflectorOptions: SharedReflectorOptions = {
    watch: createWatch(rest),
    namespaces: opts.namespaces,
    log,
    clock,
    metrics,
    ...(opts.resyncPeriodMs !== undefined ? { resyncPeriodMs: opts.resyncPeriodMs } : {}),
  };
  const { queues, reflectors, kinds } = createKindCaches(
    rest,
    reflectorOptions,
    clock,
    metrics,
    workerCount(opts),
  );
  const references = createReferenceIndex(reflectors);
  const claims = createClaimIndex(reflectors);
  const secrets = createReferencedSecrets({
    ...reflectorOptions,
    watch: createWatch(rest, { accept: METADATA_WATCH_ACCEPT }),
    secretsApi: createSecretsClient(rest),
    kinds: reflectors,
    onUnreadable: (key) => enqueueSecretDependents(references, queues, key),
  });
  enqueueOwnKeys(reflectors, queues, secrets);
  wireDependents(reflectors, secrets, queues, references);
  wireOwnershipRequeues(reflectors, queues, claims);
  registerDomainMetrics(opts.registry, {
    repositories: reflectors.repositories.store,
    services: reflectors.services.store,
    runs: reflectors.runs.store,
    restores: reflectors.restores.store,
  });
  const connections = createServiceConnections({
    services: reflectors.services.store,
    secrets: secrets.store,
    onAttempt: registerBackupServiceRequestMetrics(opts.registry),
  });
  const events = createEventRecorder({
    client: createEventsClient(rest),
    instance: opts.identity,
    log,
    clock,
    // Status first: while keys wait in any work queue, Events go at a bounded rate. Keys held by
    // a slow service's bound do not count: they would keep every Event slow for as long as it lasts.
    busy: () => KIND_NAMES.some((k) => queues[k].ready() > 0),
  });
  registerEventMetrics(opts.registry, () => events.sinkStats());
  const deps: ControllerDeps = {
    kinds,
    secrets: secrets.store,
    connections,
    observations: createClusterObservations(),
    repositoriesChanged: createRepositoriesChanged(reflectors, queues, references),
    references,
    claims,
    events,
    timings: opts.timings,
    clock,
    log,
    registry: opts.registry,
    crashPoint: opts.crashPoint ?? (() => {}),
  };
  const allReflectors = [
    ...KIND_NAMES.map((k) => reflectors[k] as Reflector<KubernetesObject>),
    secrets as Reflector<KubernetesObject>,
  ];
  const controllers = createControllers(opts, queues, deps, metrics);
  const lifecycle = createLifecycle({
    opts,
    controllers,
    queues,
    reflectors: allReflectors,
    connections,
    events,
    clock,
    metrics,
  });
  return {
    deps,
    synced: () => allReflectors.every((r) => r.hasSynced()),
    isLeader: lifecycle.isLeader,
    start: lifecycle.start,
    stop: lifecycle.stop,
  };
}
