/**
 * Scale bench: the compiled operator (node dist/main.js) as its own process against a real
 * kube-apiserver + etcd and one Backup Service emulator per BackupService, at several fleet sizes.
 * Measures the floor, the cold sync, idle cost, memory and CPU (and optionally restart and change
 * latency); writes bench/results/<out>.json and .md. See bench/README.md.
 *
 * Usage: node bench/scale.ts [--sizes 100,1000,3000] [--services 4] [--idle 5m] [--out scale] …
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDurationMs } from '../src/crds/duration.ts';
import { kubernetesBinaries } from '../test/harness/binaries.ts';
import { chartMemoryLimitBytes, imageRuntime, parseQuantity } from './lib/image-runtime.ts';
import { killAllNow, onKill, stopAll } from './lib/processes.ts';
import { renderMarkdown, type ScaleReport, type SizeResult } from './lib/report.ts';
import { runSize } from './lib/run-size.ts';

const root = join(import.meta.dirname, '..');
const HELP = `Usage: npm run bench -- [flags]

  --sizes 100,1000        repositories per run (comma-separated; each size gets fresh servers)
  --services 4            BackupServices, one emulator process each
  --plans-per-service 5   BackupPlans per service (repositories spread round-robin)
  --workers 2             the operator's --workers and the floor's concurrency per kind
  --poll-interval 30s     BackupService spec.pollInterval and --service-poll-interval
  --idle 5m               idle window
  --changes 20            trigger tokens for the change latency (0 = skip)
  --restart               measure a restart at the largest size
  --profile cpu|heap      run the operator with --cpu-prof or --heap-prof (files in .tmp/profiles)
  --node-flags "..."      extra Node flags for the operator (after the Dockerfile ENTRYPOINT's own)
  --schedules             the soak: emulators on the real clock, plans with a backup every 10 minutes
                          and an hourly merge (the idle window is then no longer idle)
  --no-admission-finalizer  leave out the chart's finalizer admission policy (clusters before 1.36:
                          the operator then writes each finalizer itself)
  --sample-every D        sample RSS and heap every D during the idle window, e.g. 1m
  --memory-limit Q        run the operator in a memory cgroup: chart (the chart's default limit,
                          the default), none, or a quantity such as 192Mi
  --timeout 10m           cold-sync timeout per size (default: max(2m, 300 ms per repository))
  --out scale             result name: bench/results/<out>.json and <out>.md
  --no-build              use the existing dist/main.js
`;

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1000' },
    services: { type: 'string', default: '4' },
    'plans-per-service': { type: 'string', default: '5' },
    workers: { type: 'string', default: '2' },
    'poll-interval': { type: 'string', default: '30s' },
    idle: { type: 'string', default: '5m' },
    changes: { type: 'string', default: '20' },
    restart: { type: 'boolean', default: false },
    profile: { type: 'string' },
    'node-flags': { type: 'string', default: '' },
    'memory-limit': { type: 'string', default: 'chart' },
    schedules: { type: 'boolean', default: false },
    'no-admission-finalizer': { type: 'boolean', default: false },
    'sample-every': { type: 'string' },
    timeout: { type: 'string' },
    out: { type: 'string', default: 'scale' },
    'no-build': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const positive = (name: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} takes a positive integer, got "${v}"`);
  return n;
};
const log = (line: string): void => {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};
const round = (n: number, d = 2): number => Number(n.toFixed(d));

async function main(): Promise<void> {
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const sizes = values.sizes.split(',').map((s) => positive('sizes', s));
  const services = positive('services', values.services);
  const plansPerService = positive('plans-per-service', values['plans-per-service']);
  const workersPerKind = positive('workers', values.workers);
  const pollIntervalSeconds = parseDurationMs(values['poll-interval']) / 1000;
  const idleMs = parseDurationMs(values.idle);
  const changes = Number(values.changes);
  const profileDir = join(root, '.tmp', 'profiles');
  const nodeFlags = [
    ...values['node-flags'].split(' ').filter(Boolean),
    ...(values.profile === 'cpu' ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ...(values.profile === 'heap' ? ['--heap-prof', `--heap-prof-dir=${profileDir}`] : []),
  ];
  if (values.profile) await mkdir(profileDir, { recursive: true });
  const limit = values['memory-limit'];
  const memoryLimitBytes =
    limit === 'none' ? undefined : limit === 'chart' ? chartMemoryLimitBytes() : parseQuantity(limit);

  if (!values['no-build']) {
    log('building dist/ (npm run build)');
    execFileSync(process.execPath, [join(root, 'scripts/bundle.ts')], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  const binDir = await kubernetesBinaries();
  const loadBefore = loadavg().map((n) => round(n));
  const workDir = await mkdtemp(join('/dev/shm', 'cbbs-bench-scale-'));
  onKill(() => rmSync(workDir, { recursive: true, force: true }));
  const results: SizeResult[] = [];
  const settings = {
    services,
    plansPerService,
    workersPerKind,
    pollIntervalSeconds,
    idleSeconds: idleMs / 1000,
    changes,
    restartAtLargest: values.restart,
    operatorNodeFlags: nodeFlags,
    image: imageRuntime(),
    memoryLimitMiB: memoryLimitBytes === undefined ? 'none' : Math.round(memoryLimitBytes / 2 ** 20),
    emulatorClock: values.schedules ? 'real (schedules fire)' : 'manual (no schedule fires)',
    admissionFinalizer: !values['no-admission-finalizer'],
  };
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const gitCommit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
  const write = async (): Promise<void> => {
    const report: ScaleReport = {
      benchmark: 'scale',
      date: new Date().toISOString(),
      command,
      gitCommit,
      machine: {
        node: process.version,
        platform: platform(),
        arch: arch(),
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        totalMemoryGiB: round(totalmem() / 2 ** 30, 1),
        loadAverage1m5m15m: { before: loadBefore, after: loadavg().map((n) => round(n)) },
      },
      settings,
      results,
    };
    const dir = join(import.meta.dirname, 'results');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${values.out}.json`), `${JSON.stringify(report, null, 2)}\n`);
    const md = join(dir, `${values.out}.md`);
    await writeFile(md, renderMarkdown(report));
    // The repository's formatter owns Markdown tables too: keep `biome check .` clean.
    try {
      execFileSync(join(root, 'node_modules/.bin/biome'), ['format', '--write', md], {
        cwd: root,
        stdio: 'ignore',
      });
    } catch {
      // biome missing (production-only install): the file stays valid Markdown, just unaligned
    }
  };
  try {
    const largest = Math.max(...sizes);
    for (const n of sizes) {
      const timeoutMs = values.timeout ? parseDurationMs(values.timeout) : Math.max(120_000, n * 300);
      results.push(
        await runSize(n, {
          binDir,
          workDir,
          services,
          plansPerService,
          workersPerKind,
          pollIntervalSeconds,
          idleMs,
          changes,
          restart: values.restart && n === largest,
          coldSyncTimeoutMs: timeoutMs,
          createConcurrency: 8,
          nodeFlags,
          memoryLimitBytes,
          schedules: values.schedules,
          admissionFinalizer: !values['no-admission-finalizer'],
          sampleEveryMs: values['sample-every'] ? parseDurationMs(values['sample-every']) : undefined,
          log,
        }),
      );
      await write();
    }
    log(`written to bench/results/${values.out}.json and .md`);
    process.stdout.write(
      `\n${await readFile(join(import.meta.dirname, 'results', `${values.out}.md`), 'utf8')}`,
    );
  } finally {
    await stopAll();
    await rm(workDir, { recursive: true, force: true });
  }
}

// Whatever happens, nothing this run started outlives it.
process.once('exit', killAllNow);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`\n${sig}: stopping every process the bench started\n`);
    killAllNow();
    process.exit(130);
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
