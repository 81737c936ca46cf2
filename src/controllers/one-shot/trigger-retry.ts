import type { BackupApiError } from '../../backup-api/index.ts';

/**
 * Limits of the short retries of a trigger request the service answered without starting a task
 * (503, 429, a 500 without a body…): at most this many requests, and none later than this long
 * after the first refusal. After that the resource settles Failed instead of retrying forever.
 */
export const TRIGGER_RETRY_LIMIT = { tries: 5, elapsedMs: 5 * 60_000 } as const;
/** Longest wait between two tries. */
const MAX_RETRY_DELAY_MS = 120_000;

/**
 * What a failed trigger request means:
 * - `permanent`: the service answered and asking again will not help (400, 401, 403, 404, other
 *   4xx, a 500 with an error body such as "could not send task: failed bucket check");
 * - `transient`: the service answered and nothing was started, but a later try may work (503, 429,
 *   other 5xx, a 500 without a body, typically from a proxy);
 * - `unknown`: no answer from the service itself (no response, 502, 504): the request may have
 *   started a task, so only adoption can tell.
 */
export type TriggerFailure = 'permanent' | 'transient' | 'unknown';

/** Classifies a failed trigger request by HTTP status (pure; never by the server's wording). */
export function classifyTriggerFailure(err: Pick<BackupApiError, 'status' | 'msg'>): TriggerFailure {
  const { status } = err;
  if (status === 0 || status === 502 || status === 504) return 'unknown';
  if (status === 429 || status === 503) return 'transient';
  // The client writes `HTTP 500` as msg when the body was empty: no word from the service itself.
  if (status === 500) return err.msg === `HTTP ${status}` ? 'transient' : 'permanent';
  if (status >= 400 && status < 500) return 'permanent';
  return 'transient';
}

/**
 * Wait before the next try after `tries` failed ones (pure): 3, 6, 12… task poll intervals
 * (15 s, 30 s, 60 s, 120 s with the default 5 s), at most two minutes.
 */
export function triggerRetryDelayMs(tries: number, taskPollIntervalMs: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, taskPollIntervalMs * 3 * 2 ** Math.max(0, tries - 1));
}

/** True once no further try is allowed: the try count or the time since the first failure is used up (pure). */
export function triggerRetriesExhausted(
  record: { tries: number; firstAtMs: number },
  nowMs: number,
): boolean {
  return (
    record.tries >= TRIGGER_RETRY_LIMIT.tries || nowMs - record.firstAtMs >= TRIGGER_RETRY_LIMIT.elapsedMs
  );
}
