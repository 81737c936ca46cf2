import type { MergeBody } from '../../backup-api/index.ts';
import type { BackupRunSpec } from '../../crds/backup-run.ts';
import type { ReadonlyDeep } from '../runtime/index.ts';

/** The request a BackupRun sends (pure). */
export type RunRequest =
  | { type: 'BACKUP'; full: boolean }
  | { type: 'MERGE'; body: MergeBody; names: string[] };

/**
 * Maps a BackupRun spec to its request: a backup (incremental unless `backup.full`), or a merge of
 * a backup-name range, a day-offset window, or everything (`{}`). `names` lists the backup names
 * the merge refers to, to be checked against `/info` first.
 */
export function runRequest(spec: ReadonlyDeep<BackupRunSpec>): RunRequest {
  if (spec.type === 'BACKUP') return { type: 'BACKUP', full: spec.backup?.full ?? false };
  const m = spec.merge;
  if (m?.start !== undefined && m.end !== undefined) {
    return { type: 'MERGE', body: { start: m.start, end: m.end }, names: [m.start, m.end] };
  }
  if (m?.offsetStart !== undefined && m.offsetEnd !== undefined) {
    return { type: 'MERGE', body: { offset_start: m.offsetStart, offset_end: m.offsetEnd }, names: [] };
  }
  return { type: 'MERGE', body: {}, names: [] };
}
