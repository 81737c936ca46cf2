import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serviceProxyUrl } from '../../src/cli/service-proxy.ts';
import type { Operator } from '../../src/controllers/operator.ts';
import {
  backupRepositoryKind,
  backupRestoreKind,
  backupRunKind,
  backupServiceKind,
} from '../../src/crds/index.ts';
import { freePort } from '../harness/control-plane.ts';
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

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const pluginDir = join(repoRoot, 'bin');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `kubectl cbbs` through real plugin discovery: kubectl finds bin/kubectl-cbbs on PATH. Node 24's
 * directory comes first so the plugin's `#!/usr/bin/env node` is the Node running the tests.
 */
function runKubectl(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', args, { env, timeout: 90_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

/** Every failure of the plugin is one line on stderr, without a stack trace. */
function expectOneLineError(r: Result, code: number, ...words: string[]): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  for (const w of words) expect(lines[0]).toContain(w);
}

function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error(
    'no non-loopback IPv4 address: the service-proxy test needs one (Endpoints refuse loopback)',
  );
}

describe('kubectl cbbs (plugin discovery, real API server, emulator, operator)', () => {
  let kc: KubeConfig;
  let kubeconfig: string;
  let namespace: string;
  let env: TestEmulator;
  let emu: ReturnType<typeof emulatorHttp>;
  let operator: Operator;
  let procEnv: NodeJS.ProcessEnv;
  const backups: string[] = [];

  const cbbs = (args: string[], stdin?: string) =>
    runKubectl(['cbbs', '-n', namespace, ...args], procEnv, stdin);
  const json = async <T>(args: string[]): Promise<T> => {
    const r = await cbbs([...args, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as T;
  };
  const infoPath = (id: string) => `/api/v1/cluster/self/repository/active/${id}/info`;

  beforeAll(async () => {
    kubeconfig = inject('kubeconfig');
    kc = kubeConfigFrom(kubeconfig);
    namespace = await createTestNamespace(kc, 'cli');
    env = await startTestEmulator({
      users: [
        { name: 'admin', password: 'password', role: 'admin' },
        { name: 'viewer', password: 'viewer-pw', role: 'ro_admin' },
      ],
    });
    emu = emulatorHttp(env.emulator.url);
    await emu.createBucket('app');
    await emu.putDoc('app', 'user::1', { name: 'one', v: 1 });
    await emu.putDoc('app', 'user::2', { name: 'two' });
    await createCredentialsSecret(kc, namespace, 'cb-admin');
    await createResource(kc, backupServiceKind, namespace, 'cb', {
      endpoints: [env.emulator.url],
      credentialsSecretRef: { name: 'cb-admin' },
      pollInterval: '1s',
    });
    await createResource(kc, backupRepositoryKind, namespace, 'app-daily', {
      serviceRef: { name: 'cb' },
      builtInPlan: '_daily_backups',
      storage: { filesystem: { path: join(env.archiveDir, 'app') } },
      bucket: 'app',
    });
    operator = await startTestOperator({ kc, namespace });
    await waitForResource(
      kc,
      backupRepositoryKind,
      namespace,
      'app-daily',
      (o) => hasCondition(o, 'Ready'),
      60_000,
    );
    await waitForResource(kc, backupServiceKind, namespace, 'cb', (o) => hasCondition(o, 'Ready'), 30_000);
    procEnv = {
      ...process.env,
      KUBECONFIG: kubeconfig,
      NO_COLOR: '1',
      PATH: [pluginDir, dirname(process.execPath), inject('kubeBinDir'), process.env.PATH].join(':'),
    };
  });

  afterAll(async () => {
    await operator?.stop();
    await env?.close();
  });

  it('is found by kubectl plugin discovery and answers --help with exit 0', async () => {
    const list = await runKubectl(['plugin', 'list'], procEnv);
    expect(list.stdout).toContain(join(pluginDir, 'kubectl-cbbs'));
    const help = await cbbs(['--help']);
    expect(help.code).toBe(0);
    for (const c of [
      'status',
      'backups',
      'history',
      'examine',
      'delete-backup',
      'backup',
      'merge',
      'restore',
      'why',
    ])
      expect(help.stdout).toContain(`kubectl cbbs ${c}`);
    const sub = await cbbs(['examine', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--collection');
  });

  it('status shows the service and the repository Ready and healthy', async () => {
    const rows = await json<
      { kind: string; name: string; ready: string; healthy: string; problem: string }[]
    >(['status']);
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'BackupService',
          name: 'cb',
          ready: 'True',
          healthy: 'True',
          problem: '',
        }),
        expect.objectContaining({
          kind: 'BackupRepository',
          name: 'app-daily',
          ready: 'True',
          healthy: 'True',
        }),
      ]),
    );
    // -A lists across namespaces (other test files' objects too), with the namespace column.
    const all = await json<{ namespace: string; name: string }[]>(['status', '-A']);
    expect(all).toEqual(expect.arrayContaining([expect.objectContaining({ namespace, name: 'app-daily' })]));
    const wide = await cbbs(['status', '-A', '-o', 'wide']);
    expect(wide.stdout).toMatch(/^NAMESPACE\s+KIND\s+NAME/);
    const table = await cbbs(['status']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^KIND\s+NAME\s+READY\s+HEALTHY\s+LAST BACKUP\s+NEXT RUN\s+RUNNING\s+PROBLEM/,
    );
    expect(table.stdout).toMatch(/BackupRepository\s+app-daily\s+True\s+True/);
  });

  it('backup --wait creates one BackupRun that runs exactly once; three backups with a document changed and deleted between', async () => {
    const before = taskPostsByRepository(env.emulator.requestLog.entries())['app-daily'] ?? 0;
    const first = await cbbs(['backup', 'app-daily', '--full', '--wait', '--name', 'b1']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/BackupRun b1: Succeeded/);
    await emu.putDoc('app', 'user::1', { name: 'one', v: 2 });
    const second = await cbbs(['backup', 'app-daily', '--wait', '--name', 'b2']);
    expect(second.code, second.stderr).toBe(0);
    await emu.call(
      'DELETE',
      `/_emulator/buckets/app/scopes/_default/collections/_default/docs/${encodeURIComponent('user::1')}`,
    );
    const third = await cbbs(['backup', 'app-daily', '--wait', '--name', 'b3']);
    expect(third.code, third.stderr).toBe(0);
    for (const name of ['b1', 'b2', 'b3']) {
      const run = await getResource<{ spec: object; status: { phase: string; backupName: string } }>(
        kc,
        backupRunKind,
        namespace,
        name,
      );
      expect(run.spec).toEqual({
        repository: { repositoryRef: { name: 'app-daily' } },
        type: 'BACKUP',
        ...(name === 'b1' ? { backup: { full: true } } : {}),
      });
      expect(run.status.phase).toBe('Succeeded');
      backups.push(run.status.backupName);
    }
    // Each BackupRun sent its backup request once, and the plugin never sent one itself.
    const after = taskPostsByRepository(env.emulator.requestLog.entries())['app-daily'] ?? 0;
    expect(after - before).toBe(3);
    expect(await emu.info('active', 'app-daily')).toEqual(backups);
  });

  it('backups -o json equals GET …/info, and the table lists every backup', async () => {
    const direct = await emu.call('GET', infoPath('app-daily'));
    expect(await json(['backups', 'app-daily'])).toEqual(direct);
    const table = await cbbs(['backups', 'app-daily']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+TYPE\s+SIZE\s+ITEMS\s+BUCKETS$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      [backups[0], 'FULL'],
      [backups[1], 'INCR'],
      [backups[2], 'INCR'],
    ]);
  });

  it('examine shows the three versions of the document: created, changed, deleted', async () => {
    const versions = await json<
      { backup: string; change: string; deleted: boolean; value?: unknown; cas?: string }[]
    >(['examine', 'app-daily', '--key', 'user::1', '--collection', 'app._default._default']);
    expect(versions.map((v) => [v.backup, v.change, v.deleted])).toEqual([
      [backups[0], 'created', false],
      [backups[1], 'changed', false],
      [backups[2], 'deleted', true],
    ]);
    expect(versions[0]?.value).toEqual({ name: 'one', v: 1 });
    expect(versions[1]?.value).toEqual({ name: 'one', v: 2 });
    expect(new Set(versions.map((v) => v.cas)).size).toBe(3);
    const ranged = await json<{ backup: string }[]>([
      'examine',
      'app-daily',
      '--key',
      'user::1',
      '--collection',
      'app._default._default',
      '--from',
      backups[1] as string,
    ]);
    expect(ranged.map((v) => v.backup)).toEqual(backups.slice(1));
  });

  it('history lists the three backup tasks, newest first', async () => {
    const runs = await json<{ type: string; status: string; start: string }[]>(['history', 'app-daily']);
    const backupsRun = runs.filter((r) => r.type === 'BACKUP');
    expect(backupsRun).toHaveLength(3);
    expect(backupsRun.every((r) => r.status === 'done')).toBe(true);
    expect([...backupsRun].sort((a, b) => b.start.localeCompare(a.start))).toEqual(backupsRun);
    expect(await json<unknown[]>(['history', 'app-daily', '--limit', '1'])).toHaveLength(1);
  });

  it('restore -o yaml --dry-run=client prints a manifest that kubectl apply --dry-run=server accepts, and creates nothing', async () => {
    const r = await cbbs([
      'restore',
      'app-daily',
      '--from',
      backups[0] as string,
      '--to',
      'latest',
      '--map',
      'app=app-copy',
      '--auto-create-buckets',
      '--name',
      'restore-1',
      '-o',
      'yaml',
      '--dry-run=client',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('kind: BackupRestore');
    const applied = await runKubectl(['apply', '--dry-run=server', '-f', '-'], procEnv, r.stdout);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('backuprestore.cbbs.dev/restore-1 created (server dry run)');
    const list = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
      group: backupRestoreKind.group,
      version: backupRestoreKind.version,
      plural: backupRestoreKind.plural,
      namespace,
    })) as { items: unknown[] };
    expect(list.items).toHaveLength(0);
  });

  it('restore --plan lists the backups of the range without restoring', async () => {
    const plan = await json<{ backups: { date: string }[]; notes: string[] }>([
      'restore',
      'app-daily',
      '--from',
      backups[1] as string,
      '--plan',
    ]);
    expect(plan.backups.map((b) => b.date)).toEqual(backups.slice(1));
    expect(plan.notes.join(' ')).toContain('starts with an incremental backup');
  });

  it('delete-backup refuses without --yes when stdin is not a terminal, then removes exactly that backup', async () => {
    const target = backups[1] as string;
    const refused = await cbbs(['delete-backup', 'app-daily', target], '');
    expect(refused.code).toBe(7);
    expect(refused.stderr).toContain('refusing to delete');
    expect(refused.stderr).toContain('without --yes');
    expect(await emu.info('active', 'app-daily')).toEqual(backups);

    const deleted = await cbbs(['delete-backup', 'app-daily', target, '--yes']);
    expect(deleted.code, deleted.stderr).toBe(0);
    // Said first what depends on it: the later incremental.
    expect(deleted.stderr).toContain(backups[2]);
    expect(await emu.info('active', 'app-daily')).toEqual([backups[0], backups[2]]);
  });

  it('why explains an object: conditions, Events, references and a live check of its service', async () => {
    const r = await cbbs(['why', 'cbrepo/app-daily']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('BackupRepository');
    expect(r.stdout).toMatch(/Ready\s+True/);
    expect(r.stdout).toContain('BackupService cb: Ready=True');
    expect(r.stdout).toContain('credentials accepted');
    expect(r.stdout).toContain('repository app-daily exists on the service');
  });

  describe('bad inputs give one line and a non-zero exit', () => {
    it('unknown repository → 3', async () => {
      expectOneLineError(await cbbs(['backups', 'no-such-repo']), 3, 'no-such-repo', 'not found');
      expectOneLineError(await cbbs(['backups', 'no-such-id', '--service', 'cb']), 3, 'no-such-id');
    });

    it('a key in no backup → 3', async () => {
      expectOneLineError(
        await cbbs(['examine', 'app-daily', '--key', 'nobody', '--collection', 'app._default._default']),
        3,
        'nobody',
      );
    });

    it('an unknown backup → 3; a bad flag or missing argument → 2', async () => {
      expectOneLineError(
        await cbbs(['delete-backup', 'app-daily', '2020-01-01T00_00_00Z', '--yes']),
        3,
        '2020-01-01T00_00_00Z',
      );
      expectOneLineError(
        await cbbs(['delete-backup', 'old-repo', 'b', '--service', 'cb', '--state', 'archived', '--yes']),
        1,
        'only from active repositories',
      );
      expectOneLineError(await cbbs(['status', '--context', 'no-such-context']), 2, 'no-such-context');
      expectOneLineError(await cbbs(['backups']), 2);
      expectOneLineError(await cbbs(['backups', 'app-daily', '--bogus']), 2, 'bogus');
      expectOneLineError(
        await cbbs(['restore', 'app-daily', '--map', 'nonsense', '--dry-run=client', '-o', 'yaml']),
        2,
        '--map',
      );
    });

    it('a user who may not read the Secret gets the missing permission named → 4', async () => {
      const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
      await rbac.createNamespacedRole({
        namespace,
        body: {
          metadata: { name: 'cbbs-reader' },
          rules: [{ apiGroups: ['cbbs.dev'], resources: ['*'], verbs: ['get', 'list', 'watch'] }],
        },
      });
      await rbac.createNamespacedRoleBinding({
        namespace,
        body: {
          metadata: { name: 'alice-cbbs-reader' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cbbs-reader' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
        },
      });
      // A kubeconfig of the admin impersonating alice (kubeconfig `as:`), the way a restricted user runs it.
      const config = JSON.parse(await readFile(kubeconfig, 'utf8')) as {
        users: { user: Record<string, unknown> }[];
      };
      for (const u of config.users) u.user.as = 'alice';
      const restricted = join(dirname(kubeconfig), `alice-${namespace}.kubeconfig`);
      await writeFile(restricted, JSON.stringify(config), { mode: 0o600 });
      const r = await runKubectl(
        ['cbbs', '-n', namespace, '--kubeconfig', restricted, 'backups', 'app-daily'],
        procEnv,
      );
      expectOneLineError(r, 4, 'alice', 'get', 'secrets', namespace, 'cb-admin');
      // status needs no Secret: the same user may use it.
      const status = await runKubectl(
        ['cbbs', '-n', namespace, '--kubeconfig', restricted, 'status'],
        procEnv,
      );
      expect(status.code, status.stderr).toBe(0);
    });

    it('a Backup Service user without the role to delete → 4, naming the permission; the backup stays', async () => {
      await createCredentialsSecret(kc, namespace, 'cb-viewer', 'viewer', 'viewer-pw');
      await createResource(kc, backupServiceKind, namespace, 'cb-read-only', {
        endpoints: [env.emulator.url],
        credentialsSecretRef: { name: 'cb-viewer' },
      });
      const before = await emu.info('active', 'app-daily');
      const r = await cbbs([
        'delete-backup',
        'app-daily',
        before[0] as string,
        '--service',
        'cb-read-only',
        '--yes',
      ]);
      expect(r.code, r.stderr).toBe(4);
      const errors = r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('error: '));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain('may not');
      expect(errors[0]).toMatch(/needs \S+/);
      expect(await emu.info('active', 'app-daily')).toEqual(before);
    });

    it('an unreachable service → 5; a cluster-internal name gets the port-forward hint', async () => {
      const port = await freePort();
      await createResource(kc, backupServiceKind, namespace, 'down', {
        endpoints: [`http://127.0.0.1:${port}`],
        credentialsSecretRef: { name: 'cb-admin' },
      });
      expectOneLineError(await cbbs(['backups', 'app-daily', '--service', 'down']), 5, `127.0.0.1:${port}`);
      await createResource(kc, backupServiceKind, namespace, 'internal', {
        endpoints: ['http://couchbase-backup.nowhere-ns.svc:8097'],
        credentialsSecretRef: { name: 'cb-admin' },
      });
      expectOneLineError(
        await cbbs(['backups', 'app-daily', '--service', 'internal', '--request-timeout', '3']),
        5,
        'kubectl port-forward -n nowhere-ns svc/couchbase-backup 8097:8097',
      );
      // --endpoint replaces the service's endpoints (what a port-forward gives).
      const viaEndpoint = await cbbs([
        'backups',
        'app-daily',
        '--service',
        'internal',
        '--endpoint',
        env.emulator.url,
      ]);
      expect(viaEndpoint.code, viaEndpoint.stderr).toBe(0);
    });

    it('backup --wait of a task that fails exits 6 with the service error', async () => {
      env.emulator.faults.set({ taskFailures: [{ repository: 'app-daily', error: 'disk full' }] });
      try {
        const r = await cbbs(['backup', 'app-daily', '--wait', '--name', 'b-fail']);
        expect(r.code, r.stderr).toBe(6);
        // Progress lines come first (no terminal); the failure itself is one error line, the last.
        const errors = r.stderr
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('error: '));
        expect(errors).toHaveLength(1);
        expect(r.stderr.trim().split('\n').at(-1)).toBe(errors[0]);
        expect(errors[0]).toContain('disk full');
      } finally {
        env.emulator.faults.set({});
      }
    });
  });

  it('the API server service proxy reaches a Backup Service but drops its Basic credentials (why the plugin uses port-forward)', async () => {
    const exposed = await startTestEmulator({ host: '0.0.0.0' });
    // Answers with the Authorization header it received: what the API server forwards.
    const echo = createServer((req, res) =>
      res.end(JSON.stringify({ authorization: req.headers.authorization ?? null })),
    );
    await new Promise<void>((r) => echo.listen(0, '0.0.0.0', r));
    const echoPort = (echo.address() as AddressInfo).port;
    try {
      const ip = hostAddress();
      const core = kc.makeApiClient(CoreV1Api);
      await core.createNamespacedService({
        namespace,
        body: {
          metadata: { name: 'backup-svc' },
          spec: {
            ports: [
              { name: 'http', port: 8097 },
              { name: 'echo', port: 8098 },
            ],
          },
        },
      });
      // The service proxy only dials endpoint addresses backed by a Pod with that IP; no kubelet
      // runs here, so the Pod is an object whose status names the host's address.
      await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: 'backup-0' },
          spec: { containers: [{ name: 'backup', image: 'couchbase' }] },
        },
      });
      await core.patchNamespacedPodStatus(
        { namespace, name: 'backup-0', body: { status: { podIP: ip, podIPs: [{ ip }] } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await core.createNamespacedEndpoints({
        namespace,
        body: {
          metadata: { name: 'backup-svc' },
          subsets: [
            {
              addresses: [{ ip, targetRef: { kind: 'Pod', name: 'backup-0', namespace } }],
              ports: [
                { name: 'http', port: exposed.emulator.port },
                { name: 'echo', port: echoPort },
              ],
            },
          ],
        },
      });
      const cluster = kc.getCurrentCluster();
      const user = kc.getCurrentUser();
      if (!cluster || !user?.token) throw new Error('admin kubeconfig without token');
      const base = serviceProxyUrl(cluster.server, {
        scheme: 'http',
        name: 'backup-svc',
        namespace,
        port: 8097,
        path: '',
      });
      const ca = await readFile(cluster.caFile as string);
      const dispatcher = new Agent({ connect: { ca } });
      try {
        // Unauthenticated emulator route: the proxy path itself works.
        const open = await fetch(`${base}/_emulator/info`, {
          dispatcher,
          headers: { authorization: `Bearer ${user.token}` },
        });
        expect(open.status).toBe(200);
        // The API server removes the Authorization header once it has authenticated the request.
        const echoed = await fetch(
          `${serviceProxyUrl(cluster.server, { scheme: 'http', name: 'backup-svc', namespace, port: 8098, path: '' })}/`,
          {
            dispatcher,
            headers: { authorization: `Bearer ${user.token}` },
          },
        );
        expect(await echoed.json()).toEqual({ authorization: null });
        // The Backup Service's Basic credentials cannot travel in the same Authorization header as
        // the Kubernetes credentials, and the API server removes that header after authenticating.
        const basic = `Basic ${Buffer.from('admin:password').toString('base64')}`;
        const withBasic = await fetch(`${base}/api/v1/cluster/self`, {
          dispatcher,
          headers: { authorization: basic },
        });
        // Without a Kubernetes token the API server itself refuses (anonymous user).
        expect([401, 403]).toContain(withBasic.status);
        await withBasic.body?.cancel();
        const withToken = await fetch(`${base}/api/v1/cluster/self`, {
          dispatcher,
          headers: { authorization: `Bearer ${user.token}` },
        });
        const text = await withToken.text();
        expect(withToken.status).toBe(401);
        // This 401 comes from the Backup Service (its body), not from the API server.
        expect(text).toContain('Unauthorized');
        expect(
          exposed.emulator.requestLog
            .entries()
            .some((e) => e.path === '/api/v1/cluster/self' && e.status === 401),
        ).toBe(true);
      } finally {
        await dispatcher.close();
      }
    } finally {
      await exposed.close();
      await new Promise((r) => echo.close(r));
    }
  });
});
