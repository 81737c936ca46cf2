import {
  EventType,
  ensureFinalizer,
  hasFinalizer,
  isDeleting,
  KStatusType,
  type ReconcileContext,
  type ReconcileOutcome,
  type Reconciler,
  removeFinalizer,
  TerminalError,
  writeStatus,
} from '../runtime/index.ts';
import { deletionDeadlinePassed } from './deletion-deadline.ts';
import type { EngineDeps, ManagedKind, ManagedObject, ManagedStatus, Result } from './managed-kind.ts';
import {
  observationDigest,
  type Refusal,
  type RefusalRecord,
  refusalRecord,
  rememberedRefusal,
} from './refusal-memory.ts';

/** Shortest and longest pause between two cleanup attempts while deletion waits. */
const CLEANUP_RETRY_MIN_MS = 500;
const CLEANUP_RETRY_MAX_MS = 30_000;
/** Pause before the next step when the step bound was reached with an action still due. */
const MORE_STEPS_MS = 1_000;

/**
 * The managed-resource engine for long-lived kinds (crossplane-runtime's managed reconciler in
 * spirit). The kind gives a session per reconcile (observe with GETs, decide purely, act with one
 * write, compute status purely) and policies (classify a refusal, Events, cleanup); the engine owns
 * the control flow once:
 * - finalizer and deletion deadline, with the kind's Events;
 * - one memory of refusals, keyed by generation, action and observation, persisted in
 *   `status.refusal` so that it survives restarts and leader handover, with a re-check time for
 *   refusals the user can fix outside the spec;
 * - the status write (only when changed) and Events on transitions (Ready, Stalled);
 * - one result policy: a transient error is thrown after the status says so (the queue backs off,
 *   jittered); a refusal is written to status and ends as a bounded requeue (its re-check) or a
 *   `TerminalError` (only a change helps).
 */
