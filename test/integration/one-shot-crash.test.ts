import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { backupRestoreKind, backupRunKind, backupServiceKind, type KindMeta } from '../../src/crds/index.ts';
import { createEmulator, type Emulator } from '../../src/emulator/index.ts';
import { TEST_MIN_TASK_DURATION_MS } from '../harness/emulator.ts';
import { createTestNamespace, kubeConfigFrom } from '../harness/kube.ts';
import { createCredentialsSecret, createResource, waitForResource } from '../harness/operator.ts';
import { emulatorHttp, taskPostsByOperation } from '../support/one-shot-http.ts';

interface OneShotObject {
  status?: { observedGeneration?: number; phase?: string; taskName?: string; error?: string };
}

/** An operator child process; `exited` resolves with how it ended. */
interface OperatorProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

const MAIN = join(import.meta.dirname, '../../src/main.ts');

describe('one-shot exactly once across crashes and racing replicas', () => {
  let kc: KubeConfig;
  let namespace: string;
  let dir: string;
  let emulator: Emulator;
  let emu: ReturnType<typeof emulatorHttp>;
  const processes: OperatorProcess[] = [];

  const startOperator = (crashAt?: string): OperatorProcess => {
    const args = [
      MAIN,
      '--kubeconfig',
      inject('kubeconfig'),
      '--namespaces',
      namespace,
      '--leader-elect=false',
      '--health-port',
      '0',
      '--metrics-port',
      '0',
      '--task-poll-interval',
      '250ms',
      ...(crashAt ? ['--test-crash-at', crashAt] : []),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const p = { child, exited, output: () => out };
    processes.push(p);
    return p;
  };

  const stop = async (p: OperatorProcess) => {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
  };

  const crashedWithin = async (p: OperatorProcess, ms: number) => {
    const result = await Promise.race([
      p.exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms)),
    ]);
    if (result === 'timeout') {
      await stop(p);
      throw new Error(`operator did not reach its crash point within ${ms} ms:\n${p.output().slice(-4000)}`);
    }
    expect(result.signal).toBe('SIGKILL');
  };

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    namespace = await createTestNamespace(kc, 'one-shot-crash');
    dir = await mkdtemp(join(tmpdir(), 'cbbs-crash-'));
    emulator = await createEmulator({
      dataDir: join(dir, 'data'),
      minTaskDurationMs: TEST_MIN_TASK_DURATION_MS,
    });
    emu = emulatorHttp(emulator.url);
    await emu.createBucket('app');
    for (let i = 0; i < 5; i++) await emu.putDoc('app', `doc::${i}`, { i });
    await createCredentialsSecret(kc, namespace, 'cb-admin');
    await createResource(kc, backupServiceKind, namespace, 'cb', {
      endpoints: [emulator.url],
      credentialsSecretRef: { name: 'cb-admin' },
      pollInterval: '1s',
    });
  });

  afterAll(async () => {
    await Promise.all(processes.map(stop));
    await emulator?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A repository of its own per resource, so that adoption is never ambiguous; restores get a backup to read. */
  const repository = async (id: string, withBackup: boolean) => {
    await emu.createRepository(id, join(dir, 'archive', id));
    if (withBackup) {
      await emu.backupNow(id);
      await emulator.idle();
    }
  };
  const oneShot = async (kind: 'run' | 'restore', name: string, repoId: string) => {
    const source = { serviceRef: { name: 'cb' }, repositoryId: repoId };
    if (kind === 'run') {
      await createResource(kc, backupRunKind, namespace, name, { repository: source, type: 'BACKUP' });
    } else {
      await createResource(kc, backupRestoreKind, namespace, name, {
        source,
        mappings: [{ from: 'app', to: `copy-${name}` }],
        autoCreateBuckets: true,
      });
    }
  };
  const metaOf = (kind: 'run' | 'restore'): KindMeta => (kind === 'run' ? backupRunKind : backupRestoreKind);
  const waitFinal = (kind: 'run' | 'restore', name: string, timeoutMs = 90_000) =>
    waitForResource<OneShotObject>(
      kc,
      metaOf(kind),
      namespace,
      name,
      (o) => o.status?.phase === 'Succeeded' || o.status?.phase === 'Failed',
      timeoutMs,
    );

  const POINTS = ['before-request', 'after-request', 'following'] as const;
  const CASES = (['run', 'restore'] as const).flatMap((kind) =>
    POINTS.map((point) => ({ kind, point, name: `${kind}-${point}`, repo: `c-${kind}-${point}` })),
  );

  it('killed before the request, after it, and while following: one task each, all finish', async () => {
    // Tasks run 3 s so that the "following" crash point is reached while the task runs.
    emulator.faults.patch({ taskDelayMs: 3_000 });
    for (const c of CASES) {
      await repository(c.repo, c.kind === 'restore');
      await oneShot(c.kind, c.name, c.repo);
      await crashedWithin(startOperator(`${c.kind}:${c.point}`), 45_000);
    }
    emulator.faults.patch({ taskDelayMs: 0 });
    const survivor = startOperator();
    try {
      for (const c of CASES) {
        const done = await waitFinal(c.kind, c.name);
        expect({ name: c.name, phase: done.status?.phase, error: done.status?.error }).toEqual({
          name: c.name,
          phase: 'Succeeded',
          error: undefined,
        });
      }
    } catch (err) {
      throw new Error(`${String(err)}\noperator output:\n${survivor.output().slice(-6000)}`);
    } finally {
      await stop(survivor);
    }
    const posts = taskPostsByOperation(emulator.requestLog.entries());
    for (const c of CASES) {
      expect({ repo: c.repo, posts: posts[`${c.repo}/${c.kind === 'run' ? 'backup' : 'restore'}`] }).toEqual({
        repo: c.repo,
        posts: 1,
      });
    }
    // The restores wrote their data once: the copies hold the seeded documents.
    for (const c of CASES.filter((x) => x.kind === 'restore')) {
      expect(Object.keys(await emu.docs(`copy-${c.name}`)).length).toBe(5);
    }
  }, 300_000);

  it('two replicas without leader election race on the same objects: one task per object', async () => {
    const names = [
      { kind: 'run' as const, name: 'race-run-a', repo: 'race-a' },
      { kind: 'run' as const, name: 'race-run-b', repo: 'race-b' },
      { kind: 'restore' as const, name: 'race-restore-c', repo: 'race-c' },
      { kind: 'restore' as const, name: 'race-restore-d', repo: 'race-d' },
    ];
    for (const n of names) await repository(n.repo, n.kind === 'restore');
    const replicas = [startOperator(), startOperator()];
    try {
      // Give both replicas time to sync, so they see the new objects at the same moment.
      await new Promise((r) => setTimeout(r, 3_000));
      await Promise.all(names.map((n) => oneShot(n.kind, n.name, n.repo)));
      for (const n of names) {
        const done = await waitFinal(n.kind, n.name);
        expect({ name: n.name, phase: done.status?.phase }).toEqual({ name: n.name, phase: 'Succeeded' });
      }
    } finally {
      await Promise.all(replicas.map(stop));
    }
    const posts = taskPostsByOperation(emulator.requestLog.entries());
    for (const n of names) {
      expect({ repo: n.repo, posts: posts[`${n.repo}/${n.kind === 'run' ? 'backup' : 'restore'}`] }).toEqual({
        repo: n.repo,
        posts: 1,
      });
    }
  }, 180_000);
});
