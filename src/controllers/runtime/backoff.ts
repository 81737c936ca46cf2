/** Options for {@link createBackoff}. */
export interface BackoffOptions {
  /** Delay after the first failure. */
  baseMs: number;
  /** Upper bound of the delay (before jitter is applied, and after: jitter never exceeds it). */
  maxMs: number;
  /** Growth per failure; 2 unless told. */
  factor?: number;
  /** Relative jitter in [0, 1]: the delay is spread uniformly over ±jitter·delay. 0.2 unless told. */
  jitter?: number;
  /** Random source in [0, 1); Math.random unless told (tests pass a constant). */
  random?: () => number;
}

/** Per-key exponential backoff; `forget` resets a key after success. */
export interface Backoff {
  /** Records one more failure for `key` and returns the delay to wait before the next attempt. */
  next(key: string): number;
  /** Resets the failure count of `key`. */
  forget(key: string): void;
  /** Number of failures recorded for `key` since the last `forget`. */
  failures(key: string): number;
}

/** Defaults for calls to external APIs: 1 s doubling up to 5 min, ±20 % jitter. */
export const EXTERNAL_API_BACKOFF = { baseMs: 1_000, maxMs: 300_000 } as const satisfies BackoffOptions;

/**
 * Creates a per-key exponential backoff (client-go ItemExponentialFailureRateLimiter plus jitter).
 *
 * The n-th consecutive failure of a key waits `min(maxMs, baseMs·factor^(n-1))`, spread by jitter so
 * that many keys failing together (e.g. the Backup Service restarting) do not retry in lock-step.
 */
export function createBackoff(opts: BackoffOptions): Backoff {
  const factor = opts.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.2));
  const random = opts.random ?? Math.random;
  const counts = new Map<string, number>();
  return {
    next(key) {
      const n = counts.get(key) ?? 0;
      counts.set(key, n + 1);
      // Cap the exponent so that factor^n cannot overflow to Infinity for keys failing for days.
      const raw = Math.min(opts.maxMs, opts.baseMs * factor ** Math.min(n, 64));
      const spread = raw * jitter * (2 * random() - 1);
      return Math.max(0, Math.min(opts.maxMs, Math.round(raw + spread)));
    },
    forget(key) {
      counts.delete(key);
    },
    failures(key) {
      return counts.get(key) ?? 0;
    },
  };
}
