import {
  type CreateRepositoryBody,
  type ImportRepositoryBody,
  type Repository,
  type RepositoryInfo,
  type RepositoryPathState,
  repositoryInfoSchema,
  repositoryListSchema,
  repositorySchema,
} from './schemas.ts';
import type { CallOptions, Transport } from './transport.ts';

const REPO = '/cluster/self/repository';

/** Repository lifecycle endpoints (docs/backup-service-api.md §5.1–§5.8, §5.15). */
export function repositoryMethods(t: Transport) {
  return {
    /** `GET …/repository/{state}`; paused repositories are listed under `active`. */
    listRepositories: (state: RepositoryPathState, o: CallOptions = {}): Promise<Repository[]> =>
      t.request({
        method: 'GET',
        path: `${REPO}/{state}`,
        params: { state },
        schema: repositoryListSchema,
        signal: o.signal,
      }),

    /** `GET …/repository/{state}/{id}`; not in that state → BSVC_NOT_FOUND. */
    getRepository: (state: RepositoryPathState, id: string, o: CallOptions = {}): Promise<Repository> =>
      t.request({
        method: 'GET',
        path: `${REPO}/{state}/{id}`,
        params: { state, id },
        schema: repositorySchema,
        signal: o.signal,
      }),

    /** `GET …/{state}/{id}/info?limit=&offset=`: backups oldest first; limit 0 = all. */
    getRepositoryInfo: (
      state: RepositoryPathState,
      id: string,
      o: CallOptions & { limit?: number; offset?: number } = {},
    ): Promise<RepositoryInfo> =>
      t.request({
        method: 'GET',
        path: `${REPO}/{state}/{id}/info`,
        params: { state, id },
        query: { limit: o.limit, offset: o.offset },
        schema: repositoryInfoSchema,
        signal: o.signal,
      }),

    /**
     * `POST …/active/{id}`. Unknown plan → BSVC_INVALID (servers) or BSVC_NOT_FOUND (docs): see
     * `mayBePlanNotFound`. Unusable archive location → BSVC_INTERNAL.
     */
    createRepository: (id: string, body: CreateRepositoryBody, o: CallOptions = {}): Promise<void> =>
      t.request({ method: 'POST', path: `${REPO}/active/{id}`, params: { id }, body, signal: o.signal }),

    /** `POST …/active/{id}/archive` with `{id: newId}` (may equal `id`). Irreversible. */
    archiveRepository: (id: string, newId: string, o: CallOptions = {}): Promise<void> =>
      t.request({
        method: 'POST',
        path: `${REPO}/active/{id}/archive`,
        params: { id },
        body: { id: newId },
        signal: o.signal,
      }),

    /** `POST …/repository/import`: the repository appears under `imported/{body.id}`. */
    importRepository: (body: ImportRepositoryBody, o: CallOptions = {}): Promise<void> =>
      t.request({ method: 'POST', path: `${REPO}/import`, body, signal: o.signal }),

    /**
     * `DELETE …/{archived|imported}/{id}?remove_repository=&cloud_versions=`. Active repositories must
     * be archived first. `cloudVersions` needs a post-8.0 server.
     */
    deleteRepository: (
      state: 'archived' | 'imported',
      id: string,
      o: CallOptions & { removeRepository?: boolean; cloudVersions?: boolean } = {},
    ): Promise<void> =>
      t.request({
        method: 'DELETE',
        path: `${REPO}/{state}/{id}`,
        params: { state, id },
        query: { remove_repository: o.removeRepository, cloud_versions: o.cloudVersions },
        signal: o.signal,
      }),

    /** `POST …/active/{id}/pause`; succeeds when already paused. */
    pauseRepository: (id: string, o: CallOptions = {}): Promise<void> =>
      t.request({ method: 'POST', path: `${REPO}/active/{id}/pause`, params: { id }, signal: o.signal }),

    /** `POST …/active/{id}/resume`; succeeds when already active. */
    resumeRepository: (id: string, o: CallOptions = {}): Promise<void> =>
      t.request({ method: 'POST', path: `${REPO}/active/{id}/resume`, params: { id }, signal: o.signal }),

    /**
     * `POST …/active/{id}/plan/{plan}`: undocumented (§5.15); testrunner pauses the repository first.
     * Servers without it answer 404 (BSVC_NOT_FOUND) for the unknown route.
     */
    changeRepositoryPlan: (id: string, plan: string, o: CallOptions = {}): Promise<void> =>
      t.request({
        method: 'POST',
        path: `${REPO}/active/{id}/plan/{plan}`,
        params: { id, plan },
        signal: o.signal,
      }),
  };
}
