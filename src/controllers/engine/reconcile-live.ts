import { isConflict, type ReconcileContext, type ReconcileOutcome, TerminalError } from '../runtime/index.ts';
import { type EngineCore, earliest } from './engine-core.ts';
import { AwaitPoll, type ManagedObject, type ReconcileSession, type Result } from './managed-kind.ts';
import {
  observationDigest,
  type Refusal,
  type RefusalRecord,
  refusalRecord,
  rememberedRefusal,
} from './refusal-memory.ts';

/**
 * Pause before the next step when the step bound was reached with an action still due: writes
 * that the service accepts but that do not converge must not turn into a fast loop.
 */
const MORE_STEPS_MS = 5_000;

/** What one reconcile of a live (not deleting) object carries from step to step. */
interface Run<T, O, A, D, S> {
  obj: T;
  session: ReconcileSession<T, O, A, D, S>;
  generation: number;
  acted: A[];
  /** The refusal memory of this generation, as read from status (cleared once an action succeeds). */
  memory: RefusalRecord | undefined;
  observed: O | undefined;
  /** The action being decided or performed, for classification of what it threw. */
  action: A | undefined;
  pollMs: number | undefined;
}

/**
 * Reconciles a live object: observe, then decide → (refusal memory) → act, at most `maxSteps`
 * writes, then settle, then one status write. Anything thrown goes through {@link failed}, the one
 * result policy.
 */
export async function reconcileLive<T extends ManagedObject, O, A, D, S extends object>(
  core: EngineCore<T, O, A, D, S>,
  obj: T,
  ctx: ReconcileContext,
): Promise<ReconcileOutcome | undefined> {
  const { kind } = core;
  const generation = obj.metadata.generation ?? 0;
  // What this process wrote last wins over a cache that may not show it yet (a reconcile right
  // after a refusal would otherwise send the refused write again); after a restart, status holds it.
  const stored = core.lastRefusal(obj)?.record ?? (core.lastRefusal(obj) ? undefined : obj.status?.refusal);
  const run: Run<T, O, A, D, S> = {
    obj,
    session: kind.session(obj, ctx),
    generation,
    acted: [],
    memory: stored && stored.generation === generation ? stored : undefined,
    observed: undefined,
    action: undefined,
    pollMs: kind.pollIntervalMs?.(obj),
  };
  try {
    const seen = await run.session.observe();
    // Nothing to decide before the poll shows our write, and nothing new to say in status.
    if (seen instanceof AwaitPoll) return { requeueAfterMs: seen.lookAgainMs, fallback: true };
    run.observed = seen;
    for (let step = 0; ; step++) {
      const decision = run.session.decide(run.observed);
      if (decision.kind === 'done') return await finish(core, run, decision.detail, decision.requeueAfterMs);
      run.action = decision.action;
      if (step >= (kind.maxSteps ?? 4)) {
        await end(core, run, { kind: 'acting', action: run.action }, run.memory);
        return { requeueAfterMs: MORE_STEPS_MS };
      }
      const held = await heldBack(core, run, run.action);
      if (held) return held.outcome;
      const after = await run.session.act(run.action, run.observed);
      run.acted.push(run.action);
      run.memory = undefined;
      if (!(after instanceof AwaitPoll)) run.observed = after;
      core.record(run.obj, kind.actedEvent?.(run.obj, run.action, run.observed));
      if (after instanceof AwaitPoll) return { requeueAfterMs: after.lookAgainMs, fallback: true };
    }
  } catch (err) {
    return await failed(core, run, err);
  }
}

/** Writes the status of this reconcile with `refusal` as the memory to keep. */
async function end<T extends ManagedObject, O, A, D, S extends object>(
  core: EngineCore<T, O, A, D, S>,
  run: Run<T, O, A, D, S>,
  result: Result<A, D>,
  refusal: RefusalRecord | undefined,
): Promise<void> {
  const now = new Date(core.deps.clock.now());
  // The session's own guarded patch (a trigger echo) is newer than the object it started from.
  const obj = run.session.current?.() ?? run.obj;
  const { observed, acted } = run;
  await core.write(obj, run.session.status({ obj, observed, result, acted, now }), refusal, acted);
}

