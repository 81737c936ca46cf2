/** Retry timing for idempotent calls. */
export interface RetryOptions {
  /** Total tries including the first; 1 disables retries. */
  attempts: number;
  /** Upper bound of the first backoff window. */
  baseMs: number;
  /** Cap of any backoff window. */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 3, baseMs: 200, maxMs: 5_000 };

/**
 * Exponential backoff with full jitter (AWS architecture blog): a uniform delay in
 * `[0, min(maxMs, baseMs · 2^retry))`. `retry` counts from 0 for the wait after the first failure.
 */
export function fullJitterDelay(
  retry: number,
  opts: Pick<RetryOptions, 'baseMs' | 'maxMs'>,
  random: () => number,
) {
  const window = Math.min(opts.maxMs, opts.baseMs * 2 ** retry);
  return Math.floor(random() * window);
}
