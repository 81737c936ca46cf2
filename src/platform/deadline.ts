/** An abort signal with a deadline, and the means to let go of both once the work is done. */
export interface Deadline {
  signal: AbortSignal;
  /** Whether the signal fired because the time ran out (not because of the parent). */
  timedOut(): boolean;
  /** Clears the timer and the listener on the parent; call in `finally`. */
  dispose(): void;
}

/**
 * A signal that aborts after `ms` with a `TimeoutError` (as `AbortSignal.timeout`), or with
 * `parent`'s reason when it aborts first.
 *
 * Why not `AbortSignal.any([parent, AbortSignal.timeout(ms)])`: Node keeps each timeout's timer
 * until it fires or a GC finds the signal unreachable, and each `any` registers weakly with its
 * sources (a long-lived parent such as a shutdown signal collects one entry per call). At thousands
 * of requests a second that is state for the collector to find; disposing frees it at once.
 */
export function deadline(ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const onParent = (): void => controller.abort(parent?.reason);
  const timer = setTimeout(() => {
    // The parent came first: that is no timeout.
    if (controller.signal.aborted) return;
    timedOut = true;
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, ms);
  // Like AbortSignal.timeout's: a pending deadline never keeps the process alive.
  (timer as { unref?: () => void }).unref?.();
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
    },
  };
}
