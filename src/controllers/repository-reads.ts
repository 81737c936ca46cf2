import type { BackupClient, RepositoryPathState } from '../backup-api/index.ts';
import { isNotFound } from '../backup-api/index.ts';
import type { ObservedRepository } from './cluster-observations.ts';

/** Reads one repository from the service in one path state; `undefined` when the service answers 404. */
export async function readRepository(
  client: BackupClient,
  state: RepositoryPathState,
  id: string,
  signal: AbortSignal,
): Promise<ObservedRepository | undefined> {
  try {
    return { state, repository: await client.getRepository(state, id, { signal }) };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Finds the repository in whichever group holds it, active first (one read per group: use rarely). */
export async function locateRepository(
  client: BackupClient,
  id: string,
  signal: AbortSignal,
): Promise<ObservedRepository | undefined> {
  for (const state of ['active', 'archived', 'imported'] as const) {
    const found = await readRepository(client, state, id, signal);
    if (found) return found;
  }
  return undefined;
}