/** Nothing left to write: settle, then the status; the refusal memory has nothing to stand for. */
async function finish<T extends ManagedObject, O, A, D, S extends object>(
  core: EngineCore<T, O, A, D, S>,
  run: Run<T, O, A, D, S>,
  decided: D,
  decidedRequeueMs: number | undefined,
): Promise<ReconcileOutcome | undefined> {
  let detail = decided;
  let requeueAfterMs = decidedRequeueMs;
  run.action = undefined;
  if (run.session.settle) {
    const settled = await run.session.settle(run.observed as O, detail);
    run.observed = settled.observed;
    detail = settled.detail;
    if (settled.obj) run.obj = settled.obj;
    requeueAfterMs = earliest(requeueAfterMs, settled.requeueAfterMs);
  }
  requeueAfterMs = earliest(requeueAfterMs, await mirror(run));
  await end(core, run, { kind: 'done', detail }, undefined);
  return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
}

/** When the memory holds `action` back: the status of the remembered refusal and when to look again. */
async function heldBack<T extends ManagedObject, O, A, D, S extends object>(
  core: EngineCore<T, O, A, D, S>,
  run: Run<T, O, A, D, S>,
  action: A,
): Promise<{ outcome: ReconcileOutcome | undefined } | undefined> {
  const { kind } = core;
  const key = {
    generation: run.generation,
    action: kind.actionName(action),
    observed: observationDigest(kind.digest(run.obj, run.observed)),
  };
  const verdict = rememberedRefusal(run.memory, key, core.deps.clock.now());
  if (verdict.kind !== 'refused') return undefined;
  const refusal: Refusal = { reason: verdict.record.reason, message: verdict.record.message };
  const mirrored = await mirror(run);
  await end(core, run, { kind: 'refused', refusal, action, remembered: true }, verdict.record);
  const after = earliest(earliest(verdict.recheckInMs, run.pollMs), mirrored);
  return { outcome: after === undefined ? undefined : { requeueAfterMs: after } };
}

/**
 * The one result policy for anything thrown by observe, act or settle. A transient error is written
 * to status and thrown (the queue backs off, jittered). A refusal is written to status (a refused
 * write also to the memory) and ends as a bounded requeue at its re-check, quietly for a refusal
 * that waits for another object, or as a TerminalError.
 */
async function failed<T extends ManagedObject, O, A, D, S extends object>(
  core: EngineCore<T, O, A, D, S>,
  run: Run<T, O, A, D, S>,
  err: unknown,
): Promise<ReconcileOutcome> {
  const { kind, deps } = core;
  const { action } = run;
  // Our own write raced another (a stale cache): retried quietly, nothing to say in status.
  if (isConflict(err)) throw err;
  const refusal = kind.classify(err, action, run.obj);
  if (!refusal) {
    await end(core, run, { kind: 'unavailable', error: err, action }, run.memory);
    throw err;
  }
  // A refused GET is not remembered (it is asked again anyway); a refused write is.
  const memory =
    action === undefined
      ? run.memory
      : refusalRecord(
          {
            generation: run.generation,
            action: kind.actionName(action),
            observed: observationDigest(kind.digest(run.obj, run.observed, err)),
          },
          refusal,
          deps.clock.now(),
          run.memory,
        );
  const mirrored = action === undefined ? undefined : await mirror(run);
  await end(core, run, { kind: 'refused', refusal, action, remembered: false, error: err }, memory);
  // A re-check refused again for the same reason says nothing new.
  if (!sameRefusal(run.memory, memory)) core.record(run.obj, kind.refusedEvent?.(run.obj, refusal, action));
  // A refused write of a polling kind waits for the next poll at the latest; a refused read keeps
  // its own re-check (nothing else can be polled without it).
  const recheckAfterMs = memory?.recheckAt
    ? Date.parse(memory.recheckAt) - deps.clock.now()
    : refusal.recheckAfterMs;
  const after = earliest(earliest(recheckAfterMs, action === undefined ? undefined : run.pollMs), mirrored);
  if (after !== undefined) return { requeueAfterMs: after };
  if (refusal.waiting) return {};
  throw new TerminalError(refusal.message, { cause: err });
}

/** Runs the session's mirror reads when there is an observation; their failures are the session's. */
async function mirror<T extends ManagedObject, O, A, D, S extends object>(
  run: Run<T, O, A, D, S>,
): Promise<number | undefined> {
  return run.session.mirror && run.observed !== undefined
    ? await run.session.mirror(run.observed)
    : undefined;
}

/** True when two refusal records say the same thing about the same action. */
function sameRefusal(a: RefusalRecord | undefined, b: RefusalRecord | undefined): boolean {
  return (
    a !== undefined &&
    b !== undefined &&
    a.action === b.action &&
    a.observed === b.observed &&
    a.reason === b.reason &&
    a.message === b.message
  );
}
