import { parseJsonSequence } from './json-sequence.ts';
import {
  type ExamineBody,
  type ExamineResult,
  examineResponseSchema,
  type MergeBody,
  type RepositoryPathState,
  type RestoreBody,
  type TaskRun,
  type TaskTriggerResponse,
  taskHistorySchema,
  taskTriggerResponseSchema,
} from './schemas.ts';
import type { CallOptions, Transport } from './transport.ts';

const REPO = '/cluster/self/repository';

export interface TaskHistoryQuery {
  /** Only tasks that started at or after this time (RFC 3339, nanoseconds kept when given as a string). */
  first?: string | Date;
  /** 0 = unlimited. */
  limit?: number;
  offset?: number;
  /** Exact, case-sensitive task name. */
  taskName?: string;
}

/**
 * Task endpoints (docs/backup-service-api.md §5.9–§5.14). Triggers are never retried once the request may have reached
 * the service: a retried POST could start a second backup or restore.
 */
export function taskMethods(t: Transport) {
  return {
    /** `POST …/active/{id}/backup` → generated one-off task name. `full` false = incremental. */
    backup: (id: string, o: CallOptions & { full?: boolean } = {}): Promise<TaskTriggerResponse> =>
      t.request({
        method: 'POST',
        path: `${REPO}/active/{id}/backup`,
        params: { id },
        body: o.full === undefined ? {} : { full_backup: o.full },
        schema: taskTriggerResponseSchema,
        signal: o.signal,
      }),

    /** `POST …/active/{id}/merge`: `{}` merges everything, else a backup-name or day-offset range. */
    merge: (id: string, range: MergeBody = {}, o: CallOptions = {}): Promise<TaskTriggerResponse> =>
      t.request({
        method: 'POST',
        path: `${REPO}/active/{id}/merge`,
        params: { id },
        body: range,
        schema: taskTriggerResponseSchema,
        signal: o.signal,
      }),

    /** `POST …/{state}/{id}/restore` (all three states). Bad target credentials surface later as a failed task. */
    restore: (
      state: RepositoryPathState,
      id: string,
      body: RestoreBody,
      o: CallOptions = {},
    ): Promise<TaskTriggerResponse> =>
      t.request({
        method: 'POST',
        path: `${REPO}/{state}/{id}/restore`,
        params: { state, id },
        body,
        schema: taskTriggerResponseSchema,
        signal: o.signal,
      }),

    /** `POST …/{state}/{id}/examine`: accepts both documented response shapes (see ExamineResult). */
    examine: (
      state: RepositoryPathState,
      id: string,
      body: ExamineBody,
      o: CallOptions = {},
    ): Promise<ExamineResult> =>
      t.request({
        method: 'POST',
        path: `${REPO}/{state}/{id}/examine`,
        params: { state, id },
        body,
        schema: examineResponseSchema,
        decode: parseJsonSequence,
        signal: o.signal,
      }),

    /** `GET …/{state}/{id}/taskHistory`: finished tasks, newest first. */
    taskHistory: (
      state: RepositoryPathState,
      id: string,
      q: TaskHistoryQuery & CallOptions = {},
    ): Promise<TaskRun[]> =>
      t.request({
        method: 'GET',
        path: `${REPO}/{state}/{id}/taskHistory`,
        params: { state, id },
        query: {
          first: q.first instanceof Date ? q.first.toISOString() : q.first,
          limit: q.limit,
          offset: q.offset,
          taskName: q.taskName,
        },
        schema: taskHistorySchema,
        signal: q.signal,
      }),

    /** `DELETE …/active/{id}/backups/{backupName}`; unknown backup → BSVC_INTERNAL (the service answers 500). */
    deleteBackup: (id: string, backupName: string, o: CallOptions = {}): Promise<void> =>
      t.request({
        method: 'DELETE',
        path: `${REPO}/active/{id}/backups/{backupName}`,
        params: { id, backupName },
        signal: o.signal,
      }),
  };
}
