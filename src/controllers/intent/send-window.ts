import { SEND_WINDOW_MS } from './constants.ts';

/** Milliseconds left for sending a request whose intent was recorded at `sentAtMs` (pure; 0 for NaN). */
export function sendWindowRemainingMs(sentAtMs: number, nowMs: number): number {
  return Number.isNaN(sentAtMs) ? 0 : Math.max(0, sentAtMs + SEND_WINDOW_MS - nowMs);
}

/**
 * The signal a task request is sent with: aborted with `parent` (shutdown) or once
 * `SEND_WINDOW_MS` have passed since `sentAtMs`, whichever comes first. The transport may retry a
 * "not sent" POST across nodes and rounds (each connect can take its full timeout), so without
 * this bound a request could first leave after the delivery grace, when a restarted operator
 * already concluded it never arrived and sent its own.
 */
export function sendWindowSignal(parent: AbortSignal, sentAtMs: number, nowMs: number): AbortSignal {
  return AbortSignal.any([parent, AbortSignal.timeout(sendWindowRemainingMs(sentAtMs, nowMs))]);
}
