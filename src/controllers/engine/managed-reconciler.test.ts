import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type EventInput,
  KStatusState,
  type ReconcileContext,
  setKStatus,
  TerminalError,
} from '../runtime/index.ts';
import { AwaitPoll, type ManagedKind, type ManagedObject, type Result } from './managed-kind.ts';
import { createManagedReconciler } from './managed-reconciler.ts';

// A fake kind: an object mirrors one "server value"; the only action is `set` (a write of the
// desired value). The server can refuse or fail; everything is in memory, no servers.

interface Fake extends ManagedObject {
  spec: { value: string };
}
type Obs = { value: string | undefined };
type Action = { kind: 'set'; to: string };
type Session = ReturnType<ManagedKind<Fake, Obs, Action, 'synced', Status>['session']>;
type Status = { conditions?: ReturnType<typeof setKStatus>; value?: string | undefined; note?: string };

class ApiRefusal extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const FINALIZER = 'test.dev/finalizer';
const log = pino({ level: 'silent' });

function setup() {
  let nowMs = Date.parse('2026-12-01T10:00:00Z');
  const objects = new Map<string, Fake>();
  const server = { value: undefined as string | undefined, failWith: undefined as Error | undefined };
  const calls = { observe: 0, act: 0, patchStatus: 0, cleanup: 0 };
  const events: EventInput[] = [];
  let resourceVersion = 1;

  const put = (obj: Fake) => {
    objects.set(`${obj.metadata.namespace}/${obj.metadata.name}`, {
      ...structuredClone(obj),
      metadata: { ...obj.metadata, resourceVersion: String(resourceVersion++) },
    });
  };
  const applyMerge = (target: unknown, patch: unknown): unknown => {
    if (patch === null) return undefined;
    if (typeof patch !== 'object' || Array.isArray(patch)) return patch;
    const out: Record<string, unknown> = { ...((target as Record<string, unknown>) ?? {}) };
    for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
      const next = applyMerge(out[k], v);
      if (next === undefined) delete out[k];
      else out[k] = next;
    }
    return out;
  };

  const client = {
    async patchStatus(namespace: string, name: string, body: object) {
      calls.patchStatus++;
      const cur = objects.get(`${namespace}/${name}`) as Fake;
      const next = applyMerge(cur, body) as Fake;
      put(next);
      return objects.get(`${namespace}/${name}`) as Fake;
    },
    async jsonPatch(namespace: string, name: string, ops: { op: string; path: string; value?: unknown }[]) {
      const cur = structuredClone(objects.get(`${namespace}/${name}`) as Fake);
      let finalizers = [...(cur.metadata.finalizers ?? [])];
      for (const op of ops) {
        if (op.op === 'add' && op.path === '/metadata/finalizers') finalizers = [...(op.value as string[])];
        else if (op.op === 'add') finalizers.push(op.value as string);
        if (op.op === 'remove') finalizers.splice(Number(op.path.split('/').pop()), 1);
      }
      cur.metadata.finalizers = finalizers;
      put(cur);
      return objects.get(`${namespace}/${name}`) as Fake;
    },
  };

  let recheckAfterMs: number | undefined;
  let waiting = false;
  let cleanupFails = false;
  let change: ((s: Session) => Session) | undefined;
  let pollMs: number | undefined;
  let statusEvents: ManagedKind<Fake, Obs, Action, 'synced', Status>['statusEvents'];
  const kind: ManagedKind<Fake, Obs, Action, 'synced', Status> = {
    store: { get: (key: string) => objects.get(key), list: () => [...objects.values()] } as never,
    client: client as never,
    finalizer: FINALIZER,
    wantsFinalizer: () => true,
    session: (obj) => {
      const base: Session = {
        async observe() {
          calls.observe++;
          return { value: server.value };
        },
        decide: (o) =>
          o.value === obj.spec.value
            ? { kind: 'done', detail: 'synced', requeueAfterMs: 60_000 }
            : { kind: 'act', action: { kind: 'set', to: obj.spec.value } },
        async act(action) {
          calls.act++;
          if (server.failWith) throw server.failWith;
          server.value = action.to;
          return { value: server.value };
        },
        status: ({ observed, result, now }) => statusOf(obj.status as Status, observed, result, now),
      };
      return change ? change(base) : base;
    },
    actionName: (a) => a.kind,
    digest: (_obj, o) => o?.value ?? null,
    classify: (err) =>
      err instanceof ApiRefusal
        ? {
            reason: `Refused${err.status}`,
            message: err.message,
            ...(recheckAfterMs !== undefined ? { recheckAfterMs } : {}),
            ...(waiting ? { waiting } : {}),
          }
        : undefined,
    actedEvent: (_o, a) => ({ type: 'Normal', reason: 'Set', action: 'Set', note: `set ${a.to}` }),
    refusedEvent: (_o, r) => ({ type: 'Warning', reason: 'Rejected', action: 'Set', note: r.message }),
    stalledEventReason: 'Stalled',
    statusEvents: (o, before, after, acted) => statusEvents?.(o, before, after, acted) ?? [],
    pollIntervalMs: () => pollMs as number,
    cleanup: {
      async run() {
        calls.cleanup++;
        if (cleanupFails) throw new Error('service unreachable');
        return { type: 'Normal', reason: 'Deleted', action: 'Delete', note: 'deleted' };
      },
      problem: (_o, err) => ({ reason: 'CleanupBlocked', message: String(err) }),
      abandoned: () => ({ type: 'Warning', reason: 'DeletionAbandoned', action: 'Delete', note: 'gave up' }),
      status: (o, r, now) => statusOf(o.status as Status, undefined, r, now),
    },
  };

  const make = () =>
    createManagedReconciler(pollMs === undefined ? ({ ...kind, pollIntervalMs: undefined } as never) : kind, {
      events: {
        record: async (_obj, e) => {
          events.push(e);
        },
      },
      clock: {
        now: () => nowMs,
        setTimeout: () => ({}) as never,
        clearTimeout: () => {},
      } as never,
      finalizerTimeoutMs: 60_000,
    });

  put({
    apiVersion: 'test.dev/v1',
    kind: 'Fake',
    metadata: { name: 'a', namespace: 'ns', generation: 1, uid: 'u1', finalizers: [FINALIZER] },
    spec: { value: 'one' },
  });
  const req = { key: 'ns/a', namespace: 'ns', name: 'a' };
  const ctx: ReconcileContext = { log, signal: new AbortController().signal, reconcileID: 'r' };
  return {
    objects,
    server,
    calls,
    events,
    make,
    req,
    ctx,
    get: () => objects.get('ns/a') as Fake,
    update: (f: (o: Fake) => void) => {
      const o = structuredClone(objects.get('ns/a') as Fake);
      f(o);
      put(o);
    },
    advance: (ms: number) => {
      nowMs += ms;
    },
    setRecheck: (ms: number | undefined) => {
      recheckAfterMs = ms;
    },
    failCleanup: (fails: boolean) => {
      cleanupFails = fails;
    },
    changeSession: (f: (s: Session) => Session) => {
      change = f;
    },
    setWaiting: (w: boolean) => {
      waiting = w;
    },
    setPoll: (ms: number | undefined) => {
      pollMs = ms;
    },
    setStatusEvents: (f: typeof statusEvents) => {
      statusEvents = f;
    },
  };
}

