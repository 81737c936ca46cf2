import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Operator } from '../../src/controllers/operator.ts';
import { backupRepositoryKind, backupServiceKind } from '../../src/crds/index.ts';
import { startTestEmulator, type TestEmulator } from '../harness/emulator.ts';
import { createTestNamespace, kubeConfigFrom } from '../harness/kube.ts';
import {
  createCredentialsSecret,
  createResource,
  hasCondition,
  startTestOperator,
  waitForResource,
} from '../harness/operator.ts';

// One Backup Service that answers every request 5 s late must not stall the repositories of
// another: with two workers per kind, the slow service's reconciles may hold one of them, never both.

const LATENCY_MS = 5_000;

describe('scale: a slow Backup Service', () => {
  let kc: KubeConfig;
  let namespace: string;
  let fast: TestEmulator;
  let slow: TestEmulator;
  let operator: Operator;

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    namespace = await createTestNamespace(kc, 'slow-service');
    [fast, slow] = await Promise.all([startTestEmulator(), startTestEmulator()]);
    operator = await startTestOperator({ kc, namespace, workersPerKind: 2 });
  });

  afterAll(async () => {
    await operator?.stop();
    await Promise.all([fast?.close(), slow?.close()]);
  });

  it("does not hold back another service's repositories", async () => {
    await createCredentialsSecret(kc, namespace, 'admin');
    for (const [name, env] of [
      ['fast', fast],
      ['slow', slow],
    ] as const) {
      await createResource(kc, backupServiceKind, namespace, name, {
        endpoints: [env.emulator.url],
        credentialsSecretRef: { name: 'admin' },
        pollInterval: '1s',
      });
    }
    for (const name of ['fast', 'slow'])
      await waitForResource(kc, backupServiceKind, namespace, name, (o) => hasCondition(o, 'Ready'));
    slow.emulator.faults.set({ rules: [{ latencyMs: LATENCY_MS }] });

    const started = Date.now();
    const readyAt = new Map<string, number>();
    const repository = (service: string, env: TestEmulator, name: string) =>
      createResource(kc, backupRepositoryKind, namespace, name, {
        serviceRef: { name: service },
        builtInPlan: '_daily_backups',
        storage: { filesystem: { path: `${env.archiveDir}/${name}` } },
      });
    // The slow service's repositories come first, so that they are first in every queue.
    const slowNames = ['slow-1', 'slow-2', 'slow-3'];
    const fastNames = ['fast-1', 'fast-2', 'fast-3'];
    for (const name of slowNames) await repository('slow', slow, name);
    for (const name of fastNames) await repository('fast', fast, name);
    const ready = (name: string, timeoutMs: number) =>
      waitForResource(
        kc,
        backupRepositoryKind,
        namespace,
        name,
        (o) => hasCondition(o, 'Ready'),
        timeoutMs,
      ).then(() => {
        readyAt.set(name, Date.now() - started);
      });
    const slowReady = Promise.all(slowNames.map((name) => ready(name, 50_000)));
    await Promise.all(fastNames.map((name) => ready(name, 40_000)));
    const fastDone = Math.max(...fastNames.map((n) => readyAt.get(n) ?? Number.POSITIVE_INFINITY));
    // Held back by the slow service, the fast repositories wait for whole slow reconciles (several
    // requests each); free to proceed, they are all Ready before one slow request is answered.
    expect(fastDone, JSON.stringify(Object.fromEntries(readyAt))).toBeLessThan(LATENCY_MS);
    expect(slowNames.filter((n) => readyAt.has(n))).toEqual([]);
    // The slow service's repositories still get there: none was lost while held back.
    slow.emulator.faults.set({ rules: [{ latencyMs: LATENCY_MS / 10 }] });
    await slowReady;
  }, 60_000);
});
