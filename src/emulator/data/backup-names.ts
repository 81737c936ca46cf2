/**
 * Backup names as Couchbase writes them: an RFC 3339 timestamp with a nanosecond fraction whose ':'
 * are replaced by '_' (directory names must be portable), e.g. `2026-11-27T10_00_00.123456789Z`.
 */

const NAME_PATTERN = /^(\d{4}-\d{2}-\d{2})T(\d{2})_(\d{2})_(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}_\d{2})$/;

/** Nanoseconds since the epoch encoded by a backup name, or undefined when it is not one. */
export function parseBackupName(name: string): bigint | undefined {
  const m = NAME_PATTERN.exec(name);
  if (m === null) return undefined;
  const [, day, hh, mm, ss, fraction = '', zone = 'Z'] = m;
  const offset = zone === 'Z' ? 'Z' : zone.replace('_', ':');
  const ms = Date.parse(`${day}T${hh}:${mm}:${ss}${offset}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt(fraction.padEnd(9, '0'));
}

/** Formats epoch nanoseconds as a UTC backup name with a 9-digit fraction. */
export function formatBackupName(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // 2026-11-27T10:00:00.123Z
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19).replaceAll(':', '_')}.${fraction}Z`;
}

/**
 * A name for a backup taken at `now` that sorts after every name in `existing`: two backups in the
 * same millisecond (or a clock that went back) get the next free nanosecond.
 */
export function nextBackupName(now: Date, existing: readonly string[]): string {
  let ns = BigInt(now.getTime()) * 1_000_000n;
  for (const name of existing) {
    const other = parseBackupName(name);
    if (other !== undefined && other >= ns) ns = other + 1n;
  }
  return formatBackupName(ns);
}

/** Chronological order of backup names; names that do not parse sort by text after those that do. */
export function compareBackupNames(a: string, b: string): number {
  const x = parseBackupName(a);
  const y = parseBackupName(b);
  if (x !== undefined && y !== undefined && x !== y) return x < y ? -1 : 1;
  if (x !== undefined && y === undefined) return -1;
  if (x === undefined && y !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