function statusOf(
  previous: Status | undefined,
  observed: Obs | undefined,
  result: Result<Action, 'synced'>,
  now: Date,
): Status {
  const kstatus = (state: KStatusState, reason: string, message: string) =>
    setKStatus(previous?.conditions, { state, reason, message, observedGeneration: 1 }, now);
  switch (result.kind) {
    case 'done':
      return { value: observed?.value, conditions: kstatus(KStatusState.Ready, 'Synced', 'in sync') };
    case 'refused':
      return {
        value: observed?.value,
        conditions: kstatus(KStatusState.Stalled, result.refusal.reason, result.refusal.message),
        ...(result.remembered ? { note: 'remembered' } : {}),
      };
    case 'unavailable':
      return { value: observed?.value, conditions: kstatus(KStatusState.Reconciling, 'Unavailable', 'down') };
    case 'acting':
      return { conditions: kstatus(KStatusState.Reconciling, 'Applying', 'applying') };
    case 'deleting':
      return { conditions: kstatus(KStatusState.Reconciling, result.reason, result.message) };
  }
}

const readyOf = (o: Fake) => o.status?.conditions?.find((c) => c.type === 'Ready');
const stalledOf = (o: Fake) => o.status?.conditions?.find((c) => c.type === 'Stalled');

describe('managed reconciler: result policy', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('acts once, decides again from the observation after the write, and writes Ready', async () => {
    const out = await t.make()(t.req, t.ctx);
    expect(t.calls).toMatchObject({ observe: 1, act: 1 });
    expect(t.server.value).toBe('one');
    expect(readyOf(t.get())?.status).toBe('True');
    expect(t.get().status?.observedGeneration).toBe(1);
    expect(t.events.map((e) => e.reason)).toEqual(['Set']);
    expect(out).toEqual({ requeueAfterMs: 60_000 });
  });

  it('ends after a write whose result the next poll shows: its Event, no status write, a fallback look again', async () => {
    t.changeSession((base) => ({
      ...base,
      async act(action, observed) {
        await base.act(action, observed);
        return new AwaitPoll(30_000);
      },
    }));
    const reconcile = t.make();
    // The poll's reconcile makes the look again moot: a fallback, dropped when the key runs sooner.
    expect(await reconcile(t.req, t.ctx)).toEqual({ requeueAfterMs: 30_000, fallback: true });
    expect(t.calls).toMatchObject({ act: 1, patchStatus: 0 });
    expect(t.get().status).toBeUndefined();
    expect(t.events.map((e) => e.reason)).toEqual(['Set']);
    // The reconcile the poll starts observes the write and writes status once, acting no more.
    await reconcile(t.req, t.ctx);
    expect(t.calls).toMatchObject({ act: 1, patchStatus: 1 });
    expect(readyOf(t.get())?.status).toBe('True');
  });

  it('ends without deciding or writing while an observation awaits the poll', async () => {
    t.changeSession((base) => ({ ...base, observe: async () => new AwaitPoll(1_500) }));
    expect(await t.make()(t.req, t.ctx)).toEqual({ requeueAfterMs: 1_500, fallback: true });
    expect(t.calls).toMatchObject({ act: 0, patchStatus: 0 });
    expect(t.events).toEqual([]);
  });

  it('makes no write at all when reconciling a settled object again', async () => {
    const reconcile = t.make();
    await reconcile(t.req, t.ctx);
    const writes = t.calls.patchStatus;
    await reconcile(t.req, t.ctx);
    expect(t.calls.patchStatus).toBe(writes);
    expect(t.calls.act).toBe(1);
  });

  it("records the kind's status Events after the write, from the persisted status before it", async () => {
    const seen: { before: string | undefined; after: string | undefined; acted: number }[] = [];
    t.setStatusEvents((_o, before, after, acted) => {
      seen.push({ before: (before as Status | undefined)?.value, after: after.value, acted: acted.length });
      return (before as Status | undefined)?.value === after.value
        ? []
        : [{ type: 'Normal', reason: 'ValueSeen', action: 'Observe', note: `now ${after.value}` }];
    });
    const reconcile = t.make();
    await reconcile(t.req, t.ctx);
    expect(t.events.map((e) => e.reason)).toEqual(['Set', 'ValueSeen']);
    expect(seen).toEqual([{ before: undefined, after: 'one', acted: 1 }]);
    expect((t.get().status as Status | undefined)?.value).toBe('one');
    // A restart reads the persisted status: the same status again stands for no new Event.
    await t.make()(t.req, t.ctx);
    expect(t.events.map((e) => e.reason)).toEqual(['Set', 'ValueSeen']);
  });

  it('says so in status and throws a transient error to the queue (no TerminalError)', async () => {
    t.server.failWith = new Error('ECONNRESET');
    const err = await t
      .make()(t.req, t.ctx)
      .catch((e: unknown) => e);
    expect(err).toBe(t.server.failWith);
    expect(err).not.toBeInstanceOf(TerminalError);
    expect(readyOf(t.get())?.reason).toBe('Unavailable');
    expect(t.get().status?.refusal).toBeUndefined();
  });

  it('writes a fresh refusal to status and status.refusal, records one Warning, ends as TerminalError', async () => {
    t.server.failWith = new ApiRefusal(400, 'bad value');
    const err = await t
      .make()(t.req, t.ctx)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect(stalledOf(t.get())).toMatchObject({ status: 'True', reason: 'Refused400' });
    expect(t.get().status?.refusal).toMatchObject({ generation: 1, action: 'set', reason: 'Refused400' });
    expect(t.get().status?.refusal?.recheckAt).toBeUndefined();
    expect(t.events.map((e) => e.reason).sort()).toEqual(['Rejected', 'Stalled']);
  });

  it('ends a refusal with a re-check time as a bounded requeue', async () => {
    t.setRecheck(300_000);
    t.server.failWith = new ApiRefusal(403, 'forbidden');
    const out = await t.make()(t.req, t.ctx);
    expect(out).toEqual({ requeueAfterMs: 300_000 });
    expect(t.get().status?.refusal?.recheckAt).toBe('2026-12-01T10:05:00Z');
  });

  it('does not record a refused read in the memory; it looks again at the re-check time', async () => {
    t.setRecheck(60_000);
    const out = await createFailingObserve(t, new ApiRefusal(401, 'unauthorized'))(t.req, t.ctx);
    expect(out).toEqual({ requeueAfterMs: 60_000 });
    expect(t.get().status?.refusal).toBeUndefined();
    expect(stalledOf(t.get())?.reason).toBe('Refused401');
  });

  it('ends a refusal that waits for another object quietly: no TerminalError, nothing scheduled', async () => {
    const reconcile = (() => {
      t.changeSession((base) => ({
        ...base,
        observe: async () => {
          throw new ApiRefusal(0, 'waiting for the service');
        },
      }));
      return t.make();
    })();
    t.setWaiting(true);
    expect(await reconcile(t.req, t.ctx)).toEqual({});
    expect(readyOf(t.get())?.reason).toBe('Refused0');
  });

  it('keeps the refusal memory when a later reconcile fails transiently', async () => {
    t.server.failWith = new ApiRefusal(400, 'bad value');
    await t
      .make()(t.req, t.ctx)
      .catch(() => {});
    const remembered = t.get().status?.refusal;
    t.update((o) => {
      o.metadata.generation = 1;
    });
    t.changeSession((base) => ({
      ...base,
      observe: async () => {
        throw new Error('ECONNRESET');
      },
    }));
    await t
      .make()(t.req, t.ctx)
      .catch(() => {});
    expect(t.get().status?.refusal).toEqual(remembered);
    expect(readyOf(t.get())?.reason).toBe('Unavailable');
  });

  it('bounds the writes of one reconcile and looks again shortly', async () => {
    t.server.value = 'zero';
    const reconcile = createEndlessActor(t);
    const out = await reconcile(t.req, t.ctx);
    expect(t.calls.act).toBe(4);
    // Not a fast loop: writes that do not converge are looked at again after 5 s.
    expect(out).toEqual({ requeueAfterMs: 5_000 });
    expect(readyOf(t.get())?.reason).toBe('Applying');
  });
});

