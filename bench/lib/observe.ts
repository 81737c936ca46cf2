/**
 * What the bench reads from the outside of the operator: its /metrics, /proc/<pid>, and the
 * emulators' request logs (GET /_emulator/requests), grouped by route.
 */
import { readFileSync } from 'node:fs';
import { fetch } from 'undici';

/** One sample line of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (no histograms needed beyond their lines). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of every sample named `name` whose labels include `match`. */
export function sumOf(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

/** Fetches and parses the operator's /metrics. */
export async function scrape(port: number): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return parseMetrics(await res.text());
}

/** The operator's process figures at one moment. */
export interface ProcessSnapshot {
  vmRssMiB: number;
  vmHwmMiB: number;
  cpuSeconds: number;
  metricsRssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  reconciles: Record<string, number>;
  reconcileErrors: number;
}

const MiB = 2 ** 20;
const round = (n: number, d = 1): number => Number(n.toFixed(d));

/** VmRSS/VmHWM from /proc/<pid>/status and user+system CPU from /proc/<pid>/stat. */
export function readProc(pid: number): { vmRssMiB: number; vmHwmMiB: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  return {
    vmRssMiB: round(kb('VmRSS') / 1024),
    vmHwmMiB: round(kb('VmHWM') / 1024),
    cpuSeconds: ticks / 100,
  };
}

/** /proc and /metrics of the operator together. */
export async function snapshot(pid: number, metricsPort: number): Promise<ProcessSnapshot> {
  const samples = await scrape(metricsPort);
  const proc = readProc(pid);
  const reconciles: Record<string, number> = {};
  for (const s of samples.filter((x) => x.name === 'controller_runtime_reconcile_total')) {
    const c = s.labels.controller ?? '?';
    reconciles[c] = (reconciles[c] ?? 0) + s.value;
  }
  return {
    ...proc,
    metricsRssMiB: round(sumOf(samples, 'process_resident_memory_bytes') / MiB),
    heapUsedMiB: round(sumOf(samples, 'nodejs_heap_size_used_bytes') / MiB),
    heapTotalMiB: round(sumOf(samples, 'nodejs_heap_size_total_bytes') / MiB),
    reconciles,
    reconcileErrors: sumOf(samples, 'controller_runtime_reconcile_errors_total'),
  };
}

/** One entry of the emulator's request log. */
export interface LoggedRequest {
  seq: number;
  method: string;
  path: string;
  status: number;
  time: string;
}

/** The newest sequence number of an emulator's request log. */
export async function lastSeq(url: string): Promise<number> {
  const res = await fetch(`${url}/_emulator/requests?since=999999999`);
  return ((await res.json()) as { lastSeq: number }).lastSeq;
}

/** The requests an emulator served after `since`, excluding the bench's own /_emulator calls. */
export async function requestsSince(url: string, since: number): Promise<LoggedRequest[]> {
  const res = await fetch(`${url}/_emulator/requests?since=${since}`);
  const body = (await res.json()) as { entries: LoggedRequest[] };
  return body.entries.filter((e) => !e.path.startsWith('/_emulator'));
}

/**
 * The route of a request: ids and plan names replaced by placeholders, the query string reduced to
 * its keys, so that requests can be counted per endpoint.
 */
export function routeOf(method: string, path: string): string {
  const [p = '', q] = path.split('?');
  const route = p
    .replace(/^\/_p\/backup/, '')
    .replace(/\/repository\/(active|archived|imported)\/[^/]+/, '/repository/$1/{id}')
    .replace(/\/plan\/[^/]+/, '/plan/{name}')
    .replace(/\/(backups|restore|examine)\/[^/]+/, '/$1/{x}');
  const keys = q ? `?${[...new URLSearchParams(q).keys()].sort().join('&')}` : '';
  return `${method} ${route}${keys}`;
}

/** Counts requests per route. */
export function countByRoute(requests: readonly LoggedRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of requests) {
    const k = routeOf(r.method, r.path);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
}

/** The highest number of requests that arrived within one wall-clock second. */
export function peakPerSecond(requests: readonly LoggedRequest[]): number {
  const perSecond = new Map<number, number>();
  for (const r of requests) {
    const s = Math.floor(Date.parse(r.time) / 1000);
    perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  }
  return Math.max(0, ...perSecond.values());
}
