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
  reconciles,
  startTestOperator,
  waitForResource,
} from '../harness/operator.ts';

describe('a repository the operator created', () => {
  let kc: KubeConfig;
  let namespace: string;
  let env: TestEmulator;
  let operator: Operator;

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    namespace = await createTestNamespace(kc, 'await-poll');
    env = await startTestEmulator();
    operator = await startTestOperator({ kc, namespace });
  });

  afterAll(async () => {
    await operator?.stop();
    await env?.close();
  });

  it('is reconciled again when the poll shows it, not once more when the fallback for a lost poll was due', async () => {
    // Long enough for the six to be Ready (the poll each create asks for comes within a second)
    // before the look again of the first create is due.
    const pollSeconds = 10;
    await createCredentialsSecret(kc, namespace, 'admin');
    await createResource(kc, backupServiceKind, namespace, 'cb', {
      endpoints: [env.emulator.url],
      credentialsSecretRef: { name: 'admin' },
      pollInterval: `${pollSeconds}s`,
    });
    await waitForResource(kc, backupServiceKind, namespace, 'cb', (o) => hasCondition(o, 'Ready'));
    const createsStarted = Date.now();
    const names = Array.from({ length: 6 }, (_, i) => `fallback-${i}`);
    await Promise.all(
      names.map((name) =>
        createResource(kc, backupRepositoryKind, namespace, name, {
          serviceRef: { name: 'cb' },
          builtInPlan: '_daily_backups',
          storage: { filesystem: { path: `${env.archiveDir}/${name}` } },
        }),
      ),
    );
    for (const name of names) {
      await waitForResource(kc, backupRepositoryKind, namespace, name, (o) => hasCondition(o, 'Ready'));
    }
    // Each create waits for the poll it asked for with a look again one poll interval later, in
    // case that poll is lost; the poll came, so that look again is moot. Counted from a moment
    // after the last Ready (its reconcile is counted when it returns) to past the last look again.
    await new Promise((r) => setTimeout(r, 1_000));
    const before = await reconciles(operator, 'backuprepository');
    expect(Date.now() - createsStarted, 'the window must open before the first look again').toBeLessThan(
      pollSeconds * 1000,
    );
    await new Promise((r) => setTimeout(r, createsStarted + (pollSeconds + 3) * 1000 - Date.now()));
    expect((await reconciles(operator, 'backuprepository')) - before).toBe(0);
  });
});
