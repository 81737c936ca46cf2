/** Pure text formatting shared by the commands (unit tested beside it). */

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** kubectl's age style: 45s, 12m, 5h, 3d, 2y; "-" when unknown. */
export function age(time: string | undefined, now: Date): string {
  const t = parseTime(time);
  if (t === undefined) return '-';
  return shortDuration(now.getTime() - t);
}

/** A span in the largest unit that keeps it readable: 850ms, 12s, 4m10s, 5h, 3d. */
export function shortDuration(ms: number): string {
  const future = ms < 0;
  const abs = Math.abs(ms);
  const s = Math.floor(abs / 1000);
  let out: string;
  if (abs < 1000) out = `${Math.round(abs)}ms`;
  else if (s < 60) out = `${s}s`;
  else if (s < 600) out = `${Math.floor(s / 60)}m${s % 60 === 0 ? '' : `${s % 60}s`}`;
  else if (s < 3600) out = `${Math.floor(s / 60)}m`;
  else if (s < 86_400) out = `${Math.floor(s / 3600)}h`;
  else if (s < 365 * 86_400) out = `${Math.floor(s / 86_400)}d`;
  else out = `${Math.floor(s / (365 * 86_400))}y`;
  return future ? `in ${out}` : out;
}

/** Duration between two service timestamps; "-" while running (Go zero end time). */
export function taskDuration(start: string | undefined, end: string | undefined): string {
  const a = parseTime(start);
  const b = parseTime(end);
  if (a === undefined || b === undefined) return '-';
  return shortDuration(b - a);
}

/** Milliseconds since the epoch, undefined for missing or Go zero times. */
export function parseTime(time: string | undefined): number | undefined {
  if (!time || time === GO_ZERO_TIME) return undefined;
  const t = new Date(time).getTime();
  return Number.isNaN(t) ? undefined : t;
}

/** Binary sizes as kubectl and df print them: 512B, 1.5KiB, 20MiB. */
export function bytes(n: number | undefined): string {
  if (n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const text = i === 0 || v >= 10 ? Math.round(v).toString() : v.toFixed(1);
  return `${text}${units[i]}`;
}

/** Cuts text to `max` characters with an ellipsis; newlines become spaces. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`;
}

/** A JSON value on one line, for table cells. */
export function compactJson(value: unknown): string {
  if (value === undefined) return '-';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
