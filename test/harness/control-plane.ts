import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Agent, fetch } from 'undici';

/**
 * A real kube-apiserver + etcd on loopback, envtest-style: no controllers, no scheduler, no
 * kubelet. Used by the integration tests' global setup and by the demo.
 */
export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** Bearer token of a `system:masters` user. */
  readonly token: string;
  /** PEM bundle that verifies the API server's serving certificate. */
  readonly caFile: string;
  /** A kubeconfig file for the admin user (context `cbbs-test`). */
  readonly kubeconfigPath: string;
  /** Working directory holding data, certificates and logs (removed by stop()). */
  readonly dir: string;
  readonly etcdUrl: string;
  /** Stops exactly the processes this control plane started; idempotent. */
  stop(): Promise<void>;
  /**
   * Synchronous last resort for signal and exit handlers, where nothing can be awaited: SIGKILLs
   * the processes and removes the working directory.
   */
  killNow(): void;
  /**
   * Kills kube-apiserver (SIGKILL: clients see connections reset, no graceful close), waits
   * `downMs`, and starts it again on the same port with the same data: for reconnect tests.
   */
  restartApiServer(downMs?: number): Promise<void>;
}

export interface StartOptions {
  /** Directory holding `kube-apiserver` and `etcd`. */
  binDir: string;
  /** Keep the working directory after stop() (for debugging). */
  keepDir?: boolean;
  /** Where etcd keeps its data; tmpfs (/dev/shm) by default, since fsync dominates otherwise. */
  baseDir?: string;
  /** Milliseconds to wait for /readyz. */
  startTimeoutMs?: number;
}

const execFileAsync = promisify(execFile);
const PID_FILE = 'pids.json';

