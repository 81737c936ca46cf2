import type { RepositoryPathState } from '../../backup-api/index.ts';
import type { BackupRepositoryResource } from '../resources.ts';
import type { ReadonlyDeep } from '../runtime/index.ts';
import { ONE_SHOT_REASONS } from './status.ts';

/** Where a one-shot resource says its repository is (runs: `spec.repository`; restores: `spec.source`). */
export interface RepositorySource {
  repositoryRef?: { name: string } | undefined;
  serviceRef?: { name: string } | undefined;
  repositoryId?: string | undefined;
  state?: 'Active' | 'Archived' | 'Imported' | undefined;
}

/** A repository resolved to what the Backup Service API needs. */
export interface ResolvedRepository {
  serviceName: string;
  id: string;
  /** Group the repository is expected in. */
  state: RepositoryPathState;
  /** True when the state was given explicitly (unmanaged source) and a mismatch is the user's error. */
  stateExplicit: boolean;
  /** Name of the BackupRepository that manages it, if any. */
  managedBy?: string;
  /**
   * Its BackupRepository asks for Paused: nothing that writes to it starts even while the server
   * still shows it active (just created, or the pause on its way).
   */
  pausedBySpec?: true;
}

/** The outcome of {@link resolveRepository}. */
export type RepositoryResolution =
  | { kind: 'ok'; repository: ResolvedRepository }
  | { kind: 'waiting'; reason: string; message: string };

const PATH_STATE = {
  Active: 'active',
  Paused: 'active',
  Archived: 'archived',
  Imported: 'imported',
} as const;

/**
 * Resolves the repository of a one-shot resource (pure): a BackupRepository in the same namespace
 * (id = status.repositoryId ?? spec.repositoryId ?? metadata.name, state from its status, else its
 * spec), or an unmanaged repository by service and id (state default Active).
 */
export function resolveRepository(
  source: RepositorySource,
  getRepository: (name: string) => ReadonlyDeep<BackupRepositoryResource> | undefined,
): RepositoryResolution {
  if (source.repositoryRef) {
    const name = source.repositoryRef.name;
    const repo = getRepository(name);
    if (!repo) {
      return {
        kind: 'waiting',
        reason: ONE_SHOT_REASONS.waitingForRepository,
        message: `BackupRepository ${name} does not exist in this namespace. Create it and this object starts; to use another repository, delete this object and create a new one (its spec is immutable).`,
      };
    }
    const id = repo.status?.repositoryId ?? repo.spec.repositoryId ?? repo.metadata.name;
    const observed = repo.status?.state;
    const state: RepositoryPathState = observed
      ? PATH_STATE[observed]
      : repo.spec.import
        ? 'imported'
        : PATH_STATE[repo.spec.state];
    return {
      kind: 'ok',
      repository: {
        serviceName: repo.spec.serviceRef.name,
        id,
        state,
        stateExplicit: false,
        managedBy: name,
        ...(repo.spec.state === 'Paused' ? { pausedBySpec: true as const } : {}),
      },
    };
  }
  // CEL guarantees serviceRef and repositoryId together when there is no repositoryRef.
  const serviceName = source.serviceRef?.name ?? '';
  const id = source.repositoryId ?? '';
  return {
    kind: 'ok',
    repository: {
      serviceName,
      id,
      state: PATH_STATE[source.state ?? 'Active'],
      stateExplicit: true,
    },
  };
}

/** What one BackupService of the namespace says about a repository id (from its last poll). */
export interface ServiceSighting {
  name: string;
  /** False until the service's first poll: it may still turn out to hold the repository. */
  polled: boolean;
  /** Where the repository is on that service, if it has it. */
  found?: { state: RepositoryPathState } | undefined;
}

/** The outcome of {@link locateFollowedRepository}. */
export type FollowedRepository =
  | { kind: 'ok'; repository: ResolvedRepository }
  | { kind: 'wait' }
  | { kind: 'lost'; message: string };

/**
 * Where to follow a started task whose BackupRepository object is gone (pure). The task keeps
 * running on the service (a Retain repository stays there), so it is followed from what status
 * recorded: the repository resolved earlier in this process, else the one BackupService of the
 * namespace whose last poll holds `status.repositoryId` (the status schema records no service
 * name). Waits for services not polled yet; `lost` when no single service can be named.
 */
export function locateFollowedRepository(args: {
  repositoryName: string;
  taskName: string;
  repositoryId: string | undefined;
  remembered: ResolvedRepository | undefined;
  services: readonly ServiceSighting[];
}): FollowedRepository {
  const { repositoryName, taskName, repositoryId, remembered, services } = args;
  const gone = `BackupRepository ${repositoryName} was deleted while task ${taskName} ran`;
  const check = 'Check the Backup Service for how the task ended.';
  if (remembered && (repositoryId === undefined || remembered.id === repositoryId)) {
    return { kind: 'ok', repository: remembered };
  }
  if (repositoryId === undefined) {
    return {
      kind: 'lost',
      message: `${gone}, and status.repositoryId is not recorded, so the operator cannot follow it. ${check}`,
    };
  }
  if (services.some((s) => !s.polled)) return { kind: 'wait' };
  const holders = services.filter((s) => s.found);
  const only = holders[0];
  if (holders.length === 1 && only?.found) {
    return {
      kind: 'ok',
      repository: {
        serviceName: only.name,
        id: repositoryId,
        state: only.found.state,
        stateExplicit: false,
        managedBy: repositoryName,
      },
    };
  }
  const where =
    holders.length === 0
      ? `no BackupService in this namespace has repository ${repositoryId} any more`
      : `repository ${repositoryId} exists on several BackupServices (${holders.map((s) => s.name).join(', ')})`;
  return { kind: 'lost', message: `${gone}; ${where}, so the operator cannot follow it. ${check}` };
}
