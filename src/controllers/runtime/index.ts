// Public surface of the generic controller runtime (no Couchbase knowledge lives here).
export { type Backoff, type BackoffOptions, createBackoff, EXTERNAL_API_BACKOFF } from './backoff.ts';
export { type Clock, sleep, systemClock, type TimerHandle } from './clock.ts';
export { byCodeUnits } from './code-unit-order.ts';
export {
  type Condition,
  type ConditionInput,
  ConditionStatus,
  conditionSchema,
  findCondition,
  isConditionTrue,
  KStatusState,
  KStatusType,
  metaTime,
  removeCondition,
  setCondition,
  setKStatus,
} from './conditions.ts';
export {
  type Controller,
  type ControllerOptions,
  createController,
  type ReconcileContext,
  type ReconcileOutcome,
  type ReconcileRequest,
  type Reconciler,
} from './controller.ts';
export {
  createEventsClient,
  createLeaseClient,
  createSecretsClient,
  type ListPage,
  type SecretsClient,
} from './core-resources.ts';
export {
  ErrorPolicy,
  errorPolicy,
  isConflict,
  isGone,
  isInvalid,
  isNotFound,
  isTerminal,
  type KubeStatus,
  kubeStatus,
  kubeStatusCode,
  TerminalError,
} from './errors.ts';
export {
  createEventRecorder,
  type DedupingEventRecorder,
  type DedupStats,
  type EventInput,
  type EventRecorder,
  type EventsClient,
  EventType,
  REPORTING_CONTROLLER,
} from './events.ts';
export {
  addFinalizerPatch,
  ensureFinalizer,
  FinalizerConflictError,
  hasFinalizer,
  isDeleting,
  removeFinalizer,
  removeFinalizerPatch,
} from './finalizer.ts';
export {
  type CustomResourceClient,
  collectionPath,
  createCustomResourceClient,
  createKubeRest,
  type JsonPatchOp,
  KubeApiError,
  type KubeRequest,
  type KubeRest,
  type KubeRestOptions,
  METADATA_LIST_ACCEPT,
  METADATA_WATCH_ACCEPT,
  objectPath,
  type ResourceRef,
} from './kube-client.ts';
export { createWatch, type WatchOptions } from './kube-watch.ts';
export {
  createLeaderElector,
  type LeaderElector,
  type LeaderElectorOptions,
  type LeaseClient,
} from './leader-election.ts';
export { createRuntimeMetrics, ReconcileResult, type RuntimeMetrics } from './metrics.ts';
export { MicroTime } from './micro-time.ts';
export {
  createReflector,
  desiredStateChanged,
  enqueueKeys,
  type Reflector,
  type ReflectorEventType,
  type ReflectorHandler,
  type ReflectorOptions,
  type WatchClient,
} from './reflector.ts';
export { createReflectorCache, type ReflectorCache } from './reflector-cache.ts';
export {
  computeStatusPatch,
  jsonEqual,
  mergePatchBetween,
  type StatusPatch,
  writeStatus,
} from './status-writer.ts';
export { deepFreeze, objectKey, type ReadonlyDeep, type ReadonlyStore, splitKey } from './store.ts';
export { createWorkQueue, type WorkQueue, type WorkQueueOptions } from './work-queue.ts';
