/** Helpers shared by the route modules. */
import { badRequest } from '../api-error.ts';
import { PATH_STATES, type PathState } from '../model.ts';

/** The backup API prefix (the cluster-manager proxy prefix is stripped before routing). */
export const API = '/api/v1';

/** Only the literal `self` cluster exists (docs/backup-service-api.md §1.1). */
export function requireSelf(cluster: string | undefined): void {
  if (cluster !== 'self')
    throw badRequest('Remote clusters not supported', `Invalid cluster: ${cluster ?? ''}`);
}

/** A repository path state (`paused` is not one, §5). */
export function requirePathState(state: string | undefined): PathState {
  if (state === undefined || !(PATH_STATES as readonly string[]).includes(state)) {
    throw badRequest(
      'invalid repository state',
      `state must be one of ${PATH_STATES.join(', ')}, got "${state ?? ''}"`,
    );
  }
  return state as PathState;
}

/** Message of any thrown value. */
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Route parameter that the pattern guarantees. */
export const param = (params: Record<string, string>, name: string): string => params[name] ?? '';
