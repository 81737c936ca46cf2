/** What the controller does with an error thrown by a reconcile. */
export const ErrorPolicy = {
  /** Don't retry: the user must change something (the spec was rejected). */
  Terminal: 'terminal',
  /** Kubernetes 409: our read was stale; retry quietly with backoff. */
  Conflict: 'conflict',
  /** Anything else: retry with per-key exponential backoff and log it. */
  Retry: 'retry',
} as const;
export type ErrorPolicy = (typeof ErrorPolicy)[keyof typeof ErrorPolicy];

/**
 * An error that retrying cannot fix. The controller forgets the key, counts it and does not requeue;
 * the next change to the object (a watch event) triggers the next reconcile.
 */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
}

/** The metav1.Status carried by a Kubernetes API error, as far as it could be parsed. */
export interface KubeStatus {
  code?: number;
  reason?: string;
  message?: string;
  details?: unknown;
}

// Walks `err` and its `cause` chain (bounded, in case of cycles), as Go's errors.Is does.
function* causeChain(err: unknown): Generator<unknown> {
  let current = err;
  for (let depth = 0; depth < 16 && current !== undefined && current !== null; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/**
 * HTTP status of a Kubernetes API error: client-node 2.x `ApiException.code`, or `statusCode`
 * set by client-node's `Watch` on a non-200 watch response. Looks through `cause` wrappers.
 */
export function kubeStatusCode(err: unknown): number | undefined {
  for (const e of causeChain(err)) {
    if (typeof e !== 'object' || e === null) continue;
    const { code, statusCode } = e as { code?: unknown; statusCode?: unknown };
    // Node system errors also have a `code` ('ECONNRESET'), so only numbers count.
    if (typeof code === 'number') return code;
    if (typeof statusCode === 'number') return statusCode;
  }
  return undefined;
}

/**
 * Parses the metav1.Status out of a client-node error. In client-node 2.x `ApiException.body` is the
 * raw response text (a string, JSON for API errors), and `undefined` for 401.
 */
export function kubeStatus(err: unknown): KubeStatus | undefined {
  for (const e of causeChain(err)) {
    if (typeof e !== 'object' || e === null || !('body' in e)) continue;
    const body = (e as { body: unknown }).body;
    if (typeof body === 'object' && body !== null) return body as KubeStatus;
    if (typeof body !== 'string') continue;
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed === 'object' && parsed !== null) return parsed as KubeStatus;
    } catch {
      // Not JSON (e.g. a proxy's HTML error page): there is no status to read.
    }
  }
  return undefined;
}

/** True for a Kubernetes 409 (Conflict or AlreadyExists). */
export function isConflict(err: unknown): boolean {
  return kubeStatusCode(err) === 409;
}

/** True for a Kubernetes 404. */
export function isNotFound(err: unknown): boolean {
  return kubeStatusCode(err) === 404;
}

/** True for a Kubernetes 410 Gone (resourceVersion too old). */
export function isGone(err: unknown): boolean {
  return kubeStatusCode(err) === 410;
}

/** True for a Kubernetes 422 Invalid, e.g. a failed JSON-patch `test` op or schema validation. */
export function isInvalid(err: unknown): boolean {
  return kubeStatusCode(err) === 422;
}

/** True when `err` is, or wraps through `cause`, a {@link TerminalError}. */
export function isTerminal(err: unknown): boolean {
  for (const e of causeChain(err)) if (e instanceof TerminalError) return true;
  return false;
}

/** Decides what the controller does with `err`, by type and status code, never by message text. */
export function errorPolicy(err: unknown): ErrorPolicy {
  if (isTerminal(err)) return ErrorPolicy.Terminal;
  if (isConflict(err)) return ErrorPolicy.Conflict;
  return ErrorPolicy.Retry;
}
