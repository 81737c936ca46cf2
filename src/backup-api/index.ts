// Public API of the Backup Service client (the one barrel allowed in this directory).
export { DEFAULT_RETRY, type RetryOptions } from './backoff.ts';
export { type BackupClient, type BackupClientOptions, createBackupClient } from './client.ts';
export {
  type ClusterManagerClient,
  createClusterManagerClient,
  type Pools,
  profileAtLeast,
  profileOfVersion,
  SERVER_PROFILES,
  type ServerProfile,
} from './cluster-manager.ts';
export {
  BACKUP_API_ERROR_CODES,
  BackupApiError,
  type BackupApiErrorCode,
  CREATE_REPOSITORY_ENDPOINT,
  codeForStatus,
  describeAnswer,
  isBackupApiError,
  isNotFound,
  mayBePlanNotFound,
  serverMessage,
  serverText,
} from './errors.ts';
export * from './schemas.ts';
export type { TaskHistoryQuery } from './tasks.ts';
export type { AttemptInfo, CallOptions, HttpMethod, TlsOptions } from './transport.ts';
