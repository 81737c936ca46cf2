/**
 * The emulator's clock. Two modes:
 * - manual: time only moves on `advance`/`set`; every timer due in between fires in time order,
 *   one after another, each awaited before the next (tests get deterministic schedules);
 * - scaled: emulated time = wall time × scale (plus any manual jumps); timers fire from real
 *   setTimeout calls armed for the earliest one.
 */

export type ClockMode = 'manual' | 'scaled';

export interface ClockOptions {
  mode?: ClockMode;
  /** Initial emulated time (default: the wall clock now). */
  start?: Date | string | number;
  /** Emulated milliseconds per real millisecond in scaled mode (default 1). */
  scale?: number;
}

type TimerCallback = (firedAt: Date) => Promise<void> | void;

interface Timer {
  id: number;
  at: number;
  callback: TimerCallback;
}

export interface EmulatorClock {
  readonly mode: ClockMode;
  /** Current emulated time. */
  now(): Date;
  nowMs(): number;
  scale(): number;
  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  advance(ms: number): Promise<void>;
  /** Jumps to an absolute time (forward only), firing due timers. */
  set(time: Date | number): Promise<void>;
  /** Changes the scaled-mode speed from now on (keeps the current emulated time). */
  setScale(scale: number): void;
  /** Runs `callback` when emulated time reaches `at`; returns a cancel function. */
  at(at: number, callback: TimerCallback): () => void;
  /** Resolves once no timer is firing. */
  settled(): Promise<void>;
  /** Stops real timers (scaled mode); the clock keeps answering now(). */
  stop(): void;
}

const MAX_REAL_DELAY_MS = 2 ** 31 - 1;

/** Creates a clock; see the module comment for the modes. */
export function createClock(options: ClockOptions = {}): EmulatorClock {
  const mode = options.mode ?? 'scaled';
  const startMs = options.start === undefined ? Date.now() : new Date(options.start).getTime();
  let scaleValue = options.scale ?? 1;
  // Scaled mode: emulated = baseEmulated + (Date.now() - baseReal) × scale.
  let baseEmulated = startMs;
  let baseReal = Date.now();
  let manualNow = startMs;
  let stopped = false;
  let nextId = 1;
  const timers = new Map<number, Timer>();
  let realTimer: NodeJS.Timeout | undefined;
  let firing: Promise<void> = Promise.resolve();

  const nowMs = (): number =>
    mode === 'manual' ? manualNow : baseEmulated + Math.floor((Date.now() - baseReal) * scaleValue);

  const earliest = (limit: number): Timer | undefined => {
    let best: Timer | undefined;
    for (const t of timers.values()) {
      if (t.at <= limit && (best === undefined || t.at < best.at || (t.at === best.at && t.id < best.id))) {
        best = t;
      }
    }
    return best;
  };

  // Fires, in time order, every timer due at or before `limit`; in manual mode time steps to
  // each timer's instant so callbacks observe the time they were scheduled for.
  const fireUntil = async (limit: () => number): Promise<void> => {
    for (;;) {
      const t = earliest(limit());
      if (t === undefined) return;
      timers.delete(t.id);
      if (mode === 'manual' && t.at > manualNow) manualNow = t.at;
      try {
        await t.callback(new Date(t.at));
      } catch {
        // A failing timer must not stop the clock; callbacks record their own failures.
      }
    }
  };

  const serialised = (job: () => Promise<void>): Promise<void> => {
    const run = firing.then(job);
    firing = run.catch(() => undefined);
    return run;
  };

  const arm = (): void => {
    if (mode !== 'scaled' || stopped) return;
    if (realTimer !== undefined) clearTimeout(realTimer);
    realTimer = undefined;
    let next: number | undefined;
    for (const t of timers.values()) if (next === undefined || t.at < next) next = t.at;
    if (next === undefined) return;
    const delay = Math.min(MAX_REAL_DELAY_MS, Math.max(0, Math.ceil((next - nowMs()) / scaleValue)));
    realTimer = setTimeout(() => {
      realTimer = undefined;
      void serialised(() => fireUntil(nowMs)).then(arm);
    }, delay);
    realTimer.unref();
  };

  const moveTo = (target: number): Promise<void> =>
    serialised(async () => {
      if (mode === 'manual') {
        await fireUntil(() => target);
        if (target > manualNow) manualNow = target;
      } else {
        const delta = target - nowMs();
        if (delta > 0) baseEmulated += delta;
        await fireUntil(nowMs);
      }
    }).then(arm);

  return {
    mode,
    now: () => new Date(nowMs()),
    nowMs,
    scale: () => scaleValue,
    advance: (ms) => moveTo(nowMs() + Math.max(0, ms)),
    set: (time) => moveTo(new Date(time).getTime()),
    setScale(scale) {
      if (!(scale > 0)) throw new RangeError('time scale must be > 0');
      baseEmulated = nowMs();
      baseReal = Date.now();
      scaleValue = scale;
      arm();
    },
    at(at, callback) {
      const id = nextId++;
      timers.set(id, { id, at, callback });
      arm();
      return () => {
        timers.delete(id);
      };
    },
    settled: () => firing,
    stop() {
      stopped = true;
      if (realTimer !== undefined) clearTimeout(realTimer);
      realTimer = undefined;
    },
  };
}
