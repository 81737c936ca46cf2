import { BACKUP_API_ERROR_CODES, isBackupApiError, serverText } from '../../backup-api/index.ts';
import type { Refusal } from '../engine/refusal-memory.ts';
import { ownedByOtherRefusal } from '../ownership.ts';
import { ConnectionError } from '../service-connections.ts';
import { REPOSITORY_REASONS as R, type RepositoryAction } from './desired.ts';

/**
 * Re-check times of refused repository actions. Each can be fixed outside the spec: a bucket or an
 * archive location created later, a role granted, credentials fixed on the server. A spec change
 * or a rotated Secret retries at once (they change the refusal's key).
 */
export const REFUSAL_RECHECK_MS = {
  /** 400/404: an unknown bucket, a missing location. */
  invalid: 10 * 60_000,
  /** 401/403: credentials or a role on the server. */
  credentials: 5 * 60_000,
  /** 500 on create/import: the reference documents it for an unusable archive location. */
  location: 5 * 60_000,
} as const;

/** The BackupService's first poll after a start is a moment away; `keepStatus` keeps the last status. */
export class WaitingForPollError extends Error {
  readonly keepStatus: boolean;
  constructor(message: string, keepStatus: boolean) {
    super(message);
    this.name = 'WaitingForPollError';
    this.keepStatus = keepStatus;
  }
}

/** The BackupService's last poll is too old to mirror: its status says unreachable, data kept. */
export class ObservationStaleError extends Error {
  override readonly name = 'ObservationStaleError';
}

/** The service cannot change the plan of an existing repository (the route is unknown: an old server). */
export class PlanChangeUnsupportedError extends Error {
  override readonly name = 'PlanChangeUnsupportedError';
}

const verbOf = (action: RepositoryAction) =>
  action.kind === 'change-plan' ? 'the plan change' : action.kind;

/**
 * Classifies what a repository reconcile ran into (pure, by type and HTTP status): a refusal with
 * its re-check time, or undefined for a transient failure that the queue retries with backoff.
 */
export function classifyRepositoryError(
  err: unknown,
  action: RepositoryAction | undefined,
  id: string,
): Refusal | undefined {
  if (err instanceof ConnectionError) return { reason: err.code, message: err.message };
  const owned = ownedByOtherRefusal(err);
  if (owned) return owned;
  // The service's first poll re-enqueues every repository that uses it.
  if (err instanceof WaitingForPollError)
    return { reason: R.waitingForService, message: err.message, waiting: true };
  // The service's recovery re-enqueues every repository it mirrors.
  if (err instanceof ObservationStaleError)
    return { reason: R.serviceUnreachable, message: err.message, waiting: true };
  if (err instanceof PlanChangeUnsupportedError)
    return { reason: R.planChangeUnsupported, message: err.message };
  if (!action || !isBackupApiError(err) || err.status === 0) return undefined;
  const refused = (recheckAfterMs: number): Refusal => ({
    reason: R.serverRejected,
    message: `The Backup Service rejected ${verbOf(action)} of repository ${id}: ${serverText(err)}`,
    recheckAfterMs,
  });
  switch (err.code) {
    case BACKUP_API_ERROR_CODES.unauthorized:
    case BACKUP_API_ERROR_CODES.forbidden:
      return refused(REFUSAL_RECHECK_MS.credentials);
    case BACKUP_API_ERROR_CODES.invalid:
    case BACKUP_API_ERROR_CODES.notFound:
      return refused(REFUSAL_RECHECK_MS.invalid);
    case BACKUP_API_ERROR_CODES.internal:
      return action.kind === 'create' || action.kind === 'import'
        ? refused(REFUSAL_RECHECK_MS.location)
        : undefined;
    default:
      // 429, other 4xx and 5xx, TLS: retried with backoff.
      return err.retryable || err.status === 429 ? undefined : refused(REFUSAL_RECHECK_MS.invalid);
  }
}