/** Asks the kernel for a free loopback port (a small race with other processes is accepted). */
export async function freePort(): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? resolvePort(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

function defaultBaseDir(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

/** Starts etcd and kube-apiserver and resolves when the API server's /readyz answers 200. */
export async function startControlPlane(opts: StartOptions): Promise<ControlPlane> {
  const binDir = resolve(opts.binDir);
  for (const bin of ['etcd', 'kube-apiserver']) {
    if (!existsSync(join(binDir, bin))) {
      throw new Error(`${bin} not found in ${binDir}: run scripts/k8s-binaries.sh or set KUBEBUILDER_ASSETS`);
    }
  }
  const dir = await mkdtemp(join(opts.baseDir ?? defaultBaseDir(), 'cbbs-control-plane-'));
  const children: ChildProcess[] = [];
  let stopped = false;
  let restartApiServer: ControlPlane['restartApiServer'] = async () => {
    throw new Error('not started');
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // API server first so that it does not log a storm of etcd errors.
    for (const child of [...children].reverse()) await terminate(child);
    if (!opts.keepDir) await rm(dir, { recursive: true, force: true });
  };

  const killNow = (): void => {
    stopped = true;
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
  };

  try {
    const [etcdClientPort, etcdPeerPort, apiPort] = await distinctPorts(3);
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const etcd = launch(
      join(binDir, 'etcd'),
      [
        '--name=cbbs-test',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=cbbs-test=${peerUrl}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      join(dir, 'etcd.log'),
    );
    children.push(etcd);
    await recordPids(dir, children);
    await waitFor(`${etcdUrl}/health`, etcd, join(dir, 'etcd.log'), opts.startTimeoutMs ?? 30_000);

    const token = randomBytes(24).toString('hex');
    const certDir = join(dir, 'certs');
    await mkdir(certDir, { recursive: true });
    await writeFile(join(dir, 'tokens.csv'), `${token},cbbs-admin,cbbs-admin,"system:masters"\n`, {
      mode: 0o600,
    });
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    await writeFile(join(dir, 'sa.pub'), publicKey);
    await writeFile(join(dir, 'sa.key'), privateKey, { mode: 0o600 });

    const server = `https://127.0.0.1:${apiPort}`;
    const apiserverArgs = [
      `--etcd-servers=${etcdUrl}`,
      `--cert-dir=${certDir}`,
      `--secure-port=${apiPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--authorization-mode=RBAC',
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      `--service-account-issuer=${server}/`,
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      // No controller-manager runs, so the ServiceAccount admission plugin would reject pods.
      '--disable-admission-plugins=ServiceAccount',
      '--enable-priority-and-fairness=false',
      '--v=0',
    ];
    const startApiServer = async (): Promise<ChildProcess> => {
      const apiserver = launch(
        join(binDir, 'kube-apiserver'),
        apiserverArgs,
        join(dir, 'kube-apiserver.log'),
      );
      children.push(apiserver);
      await recordPids(dir, children);
      await waitFor(
        `${server}/readyz`,
        apiserver,
        join(dir, 'kube-apiserver.log'),
        opts.startTimeoutMs ?? 60_000,
      );
      return apiserver;
    };
    let apiserver = await startApiServer();
    restartApiServer = async (downMs = 0) => {
      await terminate(apiserver, 'SIGKILL');
      children.splice(children.indexOf(apiserver), 1);
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      apiserver = await startApiServer();
    };

    // The self-generated serving certificate file carries the certificate and its CA.
    const caFile = join(certDir, 'apiserver.crt');
    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeconfig(server, caFile, token), { mode: 0o600 });
    return { server, token, caFile, kubeconfigPath, dir, etcdUrl, stop, killNow, restartApiServer };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Renders an admin kubeconfig (YAML is a superset of JSON, so JSON keeps it dependency-free). */
export function kubeconfig(server: string, caFile: string, token: string): string {
  return `${JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'cbbs-test', cluster: { server, 'certificate-authority': caFile } }],
      users: [{ name: 'cbbs-admin', user: { token } }],
      contexts: [
        { name: 'cbbs-test', context: { cluster: 'cbbs-test', user: 'cbbs-admin', namespace: 'default' } },
      ],
      'current-context': 'cbbs-test',
    },
    null,
    2,
  )}\n`;
}

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function launch(bin: string, args: string[], logFile: string): ChildProcess {
  const log = createWriteStream(logFile);
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

async function waitFor(url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Readiness of a server whose certificate we only learn once it is up: trust is established
  // through the kubeconfig afterwards, this probe only needs the status code.
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `${child.spawnfile} exited (${child.exitCode ?? child.signalCode}):\n${tail(logFile)}`,
        );
      }
      try {
        const res = await fetch(url, { dispatcher, signal: AbortSignal.timeout(2_000) });
        await res.body?.cancel();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${url} not ready after ${timeoutMs} ms:\n${tail(logFile)}`);
  } finally {
    await dispatcher.close();
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function recordPids(dir: string, children: ChildProcess[]): Promise<void> {
  const pids = children.map((c) => ({ pid: c.pid, bin: c.spawnfile }));
  await writeFile(join(dir, PID_FILE), JSON.stringify({ owner: process.pid, pids }));
}

/**
 * Stops processes left behind by a control plane whose owner died without cleaning up (e.g. a
 * test run killed with SIGKILL). Only PIDs recorded in such a directory whose command line still
 * names the recorded binary and directory are signalled, so nothing else is ever touched.
 */
export async function reapOrphans(baseDir: string = defaultBaseDir()): Promise<number> {
  let reaped = 0;
  const { stdout } = await execFileAsync('ls', ['-1', baseDir]).catch(() => ({ stdout: '' }));
  for (const name of stdout.split('\n').filter((n) => n.startsWith('cbbs-control-plane-'))) {
    const dir = join(baseDir, name);
    let record: { owner: number; pids: { pid?: number; bin: string }[] };
    try {
      record = JSON.parse(await readFile(join(dir, PID_FILE), 'utf8'));
    } catch {
      continue;
    }
    if (isAlive(record.owner)) continue;
    for (const { pid, bin } of record.pids) {
      if (pid === undefined || !isAlive(pid)) continue;
      const cmdline = readCmdline(pid);
      if (cmdline.includes(bin) && cmdline.includes(dir)) {
        process.kill(pid, 'SIGKILL');
        reaped++;
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
  return reaped;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
