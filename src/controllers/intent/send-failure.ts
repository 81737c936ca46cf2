import type { BackupApiError } from '../../backup-api/index.ts';

/**
 * What a failed task request means:
 * - `permanent`: the service answered and asking again will not help (400, 401, 403, 404, other
 *   4xx, a 500 with an error body such as "could not send task: failed bucket check");
 * - `transient`: the service answered and nothing was started, but a later try may work (503, 429,
 *   other 5xx, a 500 without a body, typically from a proxy);
 * - `unknown`: the request may have started a task, so only adoption can tell: no answer (no
 *   response, 502, 504 from a gateway), or a success status whose body could not be read (empty,
 *   truncated, another version's shape): a 2xx says the service accepted it.
 */
export type SendFailure = 'permanent' | 'transient' | 'unknown';

/** Classifies a failed task request by HTTP status (pure; never by the server's wording). */
export function classifySendFailure(err: Pick<BackupApiError, 'status' | 'msg'>): SendFailure {
  const { status } = err;
  if (status === 0 || status === 502 || status === 504) return 'unknown';
  if (status >= 200 && status < 300) return 'unknown';
  if (status === 429 || status === 503) return 'transient';
  // The client writes `HTTP 500` as msg when the body was empty: no word from the service itself.
  if (status === 500) return err.msg === `HTTP ${status}` ? 'transient' : 'permanent';
  if (status >= 400 && status < 500) return 'permanent';
  return 'transient';
}
