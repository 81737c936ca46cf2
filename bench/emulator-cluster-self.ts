/**
 * Benchmark: `GET /api/v1/cluster/self` of the emulator holding 1,000 repositories.
 *
 * The emulator runs as a child process (as users run it), so the load generator's CPU is not
 * counted against it. Every run sends a bounded number of requests to 127.0.0.1 only, over
 * keep-alive connections (undici Pool), at several concurrency levels, with and without
 * `accept-encoding: gzip`. Results go to bench/results/emulator-cluster-self.json.
 *
 * Usage: node bench/emulator-cluster-self.ts [--requests 5000] [--repositories 1000] [--concurrency 1,8,32]
 * Exit code 1 when a run stays below the target rate.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { arch, cpus, loadavg, platform, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { Pool } from 'undici';
import { createBackupClient } from '../src/backup-api/index.ts';

const TARGET_RPS = 500;
const WARMUP_REQUESTS = 200;
const AUTH = { username: 'admin', password: 'password' };
const ENCODINGS = ['identity', 'gzip'] as const;
type Encoding = (typeof ENCODINGS)[number];

interface RunResult {
  encoding: Encoding;
  concurrency: number;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  bytesPerResponse: number;
}

const root = join(import.meta.dirname, '..');

/** Starts `src/emulator/main.ts` on an ephemeral port and resolves its URL from the banner line. */
async function startEmulator(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      join(root, 'src/emulator/main.ts'),
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--manual-clock',
      // Tasks complete at once, as in the bench's earlier results (task timing is not measured).
      '--min-task-duration',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`emulator did not start: ${out}`)), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited (${code}): ${out}`));
    });
  });
  return { child, url };
}

/** Creates `count` repositories through our client, a few at a time. */
async function seedRepositories(url: string, archive: string, count: number): Promise<void> {
  const client = createBackupClient({ urls: [url], auth: AUTH });
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < count; i = next++) {
        await client.createRepository(`repo-${i}`, { plan: '_hourly_backups', archive });
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const active = Object.keys((await client.getClusterInfo()).active).length;
    if (active !== count) throw new Error(`expected ${count} repositories, the emulator lists ${active}`);
  } finally {
    await client.close();
  }
}

/** The value below which `q` of the sorted samples fall (nearest rank). */
function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

/** Sends `total` GETs with `concurrency` workers over one keep-alive pool; returns latencies. */
async function load(
  url: string,
  encoding: Encoding,
  concurrency: number,
  total: number,
): Promise<{ latencies: number[]; seconds: number; bytes: number }> {
  const origin = new URL(url).origin;
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const headers = {
    authorization: `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64')}`,
    'accept-encoding': encoding,
  };
  const latencies: number[] = [];
  let bytes = 0;
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < total) {
      sent++;
      const started = performance.now();
      const res = await pool.request({ origin, path: '/api/v1/cluster/self', method: 'GET', headers });
      // Count the bytes without concatenating them: the answer is read in full, not copied.
      let size = 0;
      for await (const chunk of res.body) size += (chunk as Buffer).length;
      latencies.push(performance.now() - started);
      if (res.statusCode !== 200) throw new Error(`GET /api/v1/cluster/self answered ${res.statusCode}`);
      bytes = size;
    }
  };
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await pool.close();
  }
  return { latencies, seconds: (performance.now() - started) / 1000, bytes };
}

/** One GET, decoded, to prove the benchmark measures the full answer (and gzip really is gzip). */
async function checkAnswer(url: string, encoding: Encoding, repositories: number): Promise<void> {
  const pool = new Pool(new URL(url).origin);
  try {
    const res = await pool.request({
      path: '/api/v1/cluster/self',
      method: 'GET',
      headers: {
        authorization: `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64')}`,
        'accept-encoding': encoding,
      },
    });
    const raw = Buffer.from(await res.body.arrayBuffer());
    const gzipped = res.headers['content-encoding'] === 'gzip';
    if (gzipped !== (encoding === 'gzip')) throw new Error(`${encoding}: content-encoding ${gzipped}`);
    const json = JSON.parse((gzipped ? gunzipSync(raw) : raw).toString()) as { active: object };
    const n = Object.keys(json.active).length;
    if (n !== repositories) throw new Error(`${encoding}: ${n} repositories in the answer`);
  } finally {
    await pool.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '5000' },
      repositories: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '1,8,32' },
    },
  });
  const requests = Number(values.requests);
  const repositories = Number(values.repositories);
  const levels = values.concurrency.split(',').map(Number);
  if (![requests, repositories, ...levels].every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error('--requests, --repositories and --concurrency take positive integers');
  }

  // Recorded because a busy machine (other builds, tests) lowers every figure.
  const loadBefore = loadavg().map((n) => round(n));
  const dir = await mkdtemp(join(tmpdir(), 'cbbs-bench-'));
  const { child, url } = await startEmulator(join(dir, 'data'));
  const results: RunResult[] = [];
  try {
    const seedStart = performance.now();
    await seedRepositories(url, join(dir, 'archive'), repositories);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    process.stdout.write(
      `emulator ${url}: ${repositories} repositories created in ${seedSeconds.toFixed(1)} s\n`,
    );
    for (const encoding of ENCODINGS) {
      await checkAnswer(url, encoding, repositories);
      for (const concurrency of levels) {
        await load(url, encoding, concurrency, Math.min(WARMUP_REQUESTS, requests));
        const run = await load(url, encoding, concurrency, requests);
        const sorted = [...run.latencies].sort((a, b) => a - b);
        results.push({
          encoding,
          concurrency,
          requests,
          seconds: round(run.seconds, 3),
          requestsPerSecond: round(requests / run.seconds, 0),
          latencyMs: {
            p50: round(percentile(sorted, 0.5)),
            p95: round(percentile(sorted, 0.95)),
            p99: round(percentile(sorted, 0.99)),
            max: round(sorted.at(-1) ?? Number.NaN),
          },
          bytesPerResponse: run.bytes,
        });
      }
    }
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
    await rm(dir, { recursive: true, force: true });
  }

  const report = {
    benchmark: 'emulator GET /api/v1/cluster/self',
    date: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: platform(),
      arch: arch(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      totalMemoryGiB: round(totalmem() / 2 ** 30, 1),
      loadAverage1m5m15m: { before: loadBefore, after: loadavg().map((n) => round(n)) },
    },
    setup: { repositories, requestsPerRun: requests, warmupRequests: WARMUP_REQUESTS, keepAlive: true },
    target: { requestsPerSecond: TARGET_RPS, met: results.every((r) => r.requestsPerSecond >= TARGET_RPS) },
    results,
  };
  await mkdir(join(import.meta.dirname, 'results'), { recursive: true });
  const out = join(import.meta.dirname, 'results', 'emulator-cluster-self.json');
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);

  process.stdout.write('\nencoding  conc   req/s    p50 ms   p95 ms   p99 ms   bytes\n');
  for (const r of results) {
    process.stdout.write(
      `${r.encoding.padEnd(9)} ${String(r.concurrency).padStart(4)} ${String(r.requestsPerSecond).padStart(7)} ` +
        `${r.latencyMs.p50.toFixed(2).padStart(8)} ${r.latencyMs.p95.toFixed(2).padStart(8)} ` +
        `${r.latencyMs.p99.toFixed(2).padStart(8)} ${String(r.bytesPerResponse).padStart(7)}\n`,
    );
  }
  process.stdout.write(
    `\ntarget ≥ ${TARGET_RPS} req/s: ${report.target.met ? 'met' : 'NOT met'}; written to ${out}\n`,
  );
  if (!report.target.met) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 2;
});
