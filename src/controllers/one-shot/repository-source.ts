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
        message: `BackupRepository ${name} does not exist in this namespace; create it or fix spec repositoryRef.name.`,
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