describe('managed reconciler: refusal memory', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('holds a refused action back across a restart (a new process reads status.refusal)', async () => {
    t.server.failWith = new ApiRefusal(400, 'bad value');
    await t
      .make()(t.req, t.ctx)
      .catch(() => {});
    expect(t.calls.act).toBe(1);
    // "Restart": a new engine with no in-memory state, reading the object as the API server has it.
    const out = await t.make()(t.req, t.ctx);
    expect(t.calls.act).toBe(1);
    expect(out).toBeUndefined();
    expect(stalledOf(t.get())?.reason).toBe('Refused400');
    expect(t.events.filter((e) => e.reason === 'Rejected')).toHaveLength(1);
  });

  it('sends again after the re-check time, and only then', async () => {
    t.setRecheck(300_000);
    t.server.failWith = new ApiRefusal(403, 'forbidden');
    await t.make()(t.req, t.ctx);
    t.advance(200_000);
    expect(await t.make()(t.req, t.ctx)).toEqual({ requeueAfterMs: 100_000 });
    expect(t.calls.act).toBe(1);
    t.advance(100_000);
    t.server.failWith = undefined;
    await t.make()(t.req, t.ctx);
    expect(t.calls.act).toBe(2);
    expect(readyOf(t.get())?.status).toBe('True');
    expect(t.get().status?.refusal).toBeUndefined();
  });

  it('sends again at once for a new generation', async () => {
    t.server.failWith = new ApiRefusal(400, 'bad value');
    await t
      .make()(t.req, t.ctx)
      .catch(() => {});
    t.server.failWith = undefined;
    t.update((o) => {
      o.spec.value = 'two';
      o.metadata.generation = 2;
    });
    await t.make()(t.req, t.ctx);
    expect(t.calls.act).toBe(2);
    expect(t.server.value).toBe('two');
  });

  it('sends again at once when the observation changed (the server moved)', async () => {
    t.server.failWith = new ApiRefusal(400, 'bad value');
    await t
      .make()(t.req, t.ctx)
      .catch(() => {});
    t.server.value = 'someone-else';
    t.server.failWith = undefined;
    await t.make()(t.req, t.ctx);
    expect(t.calls.act).toBe(2);
  });

  it('drops the memory once nothing is left to write (the server came to match the spec)', async () => {
    t.server.failWith = new ApiRefusal(400, 'bad value');
    await t
      .make()(t.req, t.ctx)
      .catch(() => {});
    expect(t.get().status?.refusal).toBeDefined();
    t.server.value = 'one';
    await t.make()(t.req, t.ctx);
    expect(t.get().status?.refusal).toBeUndefined();
    expect(readyOf(t.get())?.status).toBe('True');
  });

  it('records the Stalled and refusal Events once while a refusal stands, not per re-check', async () => {
    t.setRecheck(60_000);
    t.server.failWith = new ApiRefusal(403, 'forbidden');
    await t.make()(t.req, t.ctx);
    t.advance(61_000);
    await t.make()(t.req, t.ctx);
    expect(t.calls.act).toBe(2);
    expect(t.events.filter((e) => e.reason === 'Stalled')).toHaveLength(1);
    expect(t.events.filter((e) => e.reason === 'Rejected')).toHaveLength(1);
  });

  it('waits twice as long after each re-check that is refused again', async () => {
    t.setRecheck(60_000);
    t.server.failWith = new ApiRefusal(403, 'forbidden');
    expect(await t.make()(t.req, t.ctx)).toEqual({ requeueAfterMs: 60_000 });
    t.advance(60_000);
    expect(await t.make()(t.req, t.ctx)).toEqual({ requeueAfterMs: 120_000 });
    t.advance(120_000);
    expect(await t.make()(t.req, t.ctx)).toEqual({ requeueAfterMs: 240_000 });
    expect(t.calls.act).toBe(3);
  });

  it('lets a 409 of its own writes through to the queue without a status write', async () => {
    const conflict = Object.assign(new Error('conflict'), { code: 409 });
    t.server.failWith = conflict;
    const writes = t.calls.patchStatus;
    await expect(t.make()(t.req, t.ctx)).rejects.toBe(conflict);
    expect(t.calls.patchStatus).toBe(writes);
  });
});

