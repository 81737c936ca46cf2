import type { BackupInfo } from '../backup-api/index.ts';
import { CliError, EXIT } from './exit-codes.ts';

/** Whether a backup starts a chain of its own (a full or a merged full backup). */
export function isFull(b: Pick<BackupInfo, 'type'>): boolean {
  return b.type === 'FULL' || b.type.startsWith('MERGE');
}

/** What depends on one backup, said before deleting it. */
export interface Dependents {
  backup: BackupInfo;
  /** Later incremental backups up to the next full one: restoring them needs this backup. */
  incrementals: string[];
  /** Backups a merge combined into this one (its `range`); they exist only inside it now. */
  mergedFrom: string[];
}

/** Finds a backup by name in `/info` (oldest first) and what depends on it; unknown → exit 3. */
export function dependentsOf(backups: readonly BackupInfo[], name: string): Dependents {
  const index = backups.findIndex((b) => b.date === name);
  const backup = backups[index];
  if (backup === undefined) throw unknownBackup(backups, name);
  const incrementals: string[] = [];
  for (const later of backups.slice(index + 1)) {
    if (isFull(later)) break;
    incrementals.push(later.date);
  }
  return { backup, incrementals, mergedFrom: [...(backup.range ?? [])] };
}

/** One-line sentences about the dependents (empty when nothing depends on the backup). */
export function describeDependents(d: Dependents): string[] {
  const lines: string[] = [];
  if (d.incrementals.length > 0) {
    const n = d.incrementals.length;
    lines.push(
      `${n} later incremental backup${n === 1 ? '' : 's'} build${n === 1 ? 's' : ''} on it and cannot be restored completely without it: ${d.incrementals.join(', ')}`,
    );
  }
  if (d.mergedFrom.length > 0) {
    lines.push(`it is a merge of ${d.mergedFrom.join(', ')}: their data exists only in this backup`);
  }
  return lines;
}

function unknownBackup(backups: readonly BackupInfo[], name: string): CliError {
  const names = backups.map((b) => b.date);
  const known =
    names.length === 0
      ? 'the repository has no backups'
      : `backups: ${names.slice(-5).join(', ')}${names.length > 5 ? ` (and ${names.length - 5} older)` : ''}`;
  return new CliError(EXIT.notFound, `backup "${name}" not found in the repository (${known})`);
}

/** Resolves a range bound: a backup name or `latest`; undefined stays open. */
function resolveBound(backups: readonly BackupInfo[], bound: string | undefined): number | undefined {
  if (bound === undefined) return undefined;
  if (bound === 'latest') {
    if (backups.length === 0) throw new CliError(EXIT.notFound, 'the repository has no backups');
    return backups.length - 1;
  }
  const i = backups.findIndex((b) => b.date === bound);
  if (i < 0) throw unknownBackup(backups, bound);
  return i;
}

/** The backups from `from` to `to` inclusive (names or `latest`; open ends = oldest/newest). */
export function selectRange(
  backups: readonly BackupInfo[],
  from: string | undefined,
  to: string | undefined,
): BackupInfo[] {
  const start = resolveBound(backups, from) ?? 0;
  const end = resolveBound(backups, to) ?? backups.length - 1;
  if (start > end) throw new CliError(EXIT.usage, `the range is empty: ${from} is newer than ${to}`);
  return backups.slice(start, end + 1);
}

/** Warnings about a restore range that a person should read before restoring. */
export function restoreRangeNotes(all: readonly BackupInfo[], selected: readonly BackupInfo[]): string[] {
  const notes: string[] = [];
  const first = selected[0];
  if (first === undefined) return ['the range holds no backups: nothing would be restored'];
  if (!isFull(first)) {
    const before = all.slice(0, all.indexOf(first)).filter(isFull).at(-1);
    notes.push(
      `the range starts with an incremental backup: documents last changed before it are not restored${before ? ` (start at the full backup ${before.date} to include them)` : ''}`,
    );
  }
  const incomplete = selected.filter((b) => !b.complete).map((b) => b.date);
  if (incomplete.length > 0) notes.push(`incomplete backups in the range: ${incomplete.join(', ')}`);
  return notes;
}
