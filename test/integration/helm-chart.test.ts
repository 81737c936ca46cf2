import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import { dump, load, loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { planWantsFinalizer } from '../../src/controllers/backup-plan/kind.ts';
import { repositoryWantsFinalizer } from '../../src/controllers/backup-repository/kind.ts';
import type { BackupPlanResource, BackupRepositoryResource } from '../../src/controllers/resources.ts';
import { createTestNamespace, kubeConfigFrom } from '../harness/kube.ts';
import { until } from '../harness/until.ts';

// The chart in deploy/helm/cbbs-operator, checked with the real helm binary and a real
// kube-apiserver: lint, server-side dry-run of what it renders, the RBAC it grants (applied for real
// and probed with `kubectl auth can-i`), the schema's rejections, and the CRD copy staying in sync.

const root = fileURLToPath(new URL('../..', import.meta.url));
const chartDir = join(root, 'deploy/helm/cbbs-operator');
const generatedCrdDir = join(root, 'deploy/crds');
const chartCrdDir = join(chartDir, 'files/crds');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a binary, optionally feeding stdin; never throws on a non-zero exit. */
function run(cmd: string, args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

function expectSuccess(result: RunResult, what: string): string {
  expect(result.code, `${what} failed:\n${result.stderr}\n${result.stdout}`).toBe(0);
  return result.stdout;
}

/** A short random suffix so that cluster-scoped names (ClusterRoles) never collide between runs. */
const suffix = () => randomBytes(3).toString('hex');

/** What `helm install` finds on a cluster that serves mutating admission policies (1.36+). */
const MAP_API = 'admissionregistration.k8s.io/v1/MutatingAdmissionPolicy';

describe('the Helm chart', () => {
  let binDir: string;
  let kubeconfig: string;
  let kc: KubeConfig;
  let work: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    binDir = inject('kubeBinDir');
    kubeconfig = inject('kubeconfig');
    kc = kubeConfigFrom(kubeconfig);
    work = await mkdtemp(join(tmpdir(), 'cbbs-helm-'));
    env = {
      ...process.env,
      HELM_CACHE_HOME: join(work, 'helm-cache'),
      HELM_CONFIG_HOME: join(work, 'helm-config'),
      HELM_DATA_HOME: join(work, 'helm-data'),
      KUBECONFIG: kubeconfig,
    };
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const helm = (args: readonly string[]) => run(join(binDir, 'helm'), args, { env });
  const kubectl = (args: readonly string[], input?: string) =>
    run(
      join(binDir, 'kubectl'),
      [`--kubeconfig=${kubeconfig}`, `--cache-dir=${join(work, 'kube-cache')}`, ...args],
      input === undefined ? { env } : { env, input },
    );

  async function valuesFile(values: Record<string, unknown>): Promise<string> {
    const file = join(work, `values-${suffix()}.yaml`);
    await writeFile(file, dump(values));
    return file;
  }

  /** `helm template` output as text (throws when helm fails). */
  async function renderText(
    release: string,
    namespace: string,
    values: Record<string, unknown> = {},
    extra: readonly string[] = [],
  ) {
    const file = await valuesFile(values);
    return expectSuccess(
      await helm(['template', release, chartDir, '--namespace', namespace, '--values', file, ...extra]),
      'helm template',
    );
  }

  async function render(
    release: string,
    namespace: string,
    values: Record<string, unknown> = {},
    extra: readonly string[] = [],
  ) {
    const text = await renderText(release, namespace, values, extra);
    return (loadAll(text) as (Manifest | null)[]).filter((d): d is Manifest => d !== null);
  }

  const namespacedValues = (watched: string[]) => ({ watchNamespaces: watched });
  const monitoringValues = {
    metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } },
  };

  describe('static checks', () => {
    it.each([
      ['default values', {}],
      ['namespaced values', namespacedValues(['team-a', 'team-b'])],
      ['monitoring enabled', monitoringValues],
      ['one replica without leader election', { replicaCount: 1, leaderElection: { enabled: false } }],
    ])('passes helm lint --strict with %s', async (_name, values) => {
      const file = await valuesFile(values);
      const out = expectSuccess(await helm(['lint', '--strict', chartDir, '--values', file]), 'helm lint');
      expect(out).toContain('0 chart(s) failed');
    });

    it('ships a byte-for-byte copy of deploy/crds in files/crds (refresh: bash scripts/sync-chart-crds.sh)', async () => {
      const generated = (await readdir(generatedCrdDir)).filter((f) => f.endsWith('.yaml')).sort();
      const copied = (await readdir(chartCrdDir)).filter((f) => f.endsWith('.yaml')).sort();
      expect(generated.length).toBeGreaterThan(0);
      expect(copied, 'run bash scripts/sync-chart-crds.sh').toEqual(generated);
      for (const file of generated) {
        const [a, b] = await Promise.all([
          readFile(join(generatedCrdDir, file), 'utf8'),
          readFile(join(chartCrdDir, file), 'utf8'),
        ]);
        expect(b === a, `${file} differs from deploy/crds; run bash scripts/sync-chart-crds.sh`).toBe(true);
      }
    });

    it('templates every generated CRD unchanged apart from the keep policy and the release labels', async () => {
      const rendered = (await render('crds', 'crds-ns')).filter((d) => d.kind === 'CustomResourceDefinition');
      const files = (await readdir(generatedCrdDir)).filter((f) => f.endsWith('.yaml')).sort();
      expect(rendered.map((d) => d.metadata.name).sort()).toEqual(files.map((f) => f.replace(/\.yaml$/, '')));
      for (const file of files) {
        const generated = load(await readFile(join(generatedCrdDir, file), 'utf8')) as Manifest;
        const crd = rendered.find((d) => d.metadata.name === generated.metadata.name);
        expect(crd?.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
        expect(crd?.metadata.labels).toMatchObject(generated.metadata.labels ?? {});
        expect(crd?.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('Helm');
        const { metadata: _a, ...renderedRest } = crd as Manifest;
        const { metadata: _b, ...generatedRest } = generated;
        expect(renderedRest).toEqual(generatedRest);
      }
    });

    it('renders no CRD with crds.install=false and no keep policy with crds.keep=false', async () => {
      const without = await render('crds', 'crds-ns', { crds: { install: false } });
      expect(without.filter((d) => d.kind === 'CustomResourceDefinition')).toEqual([]);
      const unkept = (await render('crds', 'crds-ns', { crds: { keep: false } })).filter(
        (d) => d.kind === 'CustomResourceDefinition',
      );
      expect(unkept).toHaveLength(5);
      for (const crd of unkept) expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBeUndefined();
    });

    it('renders a restricted, probed, leader-elected Deployment with every operator flag', async () => {
      const docs = await render('ops', 'ops-ns', { watchNamespaces: ['a', 'b'], logLevel: 'debug' });
      const deployment = docs.find((d) => d.kind === 'Deployment') as Manifest & {
        spec: {
          replicas: number;
          template: {
            spec: {
              serviceAccountName: string;
              securityContext: Record<string, unknown>;
              containers: {
                args: string[];
                env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
                ports: { name: string; containerPort: number }[];
                livenessProbe: { httpGet: { path: string; port: string } };
                readinessProbe: { httpGet: { path: string; port: string } };
                securityContext: Record<string, unknown>;
                resources: Record<string, unknown>;
              }[];
            };
          };
        };
      };
      expect(deployment.metadata.namespace).toBe('ops-ns');
      expect(deployment.spec.replicas).toBe(2);
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      const [container] = pod.containers;
      expect(container?.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container?.resources).toHaveProperty('requests');
      expect(container?.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
      expect(container?.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
      expect(container?.ports).toEqual([
        { name: 'metrics', containerPort: 8080, protocol: 'TCP' },
        { name: 'health', containerPort: 8081, protocol: 'TCP' },
      ]);
      expect(container?.env.slice(0, 2)).toEqual([
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      ]);
      expect(container?.args).toEqual([
        '--namespaces=a,b',
        '--leader-elect=true',
        '--leader-election-namespace=ops-ns',
        '--leader-election-id=ops-cbbs-operator',
        '--health-port=8081',
        '--metrics-port=8080',
        '--log-level=debug',
        '--service-poll-interval=30s',
        '--task-poll-interval=5s',
        '--resync-period=10m',
        '--finalizer-timeout=10m',
        '--workers=4',
      ]);
      const wider = await render('ops', 'ops-ns', { workers: 8 });
      const widerArgs = (wider.find((d) => d.kind === 'Deployment') as typeof deployment).spec.template.spec
        .containers[0]?.args;
      expect(widerArgs).toContain('--workers=8');
      const sa = docs.find((d) => d.kind === 'ServiceAccount');
      expect(sa?.metadata.name).toBe(pod.serviceAccountName);
      expect(docs.find((d) => d.kind === 'PodDisruptionBudget')).toMatchObject({ spec: { minAvailable: 1 } });
      const single = await render('ops', 'ops-ns', { replicaCount: 1 });
      expect(
        single.find((d) => d.kind === 'PodDisruptionBudget'),
        'no PDB over a single pod',
      ).toBeUndefined();
    });

    it('spreads two replicas over nodes and zones by default, and leaves one replica or explicit rules alone', async () => {
      type Pod = {
        affinity?: {
          podAntiAffinity?: Record<string, { podAffinityTerm?: unknown; topologyKey?: string }[]>;
        };
        topologySpreadConstraints?: {
          topologyKey: string;
          whenUnsatisfiable: string;
          labelSelector: unknown;
        }[];
      };
      const podOf = async (values: Record<string, unknown>) => {
        const docs = await render('spread', 'spread-ns', values);
        const d = docs.find((x) => x.kind === 'Deployment') as Manifest & {
          spec: { selector: { matchLabels: Record<string, string> }; template: { spec: Pod } };
        };
        return { pod: d.spec.template.spec, selector: d.spec.selector };
      };
      const { pod, selector } = await podOf({});
      const soft = pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
      expect(soft).toEqual([
        {
          weight: 100,
          podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: selector },
        },
      ]);
      expect(pod.topologySpreadConstraints).toEqual([
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: selector,
        },
      ]);
      const hard = await podOf({ spread: { nodeAntiAffinity: 'hard', zoneSpread: 'DoNotSchedule' } });
      expect(hard.pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
        { topologyKey: 'kubernetes.io/hostname', labelSelector: hard.selector },
      ]);
      expect(hard.pod.topologySpreadConstraints?.[0]?.whenUnsatisfiable).toBe('DoNotSchedule');
      const single = await podOf({ replicaCount: 1, leaderElection: { enabled: false } });
      expect(single.pod.affinity).toBeUndefined();
      expect(single.pod.topologySpreadConstraints).toBeUndefined();
      const own = {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
      };
      const explicit = await podOf({ affinity: own, spread: { zoneSpread: 'none' } });
      expect(explicit.pod.affinity).toEqual(own);
      expect(explicit.pod.topologySpreadConstraints).toBeUndefined();
      const wrong = await helm(['template', 'bad', chartDir, '--set', 'spread.nodeAntiAffinity=always']);
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toContain('nodeAntiAffinity');
    });

    it('renders a ServiceMonitor and a PrometheusRule with the four alerts when enabled', async () => {
      const off = await render('mon', 'mon-ns');
      expect(off.filter((d) => d.apiVersion.startsWith('monitoring.coreos.com'))).toEqual([]);

      const docs = await render('mon', 'mon-ns', monitoringValues);
      const service = docs.find((d) => d.kind === 'Service');
      const monitor = docs.find((d) => d.kind === 'ServiceMonitor') as Manifest & {
        spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] };
      };
      expect(service?.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
      expect(monitor.spec.endpoints[0]).toMatchObject({ port: 'metrics', honorLabels: true });

      const rule = docs.find((d) => d.kind === 'PrometheusRule') as Manifest & {
        spec: { groups: { rules: { alert: string; expr: string; for: string }[] }[] };
      };
      const alerts = Object.fromEntries(rule.spec.groups.flatMap((g) => g.rules).map((r) => [r.alert, r]));
      expect(Object.keys(alerts).sort()).toEqual([
        'CbbsBackupFailing',
        'CbbsBackupRepositoryNotReady',
        'CbbsBackupRepositoryUnhealthy',
        'CbbsBackupServiceCredentialsInvalid',
        'CbbsBackupServiceUnreachable',
        'CbbsNoSuccessfulBackup',
        'CbbsOperatorDown',
        'CbbsOperatorNoLeader',
        'CbbsOperatorReconcileErrors',
        'CbbsRPOMissed',
      ]);
      const job = `job="${service?.metadata.name}"`;
      expect(alerts.CbbsOperatorDown?.expr).toBe(`absent(up{${job}, namespace="mon-ns"} == 1)`);
      expect(alerts.CbbsOperatorReconcileErrors?.expr).toContain(
        'controller_runtime_reconcile_errors_total{',
      );
      expect(alerts.CbbsOperatorNoLeader?.expr).toContain('leader_election_master_status{');
      expect(alerts.CbbsBackupRepositoryNotReady).toMatchObject({
        expr: `max by (namespace, repository, service) (cbbs_repository_ready{${job}}) == 0`,
        for: '30m',
      });
      expect(alerts.CbbsNoSuccessfulBackup?.expr).toBe(
        `(time() - max by (namespace, repository, service) (cbbs_repository_last_successful_backup_timestamp_seconds{${job}}) > ${26 * 3600}) unless on (namespace, repository) cbbs_repository_rpo_objective_seconds{${job}}`,
      );
      expect(alerts.CbbsBackupFailing?.expr).toBe(
        `max by (namespace, repository, service) (cbbs_repository_backups_succeeding{${job}}) == 0`,
      );
    });

    it('renders the finalizer policy only where the cluster serves it, and not when disabled', async () => {
      const policyKinds = async (extra: string[]) =>
        (await render(`p-${suffix()}`, 'ns', {}, extra))
          .filter((d) => d.kind.startsWith('MutatingAdmissionPolicy'))
          .map((d) => d.kind);
      expect(await policyKinds([])).toEqual([]);
      expect(await policyKinds(['--api-versions', MAP_API])).toEqual([
        'MutatingAdmissionPolicy',
        'MutatingAdmissionPolicyBinding',
      ]);
      expect(
        await policyKinds(['--api-versions', MAP_API, '--set', 'admissionFinalizer.enabled=false']),
      ).toEqual([]);
    });

    it('grants no wildcard, no delete and nothing beyond the operator verbs in either RBAC mode', async () => {
      const allowed = new Set(['get', 'list', 'watch', 'patch', 'update', 'create']);
      for (const values of [{}, namespacedValues(['team-a', 'team-b'])]) {
        const docs = await render('rules', 'rules-ns', values);
        const roles = docs.filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role');
        expect(roles.length).toBeGreaterThan(0);
        for (const role of roles) {
          for (const rule of (role as Manifest & { rules: PolicyRule[] }).rules) {
            const words = [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs];
            expect(
              words.some((w) => w.includes('*')),
              `${role.metadata.name}: ${JSON.stringify(rule)}`,
            ).toBe(false);
            expect(rule.verbs.filter((v) => !allowed.has(v))).toEqual([]);
            if (rule.verbs.includes('create')) {
              // create is granted on Events and the Lease only.
              expect(rule.resources).toEqual(
                expect.arrayContaining([expect.stringMatching(/^(events|leases)$/)]),
              );
            }
          }
        }
      }
    });

    it.each([
      ['replicaCount: -1', { replicaCount: -1 }, '/replicaCount'],
      ['logLevel: loud', { logLevel: 'loud' }, '/logLevel'],
      [
        'two replicas without leader election',
        { leaderElection: { enabled: false } },
        '/leaderElection/enabled',
      ],
      ['an invalid namespace name', { watchNamespaces: ['Team_A'] }, '/watchNamespaces/0'],
      ['a malformed duration', { resyncPeriod: 'ten minutes' }, '/resyncPeriod'],
      ['a misspelt key', { replicas: 3 }, 'replicas'],
      ['a port out of range', { metrics: { port: 70000 } }, '/metrics/port'],
      ['no workers', { workers: 0 }, '/workers'],
      ['a fractional worker count', { workers: 1.5 }, '/workers'],
    ])('rejects %s at install time through values.schema.json', async (_name, values, where) => {
      const file = await valuesFile(values);
      const result = await helm(['template', 'bad', chartDir, '--values', file]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("values don't meet the specifications of the schema");
      expect(result.stderr).toContain(where);
    });
  });

  describe('against the API server', () => {
    /** Applies manifests with a server-side dry run; returns kubectl's per-object lines. */
    async function dryRun(manifests: string): Promise<string[]> {
      const out = expectSuccess(
        await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], manifests),
        'kubectl apply --dry-run=server',
      );
      return out.trim().split('\n');
    }

    it('accepts everything the default values render (server-side dry run)', async () => {
      const namespace = await createTestNamespace(kc, 'helm-default');
      const text = await renderText(`d-${suffix()}`, namespace, {}, ['--api-versions', MAP_API]);
      const docs = (loadAll(text) as (Manifest | null)[]).filter(Boolean);
      const lines = await dryRun(text);
      expect(lines).toHaveLength(docs.length);
      for (const line of lines) expect(line).toMatch(/\(server dry run\)$/);
      expect(lines.filter((l) => l.startsWith('customresourcedefinition'))).toHaveLength(5);
      expect(lines.some((l) => l.startsWith('clusterrole.rbac.authorization.k8s.io/'))).toBe(true);
      expect(lines.some((l) => l.startsWith('mutatingadmissionpolicy.admissionregistration.k8s.io/'))).toBe(
        true,
      );
    });

    it('accepts everything the namespaced values render (server-side dry run)', async () => {
      const [namespace, a, b] = await Promise.all([
        createTestNamespace(kc, 'helm-ns'),
        createTestNamespace(kc, 'helm-ns-a'),
        createTestNamespace(kc, 'helm-ns-b'),
      ]);
      const text = await renderText(`n-${suffix()}`, namespace, namespacedValues([a, b]));
      const docs = (loadAll(text) as (Manifest | null)[]).filter((d): d is Manifest => d !== null);
      expect(docs.filter((d) => d.kind.startsWith('Cluster'))).toEqual([]);
      const lines = await dryRun(text);
      expect(lines).toHaveLength(docs.length);
      for (const line of lines) expect(line).toMatch(/\(server dry run\)$/);
    });

    type Check = [
      verb: string,
      resource: string,
      where: { ns?: string; all?: boolean; sub?: string },
      yes: boolean,
    ];

    /** Applies the rendered ServiceAccount and RBAC for real and returns the SA's user name. */
    async function applyRbac(docs: Manifest[], namespace: string): Promise<string> {
      const rbacKinds = new Set([
        'ServiceAccount',
        'ClusterRole',
        'ClusterRoleBinding',
        'Role',
        'RoleBinding',
      ]);
      const rbac = docs.filter((d) => rbacKinds.has(d.kind));
      expectSuccess(
        await kubectl(['apply', '-f', '-'], rbac.map((d) => dump(d)).join('---\n')),
        'kubectl apply',
      );
      const sa = rbac.find((d) => d.kind === 'ServiceAccount');
      if (!sa) throw new Error('the chart rendered no ServiceAccount');
      return `system:serviceaccount:${namespace}:${sa.metadata.name}`;
    }

    /** Runs every check through `kubectl auth can-i --as`; returns the ones whose answer differs. */
    async function canI(user: string, checks: readonly Check[]): Promise<string[]> {
      const wrong: string[] = [];
      const pending = [...checks];
      const worker = async () => {
        for (let check = pending.shift(); check; check = pending.shift()) {
          const [verb, resource, where, yes] = check;
          const args = ['auth', 'can-i', verb, resource, `--as=${user}`];
          if (where.all) args.push('--all-namespaces');
          else if (where.ns) args.push('--namespace', where.ns);
          if (where.sub) args.push(`--subresource=${where.sub}`);
          const result = await kubectl(args);
          if (result.code !== 0 && result.code !== 1)
            throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
          const answer = result.code === 0;
          if (answer !== yes)
            wrong.push(
              `can-i ${args.slice(2, 4).concat(args.slice(5)).join(' ')} → ${answer ? 'yes' : 'no'}`,
            );
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      return wrong.sort();
    }

    const kinds = ['backupservices', 'backupplans', 'backuprepositories', 'backupruns', 'backuprestores'];

    /** What the operator must be able to do in a watched namespace `ns`, and must not. */
    const operatorChecks = (ns: string): Check[] => [
      ...kinds.flatMap((k): Check[] => [
        ...['get', 'list', 'watch', 'patch', 'update'].map((v): Check => [v, `${k}.cbbs.dev`, { ns }, true]),
        ...['create', 'delete', 'deletecollection'].map((v): Check => [v, `${k}.cbbs.dev`, { ns }, false]),
        ...['get', 'patch', 'update'].map((v): Check => [v, `${k}.cbbs.dev`, { ns, sub: 'status' }, true]),
        ['update', `${k}.cbbs.dev`, { ns, sub: 'finalizers' }, true],
      ]),
      ['get', 'secrets', { ns }, true],
      ['list', 'secrets', { ns }, true],
      ['watch', 'secrets', { ns }, true],
      ['create', 'secrets', { ns }, false],
      ['update', 'secrets', { ns }, false],
      ['delete', 'secrets', { ns }, false],
      ['create', 'events.events.k8s.io', { ns }, true],
      ['patch', 'events.events.k8s.io', { ns }, true],
      ['delete', 'events.events.k8s.io', { ns }, false],
      ['create', 'events', { ns }, false],
      ['get', 'configmaps', { ns }, false],
      ['list', 'pods', { ns }, false],
      ['*', '*', { ns }, false],
      ['*', 'backupservices.cbbs.dev', { ns }, false],
    ];

    /** The Lease rules: its own Lease in the Lease namespace, nothing else. */
    const leaseChecks = (leaseNs: string, lease: string, elsewhere: string): Check[] => [
      ['create', 'leases.coordination.k8s.io', { ns: leaseNs }, true],
      ['get', `leases.coordination.k8s.io/${lease}`, { ns: leaseNs }, true],
      ['update', `leases.coordination.k8s.io/${lease}`, { ns: leaseNs }, true],
      ['get', 'leases.coordination.k8s.io/someone-elses-lease', { ns: leaseNs }, false],
      ['list', 'leases.coordination.k8s.io', { ns: leaseNs }, false],
      ['delete', `leases.coordination.k8s.io/${lease}`, { ns: leaseNs }, false],
      ['create', 'leases.coordination.k8s.io', { ns: elsewhere }, false],
      ['get', `leases.coordination.k8s.io/${lease}`, { ns: elsewhere }, false],
    ];

    const clusterWideNever: Check[] = [
      ['*', '*', { all: true }, false],
      ['list', 'namespaces', {}, false],
      ['get', 'nodes', {}, false],
      ['create', 'clusterroles.rbac.authorization.k8s.io', {}, false],
      ['impersonate', 'serviceaccounts', { all: true }, false],
      ['delete', 'customresourcedefinitions.apiextensions.k8s.io', {}, false],
    ];

    it('cluster-wide mode: allows what the operator does in every namespace and nothing broader', async () => {
      const namespace = await createTestNamespace(kc, 'helm-rbac-cluster');
      const release = `rc-${suffix()}`;
      const user = await applyRbac(await render(release, namespace), namespace);
      const lease = `${release}-cbbs-operator`;
      const wrong = await canI(user, [
        ...operatorChecks('anywhere-else'),
        ...operatorChecks(namespace),
        ['list', 'backuprepositories.cbbs.dev', { all: true }, true],
        ['watch', 'secrets', { all: true }, true],
        ['delete', 'backuprepositories.cbbs.dev', { all: true }, false],
        ...leaseChecks(namespace, lease, 'anywhere-else'),
        ...clusterWideNever,
      ]);
      expect(wrong).toEqual([]);
    });

    it('namespaced mode: allows the watched namespaces only, with the Lease in the release namespace', async () => {
      const [namespace, a, b, other] = await Promise.all([
        createTestNamespace(kc, 'helm-rbac-ns'),
        createTestNamespace(kc, 'helm-rbac-a'),
        createTestNamespace(kc, 'helm-rbac-b'),
        createTestNamespace(kc, 'helm-rbac-other'),
      ]);
      const release = `rn-${suffix()}`;
      const user = await applyRbac(await render(release, namespace, namespacedValues([a, b])), namespace);
      const lease = `${release}-cbbs-operator`;
      // Everything allowed in a watched namespace is refused in one that is not watched.
      const outside = (ns: string): Check[] => operatorChecks(ns).map(([v, r, w]) => [v, r, w, false]);
      const wrong = await canI(user, [
        ...operatorChecks(a),
        ...operatorChecks(b),
        ...outside(other),
        ...outside(namespace),
        ['get', 'secrets', { ns: other }, false],
        ['list', 'secrets', { all: true }, false],
        ['list', 'backuprepositories.cbbs.dev', { all: true }, false],
        ...leaseChecks(namespace, lease, a),
        ...clusterWideNever,
      ]);
      expect(wrong).toEqual([]);
    });

    it('adds the finalizer at admission exactly where the operator wants it, in watched namespaces only', async () => {
      const [watched, other] = await Promise.all([
        createTestNamespace(kc, 'helm-fin'),
        createTestNamespace(kc, 'helm-fin-other'),
      ]);
      const release = `f-${suffix()}`;
      const policy = await renderText(release, watched, namespacedValues([watched]), [
        '--api-versions',
        MAP_API,
        '--show-only',
        'templates/finalizer-policy.yaml',
      ]);
      expectSuccess(await kubectl(['apply', '-f', '-'], policy), 'kubectl apply (policy)');
      try {
        /** The object as admission leaves it (server-side dry run: nothing is stored). */
        const admitted = async <T>(doc: Record<string, unknown>): Promise<T> =>
          JSON.parse(
            expectSuccess(
              await kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(doc)),
              'kubectl create --dry-run=server',
            ),
          ) as T;
        const repository = (namespace: string, spec: object = {}, finalizers?: string[]) => ({
          apiVersion: 'cbbs.dev/v1alpha1',
          kind: 'BackupRepository',
          metadata: { name: `r-${suffix()}`, namespace, ...(finalizers ? { finalizers } : {}) },
          spec: {
            serviceRef: { name: 'svc' },
            planRef: { name: 'plan' },
            storage: { filesystem: { path: '/backups' } },
            ...spec,
          },
        });
        const plan = (spec: object = {}) => ({
          apiVersion: 'cbbs.dev/v1alpha1',
          kind: 'BackupPlan',
          metadata: { name: `p-${suffix()}`, namespace: watched },
          spec: {
            serviceRef: { name: 'svc' },
            tasks: [
              { name: 'daily', type: 'BACKUP', schedule: { frequency: 1, period: 'DAYS', time: '01:00' } },
            ],
            ...spec,
          },
        });
        const FINALIZER = 'cbbs.dev/finalizer';
        // The policy is live once the API server has loaded it: a repository starts getting the finalizer.
        await until(async () => {
          const r = await admitted<BackupRepositoryResource>(repository(watched));
          return r.metadata.finalizers?.includes(FINALIZER) === true;
        }, 20_000);

        const repositories: [string, Record<string, unknown>, boolean][] = [
          ['a managed repository', repository(watched), true],
          ['an observed repository', repository(watched, { managementPolicy: 'Observe' }), false],
          ['a repository that keeps its backups', repository(watched, { deletionPolicy: 'Retain' }), true],
          ['a repository outside the watched namespaces', repository(other), false],
        ];
        for (const [what, doc, want] of repositories) {
          const r = await admitted<BackupRepositoryResource>(doc);
          expect(r.metadata.finalizers?.includes(FINALIZER) ?? false, what).toBe(want);
          if (r.metadata.namespace === watched) expect(repositoryWantsFinalizer(r), what).toBe(want);
        }
        const plans: [string, Record<string, unknown>, boolean][] = [
          ['a plan with the default deletionPolicy (Retain)', plan(), false],
          ['a plan deleted with its object', plan({ deletionPolicy: 'Delete' }), true],
          ['an observed plan', plan({ managementPolicy: 'Observe', deletionPolicy: 'Delete' }), false],
        ];
        for (const [what, doc, want] of plans) {
          const p = await admitted<BackupPlanResource>(doc);
          expect(p.metadata.finalizers?.includes(FINALIZER) ?? false, what).toBe(want);
          expect(planWantsFinalizer(p), what).toBe(want);
        }
        // Finalizers of others stay; ours is added once, never twice.
        const theirs = await admitted<BackupRepositoryResource>(
          repository(watched, {}, ['example.com/keep']),
        );
        expect(theirs.metadata.finalizers).toEqual(['example.com/keep', FINALIZER]);
        const ours = await admitted<BackupRepositoryResource>(repository(watched, {}, [FINALIZER]));
        expect(ours.metadata.finalizers).toEqual([FINALIZER]);
      } finally {
        await kubectl(['delete', '--ignore-not-found', '-f', '-'], policy);
      }
    });
  });
});
