import type { KubernetesObject, V1ObjectMeta } from '@kubernetes/client-node';
import type {
  Clock,
  CustomResourceClient,
  EventInput,
  EventRecorder,
  ReadonlyStore,
  ReconcileContext,
  ReconcileOutcome,
} from '../runtime/index.ts';
import type { Refusal, RefusalRecord } from './refusal-memory.ts';

/** The status fields the engine reads and writes; the rest belongs to the kind. */
export interface ManagedStatus {
  observedGeneration?: number | undefined;
  conditions?: { type: string; status: string; reason: string; message: string }[] | undefined;
  refusal?: RefusalRecord | undefined;
}

/** A long-lived custom resource the engine reconciles. */
export type ManagedObject = KubernetesObject & {
  metadata: V1ObjectMeta & { name: string };
  status?: ManagedStatus | undefined;
};

/** What a session's `decide` returns (pure): one write to make, or nothing left to write. */
export type Decision<A, D> =
  | { kind: 'act'; action: A }
  /** In sync, drifted under a Report policy, or waiting: `detail` says which, for status. */
  | { kind: 'done'; detail: D; requeueAfterMs?: number | undefined };

/** How a reconcile ended, as the kind's status function sees it. */
export type Result<A, D> =
  | { kind: 'done'; detail: D }
  /**
   * Refused by the API; `remembered` when the memory held the action back (nothing was sent, and
   * `error` is undefined).
   */
  | { kind: 'refused'; refusal: Refusal; action: A | undefined; remembered: boolean; error?: unknown }
  /** A transient failure (thrown to the queue after the status write). */
  | { kind: 'unavailable'; error: unknown; action: A | undefined }
  /** The step bound was reached with an action still due (looked at again shortly). */
  | { kind: 'acting'; action: A }
  /** Deletion waits for the cleanup to succeed or for its deadline. */
  | { kind: 'deleting'; reason: string; message: string };

/**
 * What `act` resolves to when the result of its write is seen by the next poll of the external API
 * rather than by a read of its own: the reconcile ends after the write, with no status write (the
 * status would only say "not seen yet", and be written again a moment later); the poll's change
 * enqueues the object again, or `lookAgainMs` does if no poll shows it. A cold sync of thousands of
 * creates then costs the write and one status write per object, plus one shared poll per second.
 */
export class AwaitPoll {
  readonly lookAgainMs: number;
  constructor(lookAgainMs: number) {
    this.lookAgainMs = lookAgainMs;
  }
}

/** Everything the kind's status function is computed from (pure). */
export interface StatusInput<T, O, A, D> {
  obj: T;
  /** The last observation, when one was made. */
  observed: O | undefined;
  result: Result<A, D>;
  /** Actions that succeeded in this reconcile, in order. */
  acted: readonly A[];
  now: Date;
}

/** What `settle` returns: the refined observation and detail, and an optional earlier requeue. */
export interface Settled<T, O, D> {
  observed: O;
  detail: D;
  /** The object after a write the session made itself (e.g. a resourceVersion-guarded patch). */
  obj?: T | undefined;
  requeueAfterMs?: number | undefined;
}

/**
 * One reconcile of one object, created per reconcile so that what it learns along the way lives in
 * the session, not in shared mutable state.
 */
export interface ReconcileSession<T, O, A, D, S> {
  /**
   * Reads the external object (GETs only). Throws what the API answered. Resolves
   * {@link AwaitPoll} when the result of a write of this process is on its way with the next poll.
   */
  observe(): Promise<O | AwaitPoll>;
  /** Pure: the next single write, or done. */
  decide(observed: O): Decision<A, D>;
  /**
   * Performs one write; resolves the observation after it, or {@link AwaitPoll} when the external
   * API's next poll shows the write (a read of its own would only repeat it).
   */
  act(action: A, observed: O): Promise<O | AwaitPoll>;
  /** Work once nothing is left to write (details read, trigger tokens); may throw like `act`. */
  settle?(observed: O, detail: D): Promise<Settled<T, O, D>>;
  /**
   * Reads what status mirrors beyond the observation (never a write), whatever the reconcile
   * decided, also while a write is refused; resolves an earlier requeue when it wants one.
   */
  mirror?(observed: O): Promise<number | undefined>;
  /** The object as the session last wrote it (a guarded patch of its own), for the status write. */
  current?(): T;
  /**
   * Pure: the whole status but `refusal` (the engine owns it) and `observedGeneration`; undefined
   * keeps the status as it is (no write at all, so observedGeneration does not move either).
   */
  status(input: StatusInput<T, O, A, D>): S | undefined;
}

