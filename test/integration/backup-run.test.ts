import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBackupRunReconciler } from '../../src/controllers/backup-run/reconciler.ts';
import { createBackupServiceReconciler } from '../../src/controllers/backup-service/reconciler.ts';
import type { Operator } from '../../src/controllers/operator.ts';
import {
  backupRepositoryKind,
  backupRunKind,
  backupServiceKind,
  type KindMeta,
} from '../../src/crds/index.ts';
import { startTestEmulator, type TestEmulator } from '../harness/emulator.ts';
import { createTestNamespace, kubeConfigFrom } from '../harness/kube.ts';
import {
  createCredentialsSecret,
  createResource,
  getResource,
  hasCondition,
  startTestOperator,
  waitForResource,
} from '../harness/operator.ts';
import { emulatorHttp, taskPostsByRepository } from '../support/one-shot-http.ts';

interface RunObject {
  metadata: { generation?: number; resourceVersion?: string };
  status?: {
    observedGeneration?: number;
    phase?: string;
    taskName?: string;
    backupName?: string;
    repositoryId?: string;
    error?: string;
    progress?: number;
    startTime?: string;
    completionTime?: string;
    intent?: { token: string; sentAt: string };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** BackupRun reconciler plus the BackupService one (which polls); BackupRepository objects are not reconciled here. */
const reconcilers = { services: createBackupServiceReconciler, runs: createBackupRunReconciler };

const terminal = (o: RunObject) => o.status?.phase === 'Succeeded' || o.status?.phase === 'Failed';
const stalled = (o: RunObject) => o.status?.conditions?.find((c) => c.type === 'Stalled');

describe('BackupRun', () => {
  let kc: KubeConfig;
  let namespace: string;
  let env: TestEmulator;
  let operator: Operator;
  let emu: ReturnType<typeof emulatorHttp>;

  beforeAll(async () => {
    kc = kubeConfigFrom(inject('kubeconfig'));
    namespace = await createTestNamespace(kc, 'backup-run');
    env = await startTestEmulator();
    emu = emulatorHttp(env.emulator.url);
    await emu.createBucket('app');
    await emu.putDoc('app', 'user::1', { name: 'one' });
    await createCredentialsSecret(kc, namespace, 'cb-admin');
    await createResource(kc, backupServiceKind, namespace, 'cb', {
      endpoints: [env.emulator.url],
      credentialsSecretRef: { name: 'cb-admin' },
      pollInterval: '1s',
    });
    operator = await startTestOperator({ kc, namespace, reconcilers });
  });

  afterAll(async () => {
    await operator?.stop();
    await env?.close();
  });

  const run = (name: string, repositoryId: string, extra: object = { type: 'BACKUP' }) =>
    createResource(kc, backupRunKind, namespace, name, {
      repository: { serviceRef: { name: 'cb' }, repositoryId },
      ...extra,
    });
  const waitTerminal = (name: string) =>
    waitForResource<RunObject>(kc, backupRunKind, namespace, name, terminal, 60_000);
  const objects = () => kc.makeApiClient(CustomObjectsApi);
  const patchStatus = (meta: KindMeta, name: string, status: object) =>
    objects().patchNamespacedCustomObjectStatus(
      { group: meta.group, version: meta.version, plural: meta.plural, namespace, name, body: { status } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  /** A BackupRepository object for an emulator repository (nobody reconciles it in this file). */
  const repositoryObject = (name: string, repositoryId: string) =>
    createResource(kc, backupRepositoryKind, namespace, name, {
      serviceRef: { name: 'cb' },
      repositoryId,
      builtInPlan: '_daily_backups',
      storage: { filesystem: { path: env.archiveDir } },
    });
  const deleteRepositoryObject = (name: string) =>
    objects().deleteNamespacedCustomObject({
      group: backupRepositoryKind.group,
      version: backupRepositoryKind.version,
      plural: backupRepositoryKind.plural,
      namespace,
      name,
    });
  /** Records the status writes (MODIFIED events) of one BackupRun from now on. */
  const recordWrites = async (name: string) => {
    const list = (await objects().listNamespacedCustomObject({
      group: backupRunKind.group,
      version: backupRunKind.version,
      plural: backupRunKind.plural,
      namespace,
    })) as { metadata: { resourceVersion: string } };
    const writes: RunObject[] = [];
    const watch = await new Watch(kc).watch(
      `/apis/${backupRunKind.group}/${backupRunKind.version}/namespaces/${namespace}/${backupRunKind.plural}`,
      { resourceVersion: list.metadata.resourceVersion },
      (type, obj: RunObject & { metadata: { name: string } }) => {
        if (type === 'MODIFIED' && obj.metadata.name === name) writes.push(obj);
      },
      () => {},
    );
    return { writes: () => writes, stop: () => watch.abort() };
  };
  const taskPath = (id: string, op: string) => `/api/v1/cluster/self/repository/active/${id}/${op}`;

  it('takes one backup, records the backup name, is Ready, and then stays idle', async () => {
    await emu.createRepository('r1', `${env.archiveDir}/r1`);
    await run('full', 'r1', { type: 'BACKUP', backup: { full: true } });
    const done = await waitTerminal('full');
    expect(done.status).toMatchObject({ phase: 'Succeeded', repositoryId: 'r1', progress: 100 });
    expect(done.status?.taskName).toMatch(/^BACKUP-/);
    expect(await emu.info('active', 'r1')).toEqual([done.status?.backupName]);
    expect(hasCondition(done, 'Ready')).toBe(true);
    expect(done.status?.startTime).toBeDefined();
    expect(done.status?.completionTime).toBeDefined();

    // Idle: no writes to the object, no task-related Backup Service requests from the operator.
    const seq = env.emulator.requestLog.lastSeq();
    await new Promise((r) => setTimeout(r, 3_000));
    const after = await getResource<RunObject>(kc, backupRunKind, namespace, 'full');
    expect(after.metadata.resourceVersion).toBe(done.metadata.resourceVersion);
    const requests = env.emulator.requestLog.entries({ since: seq });
    expect(
      requests.filter(
        (e) => !e.path.startsWith('/api/v1/cluster/self?') && e.path !== '/api/v1/cluster/self',
      ),
    ).toEqual([]);
    expect(taskPostsByRepository(env.emulator.requestLog.entries())).toEqual({ r1: 1 });
  });

  it('with a realistic task duration, is Running with moving progress while the task runs, then Succeeded', async () => {
    await emu.createRepository('slow', `${env.archiveDir}/slow`);
    // What a real backup of a small bucket takes (the emulator's default, §6.5).
    env.emulator.taskDuration.minTaskDurationMs = 3_000;
    try {
      const watch = await recordWrites('slow-run');
      await run('slow-run', 'slow');
      const done = await waitTerminal('slow-run');
      watch.stop();
      expect(done.status).toMatchObject({ phase: 'Succeeded', progress: 100 });
      const running = watch.writes().filter((o) => o.status?.phase === 'Running');
      const progress = running.map((o) => o.status?.progress ?? 0);
      // Seen running, with at least one progress strictly between start and end.
      expect(running.length).toBeGreaterThan(0);
      expect(progress.some((p) => p > 0 && p < 100)).toBe(true);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      const took = Date.parse(done.status?.completionTime ?? '') - Date.parse(done.status?.startTime ?? '');
      expect(took).toBeGreaterThanOrEqual(2_000);
    } finally {
      env.emulator.taskDuration.minTaskDurationMs = 0;
    }
  });

  it('merges by backup names into one backup', async () => {
    await emu.createRepository('r2', `${env.archiveDir}/r2`);
    await run('b1', 'r2');
    await waitTerminal('b1');
    await emu.putDoc('app', 'user::2', { name: 'two' });
    await run('b2', 'r2');
    await waitTerminal('b2');
    const [first, second] = await emu.info('active', 'r2');
    await run('merge', 'r2', { type: 'MERGE', merge: { start: first, end: second } });
    const done = await waitTerminal('merge');
    expect(done.status?.phase).toBe('Succeeded');
    expect(done.status?.taskName).toMatch(/^MERGE-/);
    expect(await emu.info('active', 'r2')).toEqual([done.status?.backupName]);
  });

  it('ends Failed with the service error when the task fails', async () => {
    await emu.createRepository('r3', `${env.archiveDir}/r3`);
    env.emulator.faults.patch({ taskFailures: [{ repository: 'r3', error: 'disk full' }] });
    await run('failing', 'r3');
    const done = await waitTerminal('failing');
    expect(done.status).toMatchObject({ phase: 'Failed', error: 'disk full' });
    expect(stalled(done)).toMatchObject({ status: 'True', reason: 'TaskFailed' });
    expect(stalled(done)?.message).toContain('disk full');
  });

  it('refuses clearly: archived repository, unknown merge backup, missing repository', async () => {
    await emu.createRepository('r4', `${env.archiveDir}/r4`);
    await emu.archiveRepository('r4');
    await run('on-archived', 'r4');
    const archived = await waitTerminal('on-archived');
    expect(archived.status?.phase).toBe('Failed');
    expect(stalled(archived)?.reason).toBe('RepositoryNotActive');
    expect(stalled(archived)?.message).toContain('archived');

    await emu.createRepository('r5', `${env.archiveDir}/r5`);
    await run('bad-merge', 'r5', {
      type: 'MERGE',
      merge: { start: '2020-01-01T00_00_00Z', end: '2020-01-02T00_00_00Z' },
    });
    const badMerge = await waitTerminal('bad-merge');
    expect(stalled(badMerge)?.reason).toBe('BackupNotFound');
    expect(stalled(badMerge)?.message).toContain('2020-01-01T00_00_00Z');

    await run('nowhere', 'does-not-exist');
    const nowhere = await waitForResource<RunObject>(kc, backupRunKind, namespace, 'nowhere', (o) =>
      hasCondition(o, 'Stalled'),
    );
    expect(nowhere.status?.phase).toBe('Pending');
    expect(stalled(nowhere)?.reason).toBe('RepositoryNotFound');
    expect(nowhere.status?.intent).toBeUndefined();
    const posts = taskPostsByRepository(env.emulator.requestLog.entries());
    expect(posts.r4 ?? 0).toBe(0);
    expect(posts.r5 ?? 0).toBe(0);
  });

  it('rejects the other spelling of a task type at admission, naming the supported values', async () => {
    // One vocabulary: runs spell task types as BackupPlan tasks and the Backup Service do.
    for (const [type, name] of [
      ['Backup', 'mixed-case'],
      ['backup', 'lower-case'],
    ] as const) {
      const err = await run(name, 'r1', { type }).then(
        () => undefined,
        (e: unknown) => e as { code?: number; body?: string },
      );
      expect(err?.code, type).toBe(422);
      const message = (JSON.parse(err?.body ?? '{}') as { message?: string }).message;
      expect(message).toContain(
        `spec.type: Unsupported value: "${type}": supported values: "BACKUP", "MERGE"`,
      );
    }
  });

  it('does not resend when the outcome is unknown, until a retry token allows one request', async () => {
    await run('ambiguous', 'amb');
    await waitForResource<RunObject>(kc, backupRunKind, namespace, 'ambiguous', (o) =>
      hasCondition(o, 'Stalled'),
    );
    // As if an operator had recorded its intent and died: then two backups appear that could be it.
    await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus(
      {
        group: backupRunKind.group,
        version: backupRunKind.version,
        plural: backupRunKind.plural,
        namespace,
        name: 'ambiguous',
        body: { status: { intent: { token: 'lost', sentAt: new Date().toISOString() } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    // Until both exist the operator cannot read the history: a look at it in between would find
    // one candidate and rightly adopt it.
    env.emulator.faults.patch({
      rules: [
        { method: 'GET', path: '/api/v1/cluster/self/repository/active/amb/taskHistory', errorRate: 1 },
      ],
    });
    await emu.createRepository('amb', `${env.archiveDir}/amb`);
    const first = await emu.backupNow('amb');
    await env.emulator.idle();
    const second = await emu.backupNow('amb');
    env.emulator.faults.patch({ rules: [] });
    const unknown = await waitForResource<RunObject>(
      kc,
      backupRunKind,
      namespace,
      'ambiguous',
      (o) => stalled(o)?.reason === 'TriggerOutcomeUnknown',
      60_000,
    );
    expect(unknown.status?.phase).toBe('Pending');
    expect(stalled(unknown)?.message).toContain(first);
    expect(stalled(unknown)?.message).toContain(second);
    expect(stalled(unknown)?.message).toContain('cbbs.dev/retry-token');
    expect(taskPostsByRepository(env.emulator.requestLog.entries()).amb).toBe(2);

    await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
      {
        group: backupRunKind.group,
        version: backupRunKind.version,
        plural: backupRunKind.plural,
        namespace,
        name: 'ambiguous',
        body: { metadata: { annotations: { 'cbbs.dev/retry-token': 'once' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const done = await waitTerminal('ambiguous');
    expect(done.status?.phase).toBe('Succeeded');
    expect([first, second]).not.toContain(done.status?.taskName);
    expect(taskPostsByRepository(env.emulator.requestLog.entries()).amb).toBe(3);
  }, 90_000);

  it('fails at once, with the service message, when the service refuses the request for good', async () => {
    await emu.createRepository('r7', `${env.archiveDir}/r7`);
    env.emulator.faults.patch({
      rules: [{ method: 'POST', path: taskPath('r7', 'backup'), errorRate: 1, errorStatus: 500 }],
    });
    try {
      await run('refused', 'r7');
      const done = await waitTerminal('refused');
      expect(done.status?.phase).toBe('Failed');
      expect(stalled(done)).toMatchObject({ status: 'True', reason: 'RequestRejected' });
      expect(stalled(done)?.message).toContain('500 internal server error: injected fault');
      expect(done.status?.error).toBe('500 internal server error: injected fault');
      expect(hasCondition(done, 'Ready')).toBe(false);
      expect(taskPostsByRepository(env.emulator.requestLog.entries()).r7).toBe(1);
    } finally {
      env.emulator.faults.patch({ rules: [] });
    }
  });

  it('retries a 503 a bounded number of times, one status write per try, then fails', async () => {
    await emu.createRepository('r8', `${env.archiveDir}/r8`);
    env.emulator.faults.patch({
      rules: [{ method: 'POST', path: taskPath('r8', 'backup'), errorRate: 1, errorStatus: 503 }],
    });
    const watch = await recordWrites('unavailable');
    try {
      await run('unavailable', 'r8');
      const done = await waitTerminal('unavailable');
      expect(done.status?.phase).toBe('Failed');
      expect(stalled(done)?.reason).toBe('RequestRejected');
      expect(stalled(done)?.message).toContain('after 5 tries');
      expect(stalled(done)?.message).toContain('503 service unavailable');
      expect(done.status?.error).toContain('503 service unavailable');
      expect(taskPostsByRepository(env.emulator.requestLog.entries()).r8).toBe(5);
      // From the first intent on: one write per try (its intent) plus the final Failed, no withdrawals.
      await new Promise((r) => setTimeout(r, 500));
      const writes = watch.writes();
      const fromFirstIntent = writes.slice(writes.findIndex((o) => o.status?.intent));
      expect(fromFirstIntent.map((o) => o.status?.phase)).toEqual([...Array(5).fill('Pending'), 'Failed']);
      expect(new Set(fromFirstIntent.map((o) => o.status?.intent?.token)).size).toBe(5);
    } finally {
      watch.stop();
      env.emulator.faults.patch({ rules: [] });
    }
  }, 60_000);

  it('a 503 that passes: the next try starts the backup', async () => {
    await emu.createRepository('r10', `${env.archiveDir}/r10`);
    env.emulator.faults.patch({
      rules: [{ method: 'POST', path: taskPath('r10', 'backup'), errorRate: 1, errorStatus: 503 }],
    });
    const since = env.emulator.requestLog.lastSeq();
    await run('recovers', 'r10');
    const deadline = Date.now() + 20_000;
    while (!taskPostsByRepository(env.emulator.requestLog.entries({ since })).r10 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    env.emulator.faults.patch({ rules: [] });
    const done = await waitTerminal('recovers');
    expect(done.status?.phase).toBe('Succeeded');
    expect(taskPostsByRepository(env.emulator.requestLog.entries()).r10).toBe(2);
  });

  it('an answer with an unreadable 2xx body starts one task only: it is found, not sent again', async () => {
    await emu.createRepository('r11', `${env.archiveDir}/r11`);
    // The service starts the task, but its answer arrives truncated (a proxy cutting the stream).
    env.emulator.faults.patch({
      rules: [{ method: 'POST', path: taskPath('r11', 'backup'), malformedRate: 1 }],
    });
    try {
      await run('garbled', 'r11');
      const done = await waitTerminal('garbled');
      expect(done.status?.phase).toBe('Succeeded');
      expect(done.status?.taskName).toMatch(/^BACKUP-/);
      expect(taskPostsByRepository(env.emulator.requestLog.entries()).r11).toBe(1);
    } finally {
      env.emulator.faults.patch({ rules: [] });
    }
  });

  it('follows a running task to the end after its BackupRepository object is deleted, also across a restart', async () => {
    env.emulator.faults.patch({ taskDelayMs: 8_000 });
    try {
      for (const id of ['orphan-a', 'orphan-b']) {
        await emu.createRepository(id, `${env.archiveDir}/${id}`);
        await repositoryObject(`repo-${id}`, id);
        await createResource(kc, backupRunKind, namespace, id, {
          repository: { repositoryRef: { name: `repo-${id}` } },
          type: 'BACKUP',
        });
      }
      for (const id of ['orphan-a', 'orphan-b']) {
        await waitForResource<RunObject>(
          kc,
          backupRunKind,
          namespace,
          id,
          (o) => o.status?.phase === 'Running',
        );
      }
      // Same process: the repository it resolved before.
      await deleteRepositoryObject('repo-orphan-a');
      // A new process: from the last poll of the BackupServices, by status.repositoryId.
      await operator.stop();
      await deleteRepositoryObject('repo-orphan-b');
      operator = await startTestOperator({ kc, namespace, reconcilers });
      for (const id of ['orphan-a', 'orphan-b']) {
        const done = await waitTerminal(id);
        expect(done.status).toMatchObject({ phase: 'Succeeded', repositoryId: id });
        expect(done.status?.backupName).toBeDefined();
      }
    } finally {
      env.emulator.faults.patch({ taskDelayMs: 0 });
    }
  }, 60_000);

  it('never adopts a task that a BackupRepository trigger token started', async () => {
    await emu.createRepository('adp', `${env.archiveDir}/adp`);
    const triggered = await emu.backupNow('adp');
    await env.emulator.idle();
    const ours = await emu.backupNow('adp');
    await env.emulator.idle();
    // The trigger token's echo claims the first backup.
    await repositoryObject('echoer', 'echoer');
    await patchStatus(backupRepositoryKind, 'echoer', {
      triggers: { backup: { token: 't1', taskName: triggered, time: new Date().toISOString() } },
    });
    // A run that recorded its intent and died before recording the task name (its repository object
    // does not exist yet, so nothing is sent meanwhile).
    await createResource(kc, backupRunKind, namespace, 'adopter', {
      repository: { repositoryRef: { name: 'repo-adp' } },
      type: 'BACKUP',
    });
    await waitForResource<RunObject>(
      kc,
      backupRunKind,
      namespace,
      'adopter',
      (o) => o.status?.phase === 'Pending',
    );
    await patchStatus(backupRunKind, 'adopter', {
      intent: { token: 'lost', sentAt: new Date(Date.now() - 5_000).toISOString() },
    });
    await repositoryObject('repo-adp', 'adp');
    const done = await waitTerminal('adopter');
    expect(done.status).toMatchObject({ phase: 'Succeeded', taskName: ours });
    expect(taskPostsByRepository(env.emulator.requestLog.entries()).adp).toBe(2);
  });

  it('works with kubectl wait --for=condition=Ready', async () => {
    await emu.createRepository('r6', `${env.archiveDir}/r6`);
    await run('waited', 'r6');
    const kubectl = `${inject('kubeBinDir')}/kubectl`;
    const { stdout } = await promisify(execFile)(kubectl, [
      '--kubeconfig',
      inject('kubeconfig'),
      '-n',
      namespace,
      'wait',
      '--for=condition=Ready',
      'backuprun/waited',
      '--timeout=60s',
    ]);
    expect(stdout).toContain('condition met');
  });
});
