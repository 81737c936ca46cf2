/**
 * Limits of the short retries of a trigger request the service answered without starting a task
 * (503, 429, a 500 without a body…): at most this many requests, and none later than this long
 * after the first refusal. After that the resource settles Failed instead of retrying forever.
 */
export const TRIGGER_RETRY_LIMIT = { tries: 5, elapsedMs: 5 * 60_000 } as const;
/** Longest wait between two tries. */
const MAX_RETRY_DELAY_MS = 120_000;

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
