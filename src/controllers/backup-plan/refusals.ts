import {
  BACKUP_API_ERROR_CODES,
  isBackupApiError,
  profileAtLeast,
  SERVER_PROFILES,
} from '../../backup-api/index.ts';
import type { Refusal } from '../engine/refusal-memory.ts';
import { ownedByOtherRefusal } from '../ownership.ts';
import { PLAN_REASONS } from './status.ts';

/**
 * How long a refused plan write is held back when nothing changes (spec, server plan, repositories
 * using it): the same write would be refused again.
 */
export const PLAN_REFUSAL_RECHECK_MS = 10 * 60_000;

/** The plan's BackupService is missing or not Ready: the plan is not looked at (its changes re-enqueue). */
export class ServiceNotReadyError extends Error {
  readonly reason: 'ServiceNotFound' | 'ServiceNotReady';
  constructor(reason: 'ServiceNotFound' | 'ServiceNotReady', message: string) {
    super(message);
    this.name = 'ServiceNotReadyError';
    this.reason = reason;
  }
}

/** The plan uses a feature the service's server version does not have; sending it would get a 404/400. */
export class UnsupportedByServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedByServerError';
  }
}

/** The service refused a plan write (400); `users` are the repositories using the plan, if any. */
export class PlanWriteRefusedError extends Error {
  readonly users: readonly string[];
  constructor(message: string, users: readonly string[], cause: unknown) {
    super(message, { cause });
    this.name = 'PlanWriteRefusedError';
    this.users = users;
  }
}

/** The service refused to switch a repository to the plan's new version (an old server, a 400). */
export class RolloutBlockedError extends Error {
  override readonly name = 'RolloutBlockedError';
}

/** The message of a refused create or replace, saying why where it can (pure). */
export function planRefusalMessage(args: {
  verb: 'create' | 'update' | 'delete';
  planName: string;
  serverText: string;
  users: readonly string[];
  usesPrune: boolean;
}): string {
  let message = `The Backup Service refused to ${args.verb} plan ${args.planName}: ${args.serverText}`;
  if (args.users.length > 0) {
    message += ` (used by repository ${args.users.join(', ')}; the server does not allow changes to a plan in use)`;
  } else if (args.usesPrune && args.verb !== 'delete') {
    message += ' (PRUNE tasks need Couchbase Server 8.0 or later)';
  }
  return message;
}

/** Classifies what a plan reconcile ran into (pure): a refusal, or undefined for a transient error. */
export function classifyPlanError(err: unknown): Refusal | undefined {
  if (err instanceof ServiceNotReadyError) return { reason: err.reason, message: err.message, waiting: true };
  const owned = ownedByOtherRefusal(err);
  if (owned) return owned;
  if (err instanceof UnsupportedByServerError) {
    // A new server version changes the refusal's digest, which lets the write through at once.
    return {
      reason: PLAN_REASONS.unsupportedByServer,
      message: err.message,
      recheckAfterMs: PLAN_REFUSAL_RECHECK_MS,
    };
  }
  if (err instanceof RolloutBlockedError) {
    return {
      reason: PLAN_REASONS.rolloutBlocked,
      message: err.message,
      recheckAfterMs: PLAN_REFUSAL_RECHECK_MS,
    };
  }
  if (err instanceof PlanWriteRefusedError) {
    return {
      reason: err.users.length > 0 ? PLAN_REASONS.planInUse : PLAN_REASONS.planRejected,
      message: err.message,
      recheckAfterMs: PLAN_REFUSAL_RECHECK_MS,
    };
  }
  return undefined;
}

/** True for the service's 400, its answer to an invalid plan, a plan in use, or a duplicate create. */
export const isPlanInvalid = (err: unknown): boolean =>
  isBackupApiError(err) && err.code === BACKUP_API_ERROR_CODES.invalid;

/**
 * Why the plan cannot be written to a server of this version (pure): PRUNE tasks need 8.0. Undefined
 * when it can, or while the version is unknown (then the server's own answer decides).
 */
export function unsupportedByServer(args: {
  planName: string;
  usesPrune: boolean;
  service: string;
  version: string | undefined;
  profile: string | undefined;
}): string | undefined {
  const profile = SERVER_PROFILES.find((p) => p === args.profile);
  if (!args.usesPrune || profile === undefined || profileAtLeast(profile, '8.0')) return undefined;
  return `Plan ${args.planName} has PRUNE tasks, which need Couchbase Server 8.0 or later; BackupService ${args.service} runs ${args.version ?? 'an older version'} (profile ${profile}). Remove the PRUNE tasks or upgrade the cluster.`;
}