describe('managed reconciler: polling kinds', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
    t.setPoll(5_000);
  });

  it('keeps polling after a refused write: the next poll, not a TerminalError', async () => {
    t.server.failWith = new ApiRefusal(400, 'bad value');
    expect(await t.make()(t.req, t.ctx)).toEqual({ requeueAfterMs: 5_000 });
    // Held back by the memory, and still polled.
    expect(await t.make()(t.req, t.ctx)).toEqual({ requeueAfterMs: 5_000 });
    expect(t.calls).toMatchObject({ observe: 2, act: 1 });
  });

  it('looks again at the earlier of the re-check and the poll', async () => {
    t.setRecheck(2_000);
    t.server.failWith = new ApiRefusal(403, 'forbidden');
    expect(await t.make()(t.req, t.ctx)).toEqual({ requeueAfterMs: 2_000 });
  });
});

describe('managed reconciler: finalizer and deletion deadline', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('adds the finalizer before any write to the external API, then goes on in the same reconcile', async () => {
    t.update((o) => {
      o.metadata.finalizers = [];
    });
    expect(await t.make()(t.req, t.ctx)).toEqual({ requeueAfterMs: 60_000 });
    expect(t.get().metadata.finalizers).toEqual([FINALIZER]);
    expect(t.calls).toMatchObject({ observe: 1, act: 1 });
  });

  it('cleans up, records the kind’s Event and removes the finalizer', async () => {
    t.update((o) => {
      o.metadata.deletionTimestamp = new Date('2026-12-01T10:00:00Z');
    });
    await t.make()(t.req, t.ctx);
    expect(t.calls.cleanup).toBe(1);
    expect(t.get().metadata.finalizers).toEqual([]);
    expect(t.events.map((e) => e.reason)).toEqual(['Deleted']);
  });

  it('waits with a bounded requeue and a status before the deadline, gives up after it', async () => {
    t.failCleanup(true);
    t.update((o) => {
      o.metadata.deletionTimestamp = new Date('2026-12-01T10:00:00Z');
    });
    const out = await t.make()(t.req, t.ctx);
    expect(out?.requeueAfterMs).toBeGreaterThanOrEqual(500);
    expect(out?.requeueAfterMs).toBeLessThanOrEqual(30_000);
    expect(readyOf(t.get())?.reason).toBe('CleanupBlocked');
    expect(t.get().metadata.finalizers).toEqual([FINALIZER]);
    t.advance(60_001);
    await t.make()(t.req, t.ctx);
    expect(t.get().metadata.finalizers).toEqual([]);
    expect(t.events.map((e) => e.reason)).toEqual(['DeletionAbandoned']);
  });

  it('never lets a deadline requeue go past the deadline', async () => {
    t.failCleanup(true);
    t.update((o) => {
      o.metadata.deletionTimestamp = new Date('2026-12-01T10:00:00Z');
    });
    const reconcile = t.make();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const delay = (await reconcile(t.req, t.ctx))?.requeueAfterMs ?? -1;
      delays.push(delay);
      // Re-enqueued early (its own status write, a poll): held, no cleanup attempt.
      const attempts = t.calls.cleanup;
      expect((await reconcile(t.req, t.ctx))?.requeueAfterMs).toBe(delay);
      expect(t.calls.cleanup).toBe(attempts);
      t.advance(delay);
    }
    // Doubling from 0.5 s, not a retry per status write.
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000]);
    // 31.5 s have passed; at 57.9 s the doubling (32 s) is capped at the deadline.
    t.advance(26_400);
    expect((await reconcile(t.req, t.ctx))?.requeueAfterMs).toBe(2_200);
  });
});

/** A reconciler of the fake kind whose observe is refused (a GET answered 401). */
function createFailingObserve(t: ReturnType<typeof setup>, err: Error) {
  t.changeSession((base) => ({
    ...base,
    observe: async () => {
      throw err;
    },
  }));
  return t.make();
}

/** A reconciler of the fake kind whose decide always wants one more write. */
function createEndlessActor(t: ReturnType<typeof setup>) {
  let n = 0;
  t.changeSession((base) => ({
    ...base,
    decide: () => ({ kind: 'act', action: { kind: 'set', to: `v${n++}` } }),
  }));
  return t.make();
}

describe('managed reconciler: a cache that lags behind its own writes', () => {
  it('does not send a refused write again when the next reconcile reads the object from before the refusal', async () => {
    const t = setup();
    t.server.failWith = new ApiRefusal(400, 'bad value');
    const reconcile = t.make();
    const before = structuredClone(t.get());
    await reconcile(t.req, t.ctx).catch(() => {});
    expect(t.calls.act).toBe(1);
    // The watch event of the status write has not arrived: the cache still holds the old object.
    t.objects.set('ns/a', before);
    await reconcile(t.req, t.ctx).catch(() => {});
    expect(t.calls.act).toBe(1);
  });
});
