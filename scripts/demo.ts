/**
 * The demo: the operator's main job end to end on local defaults.
 *
 * Starts a real kube-apiserver + etcd (the test harness), the Backup Service emulator with sample
 * data, installs the CRDs, starts the operator, applies examples/, waits for Ready, runs a backup,
 * shows the status table, restores into a new bucket and proves by counting documents that
 * nothing was lost; then stops everything it started (`--keep` leaves it running).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { load } from 'js-yaml';
import { createEmulator, type Emulator } from '../src/emulator/index.ts';
import { kubernetesBinaries } from '../test/harness/binaries.ts';
import { type ControlPlane, freePort, startControlPlane } from '../test/harness/control-plane.ts';
import { installCrds, readCrds } from '../test/harness/crds.ts';
import { kubeConfigFrom } from '../test/harness/kube.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const NAMESPACE = 'cbbs-demo';
const DEMO_ARCHIVE = '/tmp/cbbs-demo/archive';

const { values: args } = parseArgs({
  options: {
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
    'emulator-port': { type: 'string', default: '8097' },
  },
});
if (args.help) {
  process.stdout.write(
    'Usage: make demo [ARGS=--keep]   (or: npm run demo -- [--keep] [--emulator-port 8097])\n\n' +
      'Runs the operator end to end on a local kube-apiserver and the Backup Service emulator.\n' +
      '--keep leaves everything running and prints the kubeconfig and commands to look around.\n',
  );
  process.exit(0);
}

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const green = (s: string) => (process.stdout.isTTY ? `\x1b[32m${s}\x1b[0m` : s);
const red = (s: string) => (process.stdout.isTTY ? `\x1b[31m${s}\x1b[0m` : s);

let stepNo = 0;
/** Runs one named step; a failure says which step failed and why. */
async function step<T>(title: string, fn: () => Promise<T>): Promise<T> {
  stepNo += 1;
  const started = Date.now();
  process.stdout.write(`${bold(`[${stepNo}]`)} ${title} ... `);
  try {
    const result = await fn();
    process.stdout.write(`${green('ok')} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    return result;
  } catch (err) {
    process.stdout.write(`${red('FAILED')}\n`);
    throw new Error(`step ${stepNo} "${title}" failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

interface Started {
  plane?: ControlPlane;
  emulator?: Emulator;
  operator?: ChildProcess;
  workDir?: string | undefined;
}
const started: Started = {};

async function stopAll(): Promise<void> {
  if (started.operator && started.operator.exitCode === null) {
    const exited = new Promise((r) => started.operator?.once('exit', r));
    started.operator.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (started.operator.exitCode === null) started.operator.kill('SIGKILL');
  }
  await started.emulator?.close();
  await started.plane?.stop();
  if (started.workDir) await rm(started.workDir, { recursive: true, force: true });
}

/** Seeds the sample bucket through the emulator's document API. */
async function seed(emulator: Emulator): Promise<void> {
  const data = emulator.data;
  data.createBucket({ name: 'travel-sample', ramQuotaMB: 256 });
  data.createScope('travel-sample', 'inventory');
  for (const c of ['airline', 'airport', 'hotel']) data.createCollection('travel-sample', 'inventory', c);
  for (let i = 0; i < 150; i++) {
    data.upsertDocument(
      { bucket: 'travel-sample', scope: 'inventory', collection: 'airline', key: `airline_${i}` },
      {
        id: i,
        type: 'airline',
        name: `Airline ${i}`,
        iata: `A${i}`,
        country: i % 2 ? 'France' : 'United States',
      },
    );
    data.upsertDocument(
      { bucket: 'travel-sample', scope: 'inventory', collection: 'airport', key: `airport_${i}` },
      { id: i, type: 'airport', airportname: `Airport ${i}`, city: `City ${i % 17}` },
    );
    data.upsertDocument(
      { bucket: 'travel-sample', scope: 'inventory', collection: 'hotel', key: `hotel_${i}` },
      { id: i, type: 'hotel', name: `Hotel ${i}`, reviews: [{ ratings: { Overall: (i % 5) + 1 } }] },
    );
  }
}

function countDocuments(emulator: Emulator, bucket: string): Record<string, number> {
  const counts: Record<string, number> = {};
  if (!emulator.data.getBucket(bucket)) return counts;
  for (const doc of emulator.data.listDocuments(bucket)) {
    const k = `${doc.scope}.${doc.collection}`;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

async function kubectl(bin: string, kubeconfig: string, ...argv: string[]): Promise<string> {
  const { stdout } = await run(join(bin, 'kubectl'), [`--kubeconfig=${kubeconfig}`, ...argv], {
    maxBuffer: 8 << 20,
  });
  return stdout;
}

/** Reads the example manifests, pointing the BackupService at the emulator's actual URL. */
async function exampleDocs(file: string, emulatorUrl: string): Promise<string> {
  const text = await readFile(join(root, 'examples', file), 'utf8');
  return text.replaceAll('http://127.0.0.1:8097', emulatorUrl);
}

async function applyExample(
  bin: string,
  kubeconfig: string,
  file: string,
  emulatorUrl: string,
): Promise<string[]> {
  const manifest = await exampleDocs(file, emulatorUrl);
  const names = manifest
    .split(/^---\s*$/m)
    .map((d) => load(d) as { kind?: string; metadata?: { name?: string } } | null)
    .filter((d): d is { kind: string; metadata: { name: string } } => Boolean(d?.kind && d.metadata?.name))
    .map((d) => `${d.kind}/${d.metadata.name}`);
  await new Promise<void>((resolve, reject) => {
    const child = execFile(
      join(bin, 'kubectl'),
      [`--kubeconfig=${kubeconfig}`, '-n', NAMESPACE, 'apply', '-f', '-'],
      (err) => (err ? reject(err) : resolve()),
    );
    child.stdin?.end(manifest);
  });
  return names;
}

/** How long each demo task stays running. */
const DEMO_MIN_TASK_DURATION_MS = 1_000;

async function waitFor(
  bin: string,
  kubeconfig: string,
  what: string,
  condition: string,
  timeout = '120s',
): Promise<void> {
  await kubectl(
    bin,
    kubeconfig,
    '-n',
    NAMESPACE,
    'wait',
    `--for=${condition}`,
    `--timeout=${timeout}`,
    ...what.split(' '),
  );
}

async function main(): Promise<void> {
  process.stdout.write(
    `${bold('cbbs-operator demo')}: Couchbase Backup Service backups, declared in Kubernetes\n\n`,
  );
  const bin = await step('Locate or build kube-apiserver, etcd and kubectl', () => kubernetesBinaries());
  started.workDir = await mkdtemp(join(tmpdir(), 'cbbs-demo-'));
  await mkdir(DEMO_ARCHIVE, { recursive: true });
  const plane = await step('Start a local Kubernetes API server (etcd + kube-apiserver)', () =>
    startControlPlane({ binDir: bin, keepDir: args.keep }),
  );
  started.plane = plane;
  const kc = kubeConfigFrom(plane.kubeconfigPath);
  await step('Install the CustomResourceDefinitions from deploy/crds', async () =>
    installCrds(kc, await readCrds(join(root, 'deploy/crds'))),
  );

  const wanted = Number(args['emulator-port']);
  const port = await freePortOr(wanted);
  const emulator = await step(
    `Start the Backup Service emulator on port ${port} and load sample data`,
    async () => {
      // Tasks stay running for a second (a real one takes seconds): visible, yet the demo stays quick.
      const e = await createEmulator({
        port,
        dataDir: join(started.workDir!, 'emulator'),
        minTaskDurationMs: DEMO_MIN_TASK_DURATION_MS,
      });
      await seed(e);
      return e;
    },
  );
  started.emulator = emulator;

  const operatorLog = join(started.workDir, 'operator.log');
  await step('Start the operator (node src/main.ts)', async () => {
    const log = createWriteStream(operatorLog);
    const child = spawn(
      process.execPath,
      [
        join(root, 'src/main.ts'),
        `--kubeconfig=${plane.kubeconfigPath}`,
        `--namespaces=${NAMESPACE}`,
        '--leader-elect=false',
        '--health-port=0',
        '--metrics-port=0',
        '--task-poll-interval=500ms',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    started.operator = child;
    await new Promise((r) => setTimeout(r, 500));
    if (child.exitCode !== null)
      throw new Error(`the operator exited with code ${child.exitCode}; see ${operatorLog}`);
  });

  await step(`Create namespace ${NAMESPACE} and apply examples/ (service, plan, repository)`, async () => {
    await kubectl(bin, plane.kubeconfigPath, 'create', 'namespace', NAMESPACE);
    for (const f of ['backupservice.yaml', 'backupplan.yaml', 'backuprepository.yaml']) {
      await applyExample(bin, plane.kubeconfigPath, f, emulator.url);
    }
  });
  await step(
    'Wait until BackupService, BackupPlan and BackupRepository are Ready (kubectl wait)',
    async () => {
      for (const kind of ['backupservices', 'backupplans', 'backuprepositories']) {
        await waitFor(bin, plane.kubeconfigPath, `${kind} --all`, 'condition=Ready');
      }
    },
  );
  const run = await step('Run a full backup now (examples/backuprun.yaml)', async () => {
    const [name] = await applyExample(bin, plane.kubeconfigPath, 'backuprun.yaml', emulator.url);
    await waitFor(bin, plane.kubeconfigPath, name!, 'jsonpath={.status.phase}=Succeeded');
    return name!;
  });

  process.stdout.write(`\n${bold('$ kubectl get cbbs -n cbbs-demo')}\n`);
  process.stdout.write(await kubectl(bin, plane.kubeconfigPath, 'get', 'cbbs', '-n', NAMESPACE));
  process.stdout.write(
    `\n${bold(`$ kubectl get ${run.toLowerCase()} -n cbbs-demo -o jsonpath='{.status.backupName}'`)}\n`,
  );
  process.stdout.write(
    `${await kubectl(bin, plane.kubeconfigPath, 'get', run, '-n', NAMESPACE, '-o', 'jsonpath={.status.backupName}')}\n\n`,
  );

  const restore = await step('Restore into a new bucket (examples/backuprestore.yaml)', async () => {
    const [name] = await applyExample(bin, plane.kubeconfigPath, 'backuprestore.yaml', emulator.url);
    await waitFor(bin, plane.kubeconfigPath, name!, 'jsonpath={.status.phase}=Succeeded');
    return name!;
  });
  const restoreSpec = load(
    await exampleDocs('backuprestore.yaml', emulator.url).then(
      (t) => t.split(/^---\s*$/m).find((d) => d.includes('kind: BackupRestore')) ?? '',
    ),
  ) as {
    spec?: { mappings?: { from: string; to: string }[] };
  };
  const target = restoreSpec.spec?.mappings?.[0]?.to.split('.')[0] ?? 'travel-sample';
  const before = countDocuments(emulator, 'travel-sample');
  const after = countDocuments(emulator, target);
  process.stdout.write(
    `\n${bold(`Documents in travel-sample (source) and ${target} (restored by ${restore}):`)}\n`,
  );
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const k of keys)
    process.stdout.write(
      `  ${k.padEnd(28)} ${String(before[k] ?? 0).padStart(6)} → ${String(after[k] ?? 0).padStart(6)}\n`,
    );
  const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
  const lost = keys.filter((k) => (before[k] ?? 0) !== (after[k] ?? 0));
  if (lost.length > 0 || total(after) === 0)
    throw new Error(`restored counts differ from the source in ${lost.join(', ') || 'every collection'}`);
  process.stdout.write(
    `  ${'total'.padEnd(28)} ${String(total(before)).padStart(6)} → ${String(total(after)).padStart(6)}   ${green('nothing lost')}\n\n`,
  );

  if (args.keep) {
    process.stdout.write(
      `${bold('Left running (--keep).')} Look around:\n` +
        `  export KUBECONFIG=${plane.kubeconfigPath}\n` +
        `  export PATH=${bin}:$PATH\n` +
        `  kubectl get cbbs -n ${NAMESPACE}\n` +
        `  kubectl describe backuprepositories -n ${NAMESPACE}\n` +
        `  curl -u admin:password ${emulator.url}/api/v1/cluster/self\n` +
        `  operator log: ${operatorLog}\n` +
        'Press Ctrl-C to stop everything.\n',
    );
    started.workDir = undefined;
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
}

async function freePortOr(port: number): Promise<number> {
  const { createServer } = await import('node:net');
  return await new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => void freePort().then(resolve));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(port)));
  });
}

main()
  .then(async () => {
    await stopAll();
    process.stdout.write(`${green('Demo finished')}: everything it started is stopped.\n`);
    process.exit(0);
  })
  .catch(async (err: unknown) => {
    process.stderr.write(`\n${red('Demo failed')}: ${err instanceof Error ? err.message : String(err)}\n`);
    if (started.workDir) {
      const log = await readFile(join(started.workDir, 'operator.log'), 'utf8').catch(() => '');
      if (log)
        process.stderr.write(`\nLast lines of the operator log:\n${log.split('\n').slice(-15).join('\n')}\n`);
    }
    await stopAll().catch(() => {});
    process.exit(1);
  });
