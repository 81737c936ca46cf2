/**
 * The child processes of a bench run (emulators, the operator) and their cleanup: every process
 * started here is recorded and stopped by `stopAll`, or SIGKILLed synchronously by `killAllNow` from
 * signal and exit handlers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { imageRuntime, type MemoryCgroup } from './image-runtime.ts';

const children = new Set<ChildProcess>();
const syncCleanups = new Set<() => void>();

/** Registers a synchronous last-resort cleanup (e.g. the control plane's killNow). */
export function onKill(fn: () => void): () => void {
  syncCleanups.add(fn);
  return () => syncCleanups.delete(fn);
}

/** SIGKILLs every recorded child and runs the synchronous cleanups; safe in 'exit' handlers. */
export function killAllNow(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
  for (const fn of syncCleanups) {
    try {
      fn();
    } catch {
      // best effort while exiting
    }
  }
  syncCleanups.clear();
}

/** Stops one child: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
  children.delete(child);
}

/** Stops every recorded child. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c)));
}

const root = join(import.meta.dirname, '..', '..');

/** An emulator child process and its URL. */
export interface EmulatorProcess {
  child: ChildProcess;
  url: string;
}

/** Starts `src/emulator/main.ts` (manual clock: no schedule fires during the bench) on port 0. */
export async function startEmulatorProcess(
  dataDir: string,
  logFile: string,
  opts: { schedules?: boolean } = {},
): Promise<EmulatorProcess> {
  const child = spawn(
    process.execPath,
    [
      join(root, 'src/emulator/main.ts'),
      '--data-dir',
      dataDir,
      '--port',
      '0',
      // Without schedules the clock stands still and tasks complete at once (cold sync, idle:
      // task timing is not measured); the soak runs real schedules with the default durations.
      ...(opts.schedules ? [] : ['--manual-clock', '--min-task-duration', '0']),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  const log = createWriteStream(logFile);
  child.stderr?.pipe(log);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`emulator did not start: ${out}`)), 20_000);
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
  child.stdout?.pipe(log);
  return { child, url };
}

/** How the operator process is started. */
export interface OperatorLaunch {
  kubeconfig: string;
  namespace: string;
  metricsPort: number;
  healthPort: number;
  servicePollInterval: string;
  /** `--workers`: concurrent reconciles per kind, the floor's concurrency too. */
  workers: number;
  logFile: string;
  /** Extra Node flags, e.g. --cpu-prof, --max-old-space-size=160 (after the image's own). */
  nodeFlags: readonly string[];
  /** A memory cgroup to run in (the chart's default limit). */
  cgroup?: MemoryCgroup | undefined;
}

/** The command line the bench runs (as the image does: node, the image's flags, dist/main.js …). */
export function operatorArgs(l: OperatorLaunch): string[] {
  return [
    ...imageRuntime().nodeFlags,
    ...l.nodeFlags,
    join(root, 'dist/main.js'),
    `--kubeconfig=${l.kubeconfig}`,
    `--namespaces=${l.namespace}`,
    '--leader-elect=false',
    '--health-bind-address=127.0.0.1',
    `--health-port=${l.healthPort}`,
    '--metrics-bind-address=127.0.0.1',
    `--metrics-port=${l.metricsPort}`,
    `--service-poll-interval=${l.servicePollInterval}`,
    `--workers=${l.workers}`,
  ];
}

/** Starts the compiled operator as its own process; its output goes to `logFile`. */
export function startOperatorProcess(l: OperatorLaunch): ChildProcess {
  const direct = { command: process.execPath, args: operatorArgs(l) };
  const { command, args } = l.cgroup ? l.cgroup.wrap(direct.command, direct.args) : direct;
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: root,
    env: { ...process.env, ...imageRuntime().env },
  });
  children.add(child);
  const log = createWriteStream(l.logFile, { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}
