/**
 * 8.0 retention (docs/backup-service-api.md §8): which backups have expired and which of those can be deleted
 * without breaking a later, still-retained incremental that depends on them.
 */
import type { BackupInfo } from './data/contract.ts';
import type { RetentionSettings } from './model.ts';
import { backupNameTime } from './schedule.ts';

const DAY = 86_400_000;

export interface ExpiryReport {
  /** Expired and safe to delete. */
  deletable: string[];
  /** Expired but a non-expired later incremental of the same chain needs them. */
  withNonExpiredDependents: string[];
}

/** Classifies backups (oldest first) by the repository's retention settings at `nowMs`. */
export function computeExpiry(
  backups: readonly Pick<BackupInfo, 'date' | 'type'>[],
  retention: RetentionSettings | undefined,
  nowMs: number,
): ExpiryReport {
  const expired = backups.map((b) => {
    const days = retention?.per_backup[b.date] ?? retention?.period ?? 0;
    return days > 0 && backupNameTime(b.date) + days * DAY <= nowMs;
  });
  const report: ExpiryReport = { deletable: [], withNonExpiredDependents: [] };
  backups.forEach((b, i) => {
    if (!expired[i]) return;
    // Later incrementals up to the next full backup depend on this one.
    let dependentAlive = false;
    for (let j = i + 1; j < backups.length; j++) {
      const later = backups[j];
      if (later === undefined || later.type === 'FULL' || later.type === 'MERGE - FULL') break;
      if (!expired[j]) dependentAlive = true;
    }
    (dependentAlive ? report.withNonExpiredDependents : report.deletable).push(b.date);
  });
  return report;
}
