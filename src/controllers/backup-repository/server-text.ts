import { isBackupApiError } from '../../backup-api/index.ts';

/** The server's words for an error: msg and extras, never a secret (the client never echoes bodies). */
export function serverText(err: unknown): string {
  if (isBackupApiError(err)) return err.extras ? `${err.msg}: ${err.extras}` : err.msg;
  return err instanceof Error ? err.message : String(err);
}
