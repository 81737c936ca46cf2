import { planMethods } from './plans.ts';
import { repositoryMethods } from './repositories.ts';
import { retentionMethods } from './retention.ts';
import { serviceConfigMethods } from './service-config.ts';
import { taskMethods } from './tasks.ts';
import { createTransport, type TransportOptions } from './transport.ts';

export type BackupClientOptions = TransportOptions;

/**
 * Creates a typed client for the Couchbase Backup Service REST API (`/api/v1`).
 *
 * Every method returns zod-validated data or throws `BackupApiError` (branch on `code`). GETs are
 * retried with full-jitter backoff and fail over between `urls`; triggers and other writes are sent
 * once unless the connection failed before the request left the client. Call `close()` to release
 * the per-node keep-alive pools.
 */
export function createBackupClient(options: BackupClientOptions) {
  const transport = createTransport(options);
  return {
    ...serviceConfigMethods(transport),
    ...planMethods(transport),
    ...repositoryMethods(transport),
    ...taskMethods(transport),
    ...retentionMethods(transport),
    /** Base URL of the node that served the last successful call. */
    activeNode: transport.activeNode,
    /** Closes the per-node pools (an injected dispatcher is left open). */
    close: transport.close,
  };
}

/** The client returned by `createBackupClient`. */
export type BackupClient = ReturnType<typeof createBackupClient>;
