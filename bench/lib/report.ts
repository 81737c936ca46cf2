/** The scale bench's result shape and its Markdown rendering. */
import type { FloorResult } from './floor.ts';
import type { ProcessSnapshot } from './observe.ts';

/** Latency percentiles in milliseconds. */
export interface Percentiles {
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Everything measured at one fleet size. */
export interface SizeResult {
  repositories: number;
  services: number;
  plans: number;
  floor: FloorResult;
  coldSync: {
    seconds: number;
    /** From spawn until every object of the kind was Ready and current. */
    kindSeconds: Record<string, number>;
    /** From spawn until /metrics first answered (process start, module loading). */
    metricsUpSeconds: number;
    /** CPU seconds used by then; left out of the cold sync's CPU per reconcile. */
    startupCpuSeconds: number;
    ratioToFloor: number;
    backupServiceRequests: number;
    backupServiceRequestsByRoute: Record<string, number>;
    /** The floor's Backup Service calls for the same fleet. */
    minimumBackupServiceRequests: number;
    /** Writes to our objects (status, finalizers, spec), Events not included. */
    apiServerWrites: number;
    eventsWritten: number;
    /** Events written after every object was Ready (they wait behind status), and when the last was. */
    eventsAfterReady?: number;
    eventsDrainedSeconds?: number;
    apiServerWritesByKind: Record<string, number>;
    minimumApiServerWrites: number;
  };
  afterSync: ProcessSnapshot;
  idle: {
    seconds: number;
    pollIntervalSeconds: number;
    backupServiceRequestsPerMinute: number;
    backupServiceRequestsPerMinuteByRoute: Record<string, number>;
    minimumRequestsPerMinute: number;
    ratio: number;
    apiServerWritesPerMinute: number;
    apiServerWritesByKind: Record<string, number>;
    /** RSS and heap sampled during the window (soak). */
    samples?: Array<{ atSeconds: number; rssMiB: number; heapUsedMiB: number }>;
  };
  afterIdle: ProcessSnapshot;
  /** The operator ran in a memory cgroup with the chart's default limit: its peak and OOM kills. */
  memoryLimit?:
    | { limitMiB: number; peakMiB: number; limitHits: number; oomKills: number }
    | { unavailable: string };
  cpuSecondsPer1000Reconciles: { coldSync: number; total: number };
  changeLatencyMs?: Percentiles;
  /** The bench's own watches: resumed after errors, relisted after 410 (write counts may miss some). */
  watch?: { restarts: number; relists: number };
  restart?: {
    seconds: number;
    backupServiceRequests: number;
    backupServiceRequestsByRoute: Record<string, number>;
    peakRequestsPerSecondByService: number[];
    apiServerWrites: number;
  };
}

/** The whole report. */
export interface ScaleReport {
  benchmark: 'scale';
  date: string;
  command: string;
  gitCommit: string;
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  results: SizeResult[];
}

const f = (n: number | undefined, d = 1): string => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(d));

