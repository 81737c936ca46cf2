import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Secret,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  backupPlanKind,
  backupRepositoryKind,
  backupRestoreKind,
  backupRunKind,
  backupServiceKind,
  type KindMeta,
} from '../crds/index.ts';
import { type ClusterObservations, createClusterObservations } from './cluster-observations.ts';
import { registerBackupServiceRequestMetrics, registerDomainMetrics } from './domain-metrics.ts';
import {
  planReferences,
  type References,
  repositoryReferences,
  restoreReferences,
  runReferences,
  serviceReferences,
} from './references.ts';
import type {
  BackupPlanResource,
  BackupRepositoryResource,
  BackupRestoreResource,
  BackupRunResource,
  BackupServiceResource,
} from './resources.ts';
import {
  type Clock,
  type Controller,
  type CustomResourceClient,
  createApiFactory,
  createBackoff,
  createController,
  createCustomResourceClient,
  createEventRecorder,
  createLeaderElector,
  createReflector,
  createRuntimeMetrics,
  createWatch,
  createWorkQueue,
  type EventRecorder,
  EXTERNAL_API_BACKOFF,
  enqueueKeys,
  type LeaderElector,
  type ReadonlyDeep,
  type ReadonlyStore,
  type Reconciler,
  type Reflector,
  type RuntimeMetrics,
  splitKey,
  systemClock,
  type WorkQueue,
} from './runtime/index.ts';
import { createServiceConnections, type ServiceConnections } from './service-connections.ts';

/**
 * Backoff of a BackupService whose poll fails: short, because its poll is what every repository,
 * run and restore of the service mirrors (a service back up is seen within half a minute).
 */
const SERVICE_POLL_BACKOFF = { baseMs: 1_000, maxMs: 30_000 } as const;

/** The five kinds, by the name the operator uses for them internally. */
export const KIND_NAMES = ['services', 'plans', 'repositories', 'runs', 'restores'] as const;
export type KindName = (typeof KIND_NAMES)[number];

interface KindTypes {
  services: BackupServiceResource;
  plans: BackupPlanResource;
  repositories: BackupRepositoryResource;
  runs: BackupRunResource;
  restores: BackupRestoreResource;
}

const KIND_META: Record<KindName, KindMeta> = {
  services: backupServiceKind,
  plans: backupPlanKind,
  repositories: backupRepositoryKind,
  runs: backupRunKind,
  restores: backupRestoreKind,
};

const REFERENCES: { [K in KindName]: (obj: ReadonlyDeep<KindTypes[K]>) => References } = {
  services: (o) => serviceReferences(o as BackupServiceResource),
  plans: (o) => planReferences(o as BackupPlanResource),
  repositories: (o) => repositoryReferences(o as BackupRepositoryResource),
  runs: (o) => runReferences(o as BackupRunResource),
  restores: (o) => restoreReferences(o as BackupRestoreResource),
};

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

interface StatusFacts {
  metadata?: { generation?: number | undefined; deletionTimestamp?: unknown } | undefined;
  status?:
    | { state?: string | undefined; conditions?: readonly { type: string; status: string }[] | undefined }
    | undefined;
}

/** Whether an update of an object can change what the objects that reference it do (pure). */
export function dependentsCare(old: ReadonlyDeep<StatusFacts>, current: ReadonlyDeep<StatusFacts>): boolean {
  const ready = (o: ReadonlyDeep<StatusFacts>) =>
    o.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return (
    old.metadata?.generation !== current.metadata?.generation ||
    old.metadata?.deletionTimestamp !== current.metadata?.deletionTimestamp ||
    ready(old) !== ready(current) ||
    old.status?.state !== current.status?.state
  );
}

/** Name of the object's namespace-local dependency lists that point at `kind`. */
const REF_FIELD: Partial<Record<KindName, keyof References>> = {
  services: 'services',
  plans: 'plans',
  repositories: 'repositories',
};

/**
 * Assembles the operator: one reflector and work queue per kind plus a Secret reflector, the shared
 * connections and observations, cross-kind wiring (a change to an object re-reconciles every object
 * that references it), and one controller per kind with a reconciler.
 */