export function createManagedReconciler<T extends ManagedObject, O, A, D, S extends object>(
  kind: ManagedKind<T, O, A, D, S>,
  deps: EngineDeps,
): Reconciler {
  const record = (obj: T, event: Parameters<EngineDeps['events']['record']>[1] | undefined) => {
    if (event) void deps.events.record(obj, event);
  };

  /** Writes `status` plus the refusal memory; records Events on Ready and Stalled transitions. */
  const write = async (obj: T, status: S, refusal: RefusalRecord | undefined): Promise<void> => {
    const next: S & ManagedStatus = { ...status, refusal };
    if (!refusal) delete next.refusal;
    await writeStatus(kind.client, obj, next);
    transitionEvents(obj, next.conditions);
  };

  const transitionEvents = (obj: T, conditions: ManagedStatus['conditions']) => {
    const before = obj.status?.conditions;
    const ready = conditions?.find((c) => c.type === KStatusType.Ready);
    const wasReady = before?.find((c) => c.type === KStatusType.Ready);
    if (
      kind.readyEventAction &&
      ready &&
      ready.status !== wasReady?.status &&
      (wasReady !== undefined || ready.status !== 'True')
    ) {
      record(obj, {
        type: ready.status === 'True' ? EventType.Normal : EventType.Warning,
        reason: ready.reason,
        action: kind.readyEventAction,
        note: ready.message,
      });
    }
    const stalled = conditions?.find((c) => c.type === KStatusType.Stalled);
    const wasStalled = before?.find((c) => c.type === KStatusType.Stalled);
    if (
      kind.stalledEventReason &&
      stalled?.status === 'True' &&
      (wasStalled?.status !== 'True' || wasStalled.reason !== stalled.reason)
    ) {
      record(obj, {
        type: EventType.Warning,
        reason: kind.stalledEventReason,
        action: 'Reconcile',
        note: stalled.message,
      });
    }
  };

  const finalize = async (obj: T, ctx: ReconcileContext): Promise<ReconcileOutcome | undefined> => {
    if (!hasFinalizer(obj, kind.finalizer)) return undefined;
    const cleanup = kind.cleanup;
    if (!cleanup) {
      await removeFinalizer(kind.client, obj, kind.finalizer);
      return undefined;
    }
    try {
      record(obj, await cleanup.run(obj, ctx));
    } catch (err) {
      const nowMs = deps.clock.now();
      if (deletionDeadlinePassed(obj, deps.finalizerTimeoutMs, nowMs)) {
        record(obj, cleanup.abandoned(obj, err, deps.finalizerTimeoutMs));
      } else {
        ctx.log.info({ err }, 'cleanup cannot finish yet');
        const problem = cleanup.problem(obj, err);
        await write(
          obj,
          cleanup.status(obj, { kind: 'deleting', ...problem }, new Date(nowMs)),
          obj.status?.refusal,
        );
        const since = Date.parse(obj.metadata.deletionTimestamp as unknown as string);
        const remaining = since + deps.finalizerTimeoutMs - nowMs;
        return {
          requeueAfterMs: Math.max(CLEANUP_RETRY_MIN_MS, Math.min(CLEANUP_RETRY_MAX_MS, remaining + 100)),
        };
      }
    }
    await removeFinalizer(kind.client, obj, kind.finalizer);
    kind.forget?.(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
    return undefined;
  };

  const reconcileLive = async (start: T, ctx: ReconcileContext): Promise<ReconcileOutcome | undefined> => {
    let obj = start;
    const generation = obj.metadata.generation ?? 0;
    const session = kind.session(obj, ctx);
    const acted: A[] = [];
    let memory = obj.status?.refusal;
    if (memory && memory.generation !== generation) memory = undefined;
    let observed: O | undefined;
    let action: A | undefined;
    const poll = kind.pollIntervalMs?.(obj);

    const end = async (result: Result<A, D>, refusal = memory) => {
      const now = new Date(deps.clock.now());
      await write(obj, session.status({ obj, observed, result, acted, now }), refusal);
    };

    /** The one result policy for anything thrown by observe, act or settle. */
    const failed = async (err: unknown): Promise<ReconcileOutcome> => {
      const refusal = kind.classify(err, action, obj);
      if (!refusal) {
        await end({ kind: 'unavailable', error: err, action });
        throw err;
      }
      // A refused GET is not remembered (it is asked again anyway); a refused write is.
      const remembered =
        action === undefined
          ? memory
          : refusalRecord(
              {
                generation,
                action: kind.actionName(action),
                observed: observationDigest(kind.digest(obj, observed, err)),
              },
              refusal,
              deps.clock.now(),
            );
      await end({ kind: 'refused', refusal, action, remembered: false, error: err }, remembered);
      record(obj, kind.refusedEvent?.(obj, refusal, action));
      // A refused write of a polling kind waits for the next poll at the latest; a refused read
      // keeps its own re-check (nothing else can be polled without it).
      const after = earliest(refusal.recheckAfterMs, action === undefined ? undefined : poll);
      if (after !== undefined) return { requeueAfterMs: after };
      if (refusal.waiting) return {};
      throw new TerminalError(refusal.message, { cause: err });
    };

    try {
      observed = await session.observe();
      for (let step = 0; ; step++) {
        const decision = session.decide(observed);
        if (decision.kind === 'done') {
          let detail = decision.detail;
          let requeueAfterMs = decision.requeueAfterMs;
          if (session.settle) {
            const settled = await session.settle(observed, detail);
            observed = settled.observed;
            detail = settled.detail;
            if (settled.obj) obj = settled.obj;
            requeueAfterMs = earliest(requeueAfterMs, settled.requeueAfterMs);
          }
          action = undefined;
          await end({ kind: 'done', detail }, acted.length > 0 ? undefined : memory);
          return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
        }
        action = decision.action;
        if (step >= (kind.maxSteps ?? 4)) {
          await end({ kind: 'acting', action });
          return { requeueAfterMs: MORE_STEPS_MS };
        }
        const verdict = rememberedRefusal(
          memory,
          {
            generation,
            action: kind.actionName(action),
            observed: observationDigest(kind.digest(obj, observed)),
          },
          deps.clock.now(),
        );
        if (verdict.kind === 'refused') {
          const refusal: Refusal = { reason: verdict.record.reason, message: verdict.record.message };
          await end({ kind: 'refused', refusal, action, remembered: true }, verdict.record);
          const after = earliest(verdict.recheckInMs, poll);
          return after === undefined ? undefined : { requeueAfterMs: after };
        }
        observed = await session.act(action, observed);
        acted.push(action);
        memory = undefined;
        record(obj, kind.actedEvent?.(obj, action, observed));
      }
    } catch (err) {
      return await failed(err);
    }
  };

  return async (req, ctx) => {
    const obj = kind.store.get(req.key) as T | undefined;
    if (!obj) {
      kind.forget?.(req.key);
      return undefined;
    }
    const gate = kind.gate?.(obj, deps.clock.now());
    if (gate && 'skip' in gate) return gate.skip;
    let outcome: ReconcileOutcome | undefined;
    if (isDeleting(obj)) {
      outcome = await finalize(obj, ctx);
    } else if (kind.wantsFinalizer(obj) !== hasFinalizer(obj, kind.finalizer)) {
      // The resulting watch event starts the next reconcile.
      if (kind.wantsFinalizer(obj)) await ensureFinalizer(kind.client, obj, kind.finalizer);
      else await removeFinalizer(kind.client, obj, kind.finalizer);
      outcome = {};
    } else {
      outcome = await reconcileLive(obj, ctx);
    }
    gate?.passed(outcome ?? {});
    return outcome;
  };
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