/** The Markdown page: one row per size for each phase, then the route breakdowns. */
export function renderMarkdown(r: ScaleReport): string {
  const m = r.machine;
  const lines = [
    '# Scale bench',
    '',
    `${r.date} · commit \`${r.gitCommit}\` · Node ${m.node} · ${m.cpus} × ${m.cpuModel} · ${m.totalMemoryGiB} GiB · load ${JSON.stringify(m.loadAverage1m5m15m)}`,
    '',
    `Rerun: \`${r.command}\``,
    '',
    `Settings: ${Object.entries(r.settings)
      .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
      .join(', ')}`,
    '',
    '## Cold sync against the floor',
    '',
    '| N | services | plans | floor s | cold sync s | × floor | requests (min) | object writes (min) + Events | RSS after sync MiB | heap used MiB | CPU s / 1k reconciles |',
    '| -: | -: | -: | -: | -: | -: | -: | -: | -: | -: | -: |',
    ...r.results.map(
      (s) =>
        `| ${s.repositories} | ${s.services} | ${s.plans} | ${f(s.floor.totalSeconds, 2)} | ${f(s.coldSync.seconds, 2)} | ${f(s.coldSync.ratioToFloor, 2)} | ${s.coldSync.backupServiceRequests} (${s.coldSync.minimumBackupServiceRequests}) | ${s.coldSync.apiServerWrites} (${s.coldSync.minimumApiServerWrites}) + ${s.coldSync.eventsWritten}${s.coldSync.eventsAfterReady ? ` (+ ${s.coldSync.eventsAfterReady} in ${f(s.coldSync.eventsDrainedSeconds ?? 0, 1)} s after)` : ''} | ${f(s.afterSync.vmRssMiB)} | ${f(s.afterSync.heapUsedMiB)} | ${f(s.cpuSecondsPer1000Reconciles.coldSync, 2)} |`,
    ),
    '',
    '## Idle',
    '',
    '| N | window s | requests / min | minimum / min | ratio | API writes / min | RSS after idle MiB | peak RSS MiB | heap used MiB |',
    '| -: | -: | -: | -: | -: | -: | -: | -: | -: |',
    ...r.results.map(
      (s) =>
        `| ${s.repositories} | ${f(s.idle.seconds, 0)} | ${f(s.idle.backupServiceRequestsPerMinute)} | ${f(s.idle.minimumRequestsPerMinute)} | ${f(s.idle.ratio, 2)} | ${f(s.idle.apiServerWritesPerMinute)} | ${f(s.afterIdle.vmRssMiB)} | ${f(s.afterIdle.vmHwmMiB)} | ${f(s.afterIdle.heapUsedMiB)} |`,
    ),
    '',
    "## Under the chart's memory limit",
    '',
    ...r.results.map((s) => {
      const m = s.memoryLimit;
      if (!m) return `- N = ${s.repositories}: unconstrained (\`--memory-limit none\`)`;
      if ('unavailable' in m) return `- N = ${s.repositories}: not measured (${m.unavailable})`;
      return `- N = ${s.repositories}: memory cgroup limit ${m.limitMiB} MiB, peak usage ${f(m.peakMiB)} MiB (page cache included), limit reached ${m.limitHits} times, OOM kills ${m.oomKills}`;
    }),
    '',
  ];
  for (const s of r.results.filter((x) => x.idle.samples?.length)) {
    const samples = s.idle.samples ?? [];
    const rss = samples.map((x) => x.rssMiB);
    // Least-squares slope of RSS over time: flat (about zero) means no leak.
    const t = samples.map((x) => x.atSeconds / 60);
    const mt = t.reduce((a, b) => a + b, 0) / t.length;
    const mr = rss.reduce((a, b) => a + b, 0) / rss.length;
    const slope =
      t.reduce((a, ti, i) => a + (ti - mt) * ((rss[i] ?? mr) - mr), 0) /
      Math.max(
        1e-9,
        t.reduce((a, ti) => a + (ti - mt) ** 2, 0),
      );
    lines.push(
      `## RSS over the idle window (N = ${s.repositories}, ${samples.length} samples)`,
      '',
      `First ${f(rss[0] ?? NaN)} MiB, last ${f(rss.at(-1) ?? NaN)} MiB, max ${f(Math.max(...rss))} MiB; trend ${f(slope * 10, 2)} MiB per 10 minutes.`,
      '',
      '| minute | RSS MiB | heap used MiB |',
      '| -: | -: | -: |',
      ...samples.map((x) => `| ${f(x.atSeconds / 60, 1)} | ${f(x.rssMiB)} | ${f(x.heapUsedMiB)} |`),
      '',
    );
  }
  const withLatency = r.results.filter((s) => s.changeLatencyMs);
  if (withLatency.length > 0) {
    lines.push(
      '## Change latency (new trigger token → echoed in status)',
      '',
      '| N | samples | p50 ms | p95 ms | p99 ms | max ms |',
      '| -: | -: | -: | -: | -: | -: |',
      ...withLatency.map((s) => {
        const l = s.changeLatencyMs!;
        return `| ${s.repositories} | ${l.samples} | ${f(l.p50, 0)} | ${f(l.p95, 0)} | ${f(l.p99, 0)} | ${f(l.max, 0)} |`;
      }),
      '',
    );
  }
  const withRestart = r.results.filter((s) => s.restart);
  if (withRestart.length > 0) {
    lines.push(
      '## Restart (every object reconciled once by the new process)',
      '',
      '| N | seconds | requests | peak req/s per service | API writes |',
      '| -: | -: | -: | -: | -: |',
      ...withRestart.map((s) => {
        const x = s.restart!;
        return `| ${s.repositories} | ${f(x.seconds, 2)} | ${x.backupServiceRequests} | ${x.peakRequestsPerSecondByService.join(', ')} | ${x.apiServerWrites} |`;
      }),
      '',
    );
  }
  lines.push('## Backup Service requests by route', '');
  for (const s of r.results) {
    lines.push(
      `### N = ${s.repositories}`,
      '',
      '| route | cold sync | idle / min | restart |',
      '| - | -: | -: | -: |',
    );
    const routes = new Set([
      ...Object.keys(s.coldSync.backupServiceRequestsByRoute),
      ...Object.keys(s.idle.backupServiceRequestsPerMinuteByRoute),
      ...Object.keys(s.restart?.backupServiceRequestsByRoute ?? {}),
    ]);
    for (const route of routes) {
      lines.push(
        `| \`${route}\` | ${s.coldSync.backupServiceRequestsByRoute[route] ?? 0} | ${f(s.idle.backupServiceRequestsPerMinuteByRoute[route] ?? 0)} | ${s.restart ? (s.restart.backupServiceRequestsByRoute[route] ?? 0) : '–'} |`,
      );
    }
    lines.push(
      '',
      `API-server writes in cold sync by kind: ${JSON.stringify(s.coldSync.apiServerWritesByKind)}; idle: ${JSON.stringify(s.idle.apiServerWritesByKind)}`,
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}