export function createOperator(opts: OperatorOptions): Operator {
  const clock = opts.clock ?? systemClock;
  const log = opts.log;
  const metrics: RuntimeMetrics = createRuntimeMetrics(opts.registry);
  const api = createApiFactory(opts.kc);
  const customObjects = api.makeApiClient(CustomObjectsApi);
  const core = api.makeApiClient(CoreV1Api);
  const watch = createWatch(opts.kc);
  const namespaces = opts.namespaces;

  const reflectorOptions = {
    watch,
    namespaces,
    log,
    clock,
    metrics,
    ...(opts.resyncPeriodMs !== undefined ? { resyncPeriodMs: opts.resyncPeriodMs } : {}),
  };

  const queues = {} as Record<KindName, WorkQueue>;
  const reflectors = {} as { [K in KindName]: Reflector<KindTypes[K]> };
  const kinds = {} as { [K in KindName]: KindAccess<KindTypes[K]> };
  for (const name of KIND_NAMES) {
    const meta = KIND_META[name];
    const client = createCustomResourceClient<KindTypes[typeof name]>(customObjects, meta);
    const queue = createWorkQueue({
      name: meta.singular,
      backoff: createBackoff(name === 'services' ? SERVICE_POLL_BACKOFF : EXTERNAL_API_BACKOFF),
      clock,
      metrics,
    });
    const reflector = createReflector<KindTypes[typeof name]>({
      ...reflectorOptions,
      kind: meta.kind,
      list: (ns) => client.list(ns),
      watchPath: (ns) => client.watchPath(ns),
    });
    reflector.addHandler(enqueueKeys(queue));
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

  const secrets = createReflector<V1Secret>({
    ...reflectorOptions,
    kind: 'Secret',
    list: async (ns) =>
      (ns
        ? await core.listNamespacedSecret({ namespace: ns })
        : await core.listSecretForAllNamespaces()) as KubernetesListObject<V1Secret>,
    watchPath: (ns) => (ns ? `/api/v1/namespaces/${ns}/secrets` : '/api/v1/secrets'),
  });

  /** Enqueues every object of every kind whose references name `target` in its namespace. */
  const enqueueDependents = (field: keyof References, key: string) => {
    const { namespace, name } = splitKey(key);
    for (const kind of KIND_NAMES) {
      const refsOf = REFERENCES[kind] as (o: ReadonlyDeep<KubernetesObject>) => References;
      for (const obj of reflectors[kind].store.list(namespace) as ReadonlyDeep<KubernetesObject>[]) {
        if (refsOf(obj)[field].includes(name)) queues[kind].add(`${namespace}/${obj.metadata?.name}`);
      }
    }
  };
  // Secrets: any content change matters (rotation), so no generation filter.
  secrets.addHandler((type, key, obj, old) => {
    if (type === 'update' && old && JSON.stringify(old.data) === JSON.stringify(obj.data)) return;
    enqueueDependents('secrets', key);
  });
  for (const kind of ['services', 'plans', 'repositories'] as const) {
    const field = REF_FIELD[kind]!;
    // Dependents care about the spec and a few status facts (a plan becoming Ready lets its
    // repositories proceed), not about every status write (repository counts, timestamps).
    reflectors[kind].addHandler((type, key, obj, old) => {
      if (type === 'resync') return;
      if (type === 'update' && old && !dependentsCare(old, obj)) return;
      enqueueDependents(field, key);
    });
  }

  registerDomainMetrics(opts.registry, {
    repositories: reflectors.repositories.store,
    runs: reflectors.runs.store,
    restores: reflectors.restores.store,
  });
  // A run that finishes adds a backup: its repository refreshes its backup summary.
  reflectors.runs.addHandler((type, _key, obj, old) => {
    if (type !== 'update' || !old || old.status?.phase === obj.status?.phase) return;
    const ref = obj.spec.repository.repositoryRef;
    if (ref) queues.repositories.add(`${obj.metadata.namespace ?? ''}/${ref.name}`);
  });
  const connections = createServiceConnections({
    services: reflectors.services.store,
    secrets: secrets.store,
    onAttempt: registerBackupServiceRequestMetrics(opts.registry),
  });
  const observations = createClusterObservations();
  const eventsApi = api.makeApiClient(EventsV1Api);
  const events = createEventRecorder({ client: eventsApi, instance: opts.identity, log, clock });

  const repositoriesChanged = (serviceKey: string, ids: readonly string[]) => {
    if (ids.length === 0) return;
    const { namespace, name: serviceName } = splitKey(serviceKey);
    const changed = new Set(ids);
    const followed = new Set<string>();
    for (const repo of reflectors.repositories.store.list(namespace)) {
      const id = repo.spec.repositoryId ?? repo.metadata.name;
      if (repo.spec.serviceRef.name === serviceName && changed.has(id)) {
        followed.add(repo.metadata.name);
        queues.repositories.add(`${namespace}/${repo.metadata.name}`);
      }
    }
    // A plan the server refused to change or delete while a repository used it can proceed once
    // the repositories change; the plan reconciler reads the same observation, so this is free.
    for (const plan of reflectors.plans.store.list(namespace)) {
      if (plan.spec.serviceRef.name === serviceName) queues.plans.add(`${namespace}/${plan.metadata.name}`);
    }
    for (const kind of ['runs', 'restores'] as const) {
      for (const obj of reflectors[kind].store.list(namespace)) {
        const source =
          kind === 'runs'
            ? (obj as BackupRunResource).spec.repository
            : (obj as BackupRestoreResource).spec.source;
        const direct =
          source.serviceRef?.name === serviceName && source.repositoryId && changed.has(source.repositoryId);
        const viaRepo = source.repositoryRef && followed.has(source.repositoryRef.name);
        if (direct || viaRepo) queues[kind].add(`${namespace}/${obj.metadata.name}`);
      }
    }
  };

  const deps: ControllerDeps = {
    kinds,
    secrets: secrets.store,
    connections,
    observations,
    repositoriesChanged,
    events,
    timings: opts.timings,
    clock,
    log,
    registry: opts.registry,
    crashPoint: opts.crashPoint ?? (() => {}),
  };

  const controllers: Controller[] = [];
  for (const kind of KIND_NAMES) {
    const factory = opts.reconcilers[kind];
    if (!factory) continue;
    controllers.push(
      createController({
        name: KIND_META[kind].singular,
        queue: queues[kind],
        reconcile: factory(deps),
        workers: opts.workersPerKind ?? 2,
        log,
        metrics,
        clock,
      }),
    );
  }

  const allReflectors = [
    ...KIND_NAMES.map((k) => reflectors[k] as Reflector<KubernetesObject>),
    secrets as Reflector<KubernetesObject>,
  ];
  let elector: LeaderElector | undefined;
  let leading = false;
  let stopped = false;

  /** Resolves once every cache has listed; logs while waiting (e.g. a CRD that is not installed). */
  const cachesSynced = async (): Promise<void> => {
    let waited = 0;
    while (!stopped && !allReflectors.every((r) => r.hasSynced())) {
      await new Promise((r) => clock.setTimeout(() => r(undefined), 100));
      waited += 100;
      if (waited % 30_000 === 0) log.warn({ waitedMs: waited }, 'caches not synced yet; controllers wait');
    }
  };

  /**
   * Starts the controllers once the caches are complete: reconciling from a half-filled cache would
   * report objects as missing (a Secret not listed yet) and flap Ready on every restart. When
   * `leadership` aborts, the controllers stop at once, without draining: another replica may be
   * leading already.
   */
  const startControllers = async (leadership?: AbortSignal): Promise<void> => {
    await cachesSynced();
    if (stopped || leadership?.aborted) return;
    leading = true;
    for (const c of controllers) c.start();
    leadership?.addEventListener('abort', () => {
      leading = false;
      for (const c of controllers) void c.stop({ drainTimeoutMs: 0 });
    });
  };

  return {
    deps,
    synced: () => allReflectors.every((r) => r.hasSynced()),
    isLeader: () => leading,
    async start() {
      for (const r of allReflectors) r.start();
      if (!opts.leaderElection) {
        void startControllers();
        return;
      }
      const le = opts.leaderElection;
      // Lease calls get a short deadline: a renewal hanging on a slow API server must not outlive
      // the renew deadline, or two replicas could lead at once.
      const leaseApi = createApiFactory(opts.kc, { requestTimeoutMs: 3_000 }).makeApiClient(
        CoordinationV1Api,
      );
      elector = createLeaderElector({
        client: leaseApi,
        namespace: le.namespace,
        name: le.name,
        identity: le.identity,
        ...(le.leaseDurationMs !== undefined ? { leaseDurationMs: le.leaseDurationMs } : {}),
        ...(le.renewDeadlineMs !== undefined ? { renewDeadlineMs: le.renewDeadlineMs } : {}),
        ...(le.retryPeriodMs !== undefined ? { retryPeriodMs: le.retryPeriodMs } : {}),
        onStartedLeading: (signal) => void startControllers(signal),
        onStoppedLeading: () => {
          const wasLeading = leading;
          leading = false;
          if (wasLeading && !stopped) opts.onLeadershipLost?.();
        },
        log,
        clock,
        metrics,
      });
      void elector.run();
    },
    async stop() {
      stopped = true;
      for (const q of Object.values(queues)) q.shutDown();
      await Promise.all(controllers.map((c) => c.stop({ drainTimeoutMs: 10_000 })));
      await elector?.stop();
      await Promise.all(allReflectors.map((r) => r.stop()));
      await connections.close();
    },
  };
}
