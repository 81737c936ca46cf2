import {
  type BackupRetentionBody,
  type ExpiredBackupsEntry,
  expiredBackupsSchema,
  type PruneResponse,
  pruneResponseSchema,
  type RepositoryPathState,
  type RetentionSettingsBody,
} from './schemas.ts';
import type { CallOptions, Transport } from './transport.ts';

const REPO = '/cluster/self/repository';

/** 8.0 retention endpoints (docs/backup-service-api.md §8); older servers answer 404 (BSVC_NOT_FOUND). */
export function retentionMethods(t: Transport) {
  return {
    /** `POST …/active/{id}/prune`: deletes expired backups now. Response undocumented: `{}` when empty. */
    prune: (id: string, o: CallOptions = {}): Promise<PruneResponse> =>
      t.request({
        method: 'POST',
        path: `${REPO}/active/{id}/prune`,
        params: { id },
        schema: pruneResponseSchema,
        decode: (text) => (text.trim() === '' ? {} : JSON.parse(text)),
        signal: o.signal,
      }),

    /** `POST …/active/{id}/retentionSettings`: `period` days (0 = forever), `retroactive` applies to old backups. */
    setRetentionSettings: (id: string, body: RetentionSettingsBody, o: CallOptions = {}): Promise<void> =>
      t.request({
        method: 'POST',
        path: `${REPO}/active/{id}/retentionSettings`,
        params: { id },
        body,
        signal: o.signal,
      }),

    /** `POST …/active/{id}/retentionSettings/{backupName}`: per-backup override (body shape inferred). */
    setBackupRetention: (
      id: string,
      backupName: string,
      body: BackupRetentionBody,
      o: CallOptions = {},
    ): Promise<void> =>
      t.request({
        method: 'POST',
        path: `${REPO}/active/{id}/retentionSettings/{backupName}`,
        params: { id, backupName },
        body,
        signal: o.signal,
      }),

    /** `GET …/{state}/{id}/expiredBackups`. */
    listExpiredBackups: (
      state: RepositoryPathState,
      id: string,
      o: CallOptions = {},
    ): Promise<ExpiredBackupsEntry[]> =>
      t.request({
        method: 'GET',
        path: `${REPO}/{state}/{id}/expiredBackups`,
        params: { state, id },
        schema: expiredBackupsSchema,
        signal: o.signal,
      }),
  };
}