/** A kind's finalizer cleanup (the engine owns the finalizer, the deadline and the Events). */
export interface ManagedCleanup<T, S> {
  /** Cleans up the external object; resolves the Event to record (Deleted, Retained, …). */
  run(obj: T, ctx: ReconcileContext): Promise<EventInput | undefined>;
  /** Why the cleanup cannot finish yet, for status. */
  problem(obj: T, err: unknown): { reason: string; message: string };
  /** The Warning recorded when the engine gives up at the deadline. */
  abandoned(obj: T, err: unknown, timeoutMs: number): EventInput;
  /** The status written while deletion waits. */
  status(obj: T, result: Extract<Result<never, never>, { kind: 'deleting' }>, now: Date): S;
}

/** What a long-lived kind gives the engine: narrow I/O in sessions, pure decisions, policies. */
export interface ManagedKind<T extends ManagedObject, O, A, D, S extends object> {
  store: ReadonlyStore<T>;
  client: Pick<CustomResourceClient<T>, 'patchStatus' | 'jsonPatch'>;
  finalizer: string;
  /** Whether the object should carry the finalizer now. */
  wantsFinalizer(obj: T): boolean;
  /**
   * A throttle before any request: `skip` ends this reconcile (nothing changed, not due); otherwise
   * `passed` is told the outcome of the reconcile that went through (not when it threw).
   */
  gate?(obj: T, nowMs: number): { skip: ReconcileOutcome } | { passed(outcome: ReconcileOutcome): void };
  session(obj: T, ctx: ReconcileContext): ReconcileSession<T, O, A, D, S>;
  /** Stable name of an action for the refusal memory and Events (`create`, `pause`, …). */
  actionName(action: A): string;
  /**
   * What of an observation a refusal depends on: when it changes, the refused action is retried.
   * When a refusal is recorded, `refusedWith` is the error, which may know more than the
   * observation (a fresh read made to explain the refusal).
   */
  digest(obj: T, observed: O | undefined, refusedWith?: unknown): unknown;
  /** Pure, by type and status code: a refusal, or undefined for a transient failure. */
  classify(err: unknown, action: A | undefined, obj: T): Refusal | undefined;
  /** The Normal Event of a successful action. */
  actedEvent?(obj: T, action: A, observed: O): EventInput | undefined;
  /** The Warning Event of a fresh refusal (not of one held back by the memory). */
  refusedEvent?(obj: T, refusal: Refusal, action: A | undefined): EventInput | undefined;
  /** Records an Event each time Ready flips (after the first True), with this action. */
  readyEventAction?: string;
  /** Records a Warning with this reason each time Stalled becomes True or changes reason. */
  stalledEventReason?: string;
  /**
   * Pure: the Events a status write stands for beyond Ready and Stalled (tasks seen finishing,
   * objectives missed), from the status before and after it and the actions of the reconcile. They
   * are recorded after the write, so that what was persisted is what deduplicates them, also
   * across operator restarts.
   */
  statusEvents?(obj: T, before: T['status'], after: S, acted: readonly A[]): EventInput[];
  cleanup?: ManagedCleanup<T, S>;
  /** Drops in-memory knowledge of an object that is gone (keys by UID where it matters). */
  forget?(key: string): void;
  /**
   * For kinds that poll the external API: the longest wait after any outcome but a refused read, so
   * that a refused or held-back write never stops the polling.
   */
  pollIntervalMs?(obj: T): number;
  /** Bound on writes per reconcile; 4 unless told. */
  maxSteps?: number;
}

/** What the engine needs besides the kind. */
export interface EngineDeps {
  events: EventRecorder;
  clock: Clock;
  /** How long a finalizer waits for its cleanup before giving up. */
  finalizerTimeoutMs: number;
}
