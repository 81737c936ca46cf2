import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump, load, loadAll } from 'js-yaml';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { z } from 'zod';
import {
  BackupPlanSchema,
  BackupRepositorySchema,
  BackupRestoreSchema,
  BackupRunSchema,
  BackupServiceSchema,
} from '../../src/crds/index.ts';
import { createTestNamespace, kubeConfigFrom } from '../harness/kube.ts';

// Every manifest in examples/ is checked: our kinds and Secrets against a real kube-apiserver with
// the generated CRDs (server-side dry run, strict field validation) and against the zod schemas, so
// that examples, CRDs and TypeScript types agree; Argo CD and Flux objects, which the test API server
// does not serve, by their key fields and the paths they point at.

const root = fileURLToPath(new URL('../..', import.meta.url));
const examplesDir = join(root, 'examples');
const productionDir = join(examplesDir, 'production');
const oneShotsDir = join(examplesDir, 'one-shots');

/** Kinds that start a task the first time they are applied: never in a set that is re-applied. */
const ONE_SHOT_KINDS = ['BackupRun', 'BackupRestore'];

/** The files the demo applies, one per kind, in dependency order. */
const DEMO_FILES = [
  'backupservice.yaml',
  'backupplan.yaml',
  'backuprepository.yaml',
  'backuprun.yaml',
  'backuprestore.yaml',
] as const;

const schemas: Record<string, z.ZodType> = {
  BackupService: BackupServiceSchema,
  BackupPlan: BackupPlanSchema,
  BackupRepository: BackupRepositorySchema,
  BackupRun: BackupRunSchema,
  BackupRestore: BackupRestoreSchema,
};

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: Secrets
  stringData?: any;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a binary, optionally feeding stdin; never throws on a non-zero exit. */
function run(cmd: string, args: readonly string[], input = ''): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
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
    child.stdin.end(input);
  });
}

function expectSuccess(result: RunResult, what: string): string {
  expect(result.code, `${what} failed:\n${result.stderr}\n${result.stdout}`).toBe(0);
  return result.stdout;
}

function parseAll(text: string): Manifest[] {
  return (loadAll(text) as unknown[]).filter((d): d is Manifest => typeof d === 'object' && d !== null);
}

async function readManifests(file: string): Promise<Manifest[]> {
  return parseAll(await readFile(file, 'utf8'));
}

async function yamlFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFilesUnder(path)));
    else if (/\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

const ourKinds = (docs: readonly Manifest[]) => docs.filter((d) => d.apiVersion === 'cbbs.dev/v1alpha1');

function only<T>(items: readonly T[], what: string): T {
  expect(items, what).toHaveLength(1);
  return items[0] as T;
}

/** One-shot operations on the production set, created on purpose (examples/one-shots). */
const ONE_SHOT_FILES = ['backuprun-merge.yaml', 'backuprestore-to-staging.yaml'] as const;

// Every example file must be covered by one of the checks below; this set records which were.
const covered = new Set<string>();
const cover = (file: string) => covered.add(relative(examplesDir, file));

describe('examples', () => {
  let kubectl: string;
  let helm: string;
  let kubeconfig: string;
  let namespace: string;
  let production: { resources: string[]; patches: { path: string }[]; namespace: string };
  let rendered: Manifest[];

  const dryRun = (file: string, input = '') =>
    run(
      kubectl,
      [
        '--kubeconfig',
        kubeconfig,
        'apply',
        '--dry-run=server',
        '--validate=strict',
        '-n',
        namespace,
        '-o',
        'name',
        '-f',
        file,
      ],
      input,
    );

  beforeAll(async () => {
    const binDir = inject('kubeBinDir');
    kubectl = join(binDir, 'kubectl');
    helm = join(binDir, 'helm');
    kubeconfig = inject('kubeconfig');
    namespace = await createTestNamespace(kubeConfigFrom(kubeconfig), 'examples');
    production = load(await readFile(join(productionDir, 'kustomization.yaml'), 'utf8')) as typeof production;
    const out = await run(kubectl, ['kustomize', productionDir]);
    rendered = parseAll(expectSuccess(out, 'kubectl kustomize examples/production'));
  });

  describe.each(DEMO_FILES)('demo example %s', (name) => {
    const file = join(examplesDir, name);

    it('is accepted by the API server (server-side dry run, strict validation)', async () => {
      cover(file);
      const docs = await readManifests(file);
      const out = expectSuccess(await dryRun(file), `dry run of ${name}`);
      const names = out.trim().split('\n');
      expect(names).toHaveLength(docs.length);
      docs.forEach((d, i) => {
        // `-o name` prints kind.group/name (just kind/name for the core group).
        const group = d.apiVersion.includes('/') ? `.${d.apiVersion.split('/')[0]}` : '';
        expect(names[i]).toBe(`${d.kind.toLowerCase()}${group}/${d.metadata.name}`);
      });
      expect(ourKinds(docs).map((d) => d.kind)).toHaveLength(1);
    });

    it('parses with the zod schema of its kind', async () => {
      for (const doc of ourKinds(await readManifests(file))) {
        const schema = schemas[doc.kind];
        if (!schema) throw new Error(`no schema for ${doc.kind}`);
        const result = schema.safeParse(doc);
        expect(result.success, `${name}: ${result.error?.message}`).toBe(true);
      }
    });
  });

  it('demo examples point at the emulator defaults', async () => {
    const docs = (await Promise.all(DEMO_FILES.map((f) => readManifests(join(examplesDir, f))))).flat();
    const service = only(
      docs.filter((d) => d.kind === 'BackupService'),
      'one BackupService',
    );
    expect(service.spec.endpoints).toEqual(['http://127.0.0.1:8097']);
    const secret = only(
      docs.filter((d) => d.kind === 'Secret'),
      'one Secret',
    );
    expect(secret.metadata.name).toBe(service.spec.credentialsSecretRef.name);
    expect(secret.stringData).toEqual({ username: 'admin', password: 'password' });
    const repo = only(
      docs.filter((d) => d.kind === 'BackupRepository'),
      'one BackupRepository',
    );
    expect(repo.spec.storage.filesystem.path).toBe('/tmp/cbbs-demo/archive');
    const plan = only(
      docs.filter((d) => d.kind === 'BackupPlan'),
      'one BackupPlan',
    );
    // The references between the demo objects resolve.
    expect(repo.spec.planRef.name).toBe(plan.metadata.name);
    for (const d of ourKinds(docs).filter((d) => d.spec.serviceRef))
      expect(d.spec.serviceRef.name).toBe(service.metadata.name);
    const run = only(
      docs.filter((d) => d.kind === 'BackupRun'),
      'one BackupRun',
    );
    const restore = only(
      docs.filter((d) => d.kind === 'BackupRestore'),
      'one BackupRestore',
    );
    expect(run.spec.repository.repositoryRef.name).toBe(repo.metadata.name);
    expect(restore.spec.source.repositoryRef.name).toBe(repo.metadata.name);
    expect(restore.spec.mappings[0].from).toBe(repo.spec.bucket);
  });

  it('a broken example is rejected, so the dry run can fail', async () => {
    const [plan] = ourKinds(await readManifests(join(examplesDir, 'backupplan.yaml')));
    if (!plan) throw new Error('no plan');
    const broken = structuredClone(plan);
    broken.spec.tasks[0].schedule.period = 'FORTNIGHTS';
    const result = await dryRun('-', dump(broken));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('FORTNIGHTS');
    const unknown = structuredClone(plan);
    unknown.spec.tasks[0].schedule.every = 2;
    const strict = await dryRun('-', dump(unknown));
    expect(strict.code).not.toBe(0);
    expect(strict.stderr).toContain('every');
    expect(BackupPlanSchema.safeParse(broken).success).toBe(false);
  });

  describe('production set', () => {
    it.each([
      'backupservice.yaml',
      'backupplan.yaml',
      'backuprepository-filesystem.yaml',
      'backuprepository-s3.yaml',
      'namespace.yaml',
    ])('%s is listed in kustomization.yaml and accepted by the API server', async (name) => {
      const file = join(productionDir, name);
      cover(file);
      expect(production.resources).toContain(name);
      expectSuccess(await dryRun(file), `dry run of production/${name}`);
    });

    it('every resource of kustomization.yaml is tested above', () => {
      cover(join(productionDir, 'kustomization.yaml'));
      expect([...production.resources].sort()).toEqual(
        [
          'backupplan.yaml',
          'backuprepository-filesystem.yaml',
          'backuprepository-s3.yaml',
          'backupservice.yaml',
          'namespace.yaml',
        ].sort(),
      );
    });

    it('kubectl kustomize output passes the server-side dry run and the zod schemas', async () => {
      for (const patch of production.patches) cover(join(productionDir, patch.path));
      expect(rendered.length).toBeGreaterThanOrEqual(8);
      // Rendered objects carry the kustomization's namespace; move them into the test namespace.
      const moved = rendered.map((d) =>
        d.kind === 'Namespace' ? d : { ...d, metadata: { ...d.metadata, namespace } },
      );
      for (const d of rendered.filter((d) => d.kind !== 'Namespace'))
        expect(d.metadata.namespace).toBe(production.namespace);
      const input = moved.map((d) => dump(d)).join('---\n');
      const out = expectSuccess(await dryRun('-', input), 'dry run of the kustomize output');
      expect(out.trim().split('\n')).toHaveLength(rendered.length);
      for (const doc of ourKinds(rendered)) {
        const result = schemas[doc.kind]?.safeParse(doc);
        expect(result?.success, `${doc.kind}/${doc.metadata.name}: ${result?.error?.message}`).toBe(true);
      }
    });

    it('has TLS with a CA Secret, the plan shape, two repositories, a trigger and a cross-cluster restore', async () => {
      const byKind = (kind: string) => rendered.filter((d) => d.kind === kind);
      const secretNames = new Set(byKind('Secret').map((s) => s.metadata.name));
      const service = only(byKind('BackupService'), 'one BackupService');
      for (const e of service.spec.endpoints) expect(e).toMatch(/^https:\/\//);
      expect(secretNames).toContain(service.spec.tls.caSecretRef.name);
      expect(secretNames).toContain(service.spec.credentialsSecretRef.name);

      const plan = only(byKind('BackupPlan'), 'one BackupPlan');
      const tasks = plan.spec.tasks as { type: string; fullBackup?: boolean; schedule: { period: string } }[];
      expect(tasks.some((t) => t.type === 'BACKUP' && !t.fullBackup && t.schedule.period === 'HOURS')).toBe(
        true,
      );
      expect(
        tasks.some((t) => t.type === 'BACKUP' && t.fullBackup === true && t.schedule.period === 'DAYS'),
      ).toBe(true);
      expect(tasks.some((t) => t.type === 'MERGE' && t.schedule.period === 'SUNDAY')).toBe(true);

      const repos = byKind('BackupRepository');
      expect(repos).toHaveLength(2);
      const fs = only(
        repos.filter((r) => r.spec.storage.filesystem),
        'one filesystem repository',
      );
      const s3 = only(
        repos.filter((r) => r.spec.storage.objectStore?.provider === 'S3'),
        'one S3 repository',
      );
      expect(secretNames).toContain(s3.spec.storage.objectStore.credentialsSecretRef.name);
      for (const r of repos) expect(r.spec.planRef.name).toBe(plan.metadata.name);
      // The patch reached the object: the trigger token is in the rendered filesystem repository.
      expect(fs.spec.triggers.backup).toMatch(/^[A-Za-z0-9]/);
      expect(fs.spec.storage.filesystem.path).toMatch(/^\//);

      // The one-shots of examples/one-shots operate on these repositories and this service.
      const oneShots = (
        await Promise.all(ONE_SHOT_FILES.map((f) => readManifests(join(oneShotsDir, f))))
      ).flat();
      const restore = only(
        oneShots.filter((d) => d.kind === 'BackupRestore'),
        'one BackupRestore',
      );
      const oneShotSecrets = new Set(oneShots.filter((d) => d.kind === 'Secret').map((d) => d.metadata.name));
      expect(restore.spec.target.address).toMatch(/^https:\/\//);
      expect(restore.spec.target.address).not.toContain(new URL(service.spec.endpoints[0]).hostname);
      expect(oneShotSecrets).toContain(restore.spec.target.credentialsSecretRef.name);
      const runs = oneShots.filter((d) => d.kind === 'BackupRun');
      expect(runs).toHaveLength(1);
      const refs = [
        restore.spec.source.repositoryRef.name,
        ...runs.map((r) => r.spec.repository.repositoryRef.name),
      ];
      for (const ref of refs) expect(repos.map((r) => r.metadata.name)).toContain(ref);
    });

    it('Secrets carry obvious placeholders', async () => {
      const oneShotSecrets = (
        await Promise.all(ONE_SHOT_FILES.map((f) => readManifests(join(oneShotsDir, f))))
      )
        .flat()
        .filter((d) => d.kind === 'Secret');
      expect(oneShotSecrets.length).toBeGreaterThan(0);
      for (const secret of [...rendered.filter((d) => d.kind === 'Secret'), ...oneShotSecrets]) {
        const values = Object.values(secret.stringData ?? {}) as string[];
        expect(
          values.some((v) => /CHANGE-ME|REPLACE|EXAMPLE/.test(v)),
          secret.metadata.name,
        ).toBe(true);
        expect(secret).not.toHaveProperty('data');
      }
    });
  });

  describe('kustomizations', () => {
    it('every kustomization under examples/ applies with kubectl apply -k --dry-run=server and holds no one-shot kind', async () => {
      const dirs = (await yamlFilesUnder(examplesDir))
        .filter((f) => /(^|\/)kustomization\.ya?ml$/.test(f))
        .map((f) => join(f, '..'));
      expect(dirs).toContain(productionDir);
      for (const dir of dirs) {
        const docs = parseAll(
          expectSuccess(await run(kubectl, ['kustomize', dir]), `kubectl kustomize ${dir}`),
        );
        expect(
          docs.filter((d) => ONE_SHOT_KINDS.includes(d.kind)).map((d) => `${d.kind}/${d.metadata.name}`),
          `${relative(examplesDir, dir)} is re-applied on every sync: no one-shot kinds`,
        ).toEqual([]);
        // The namespace the kustomization names must exist for a server-side dry run of the rest.
        for (const ns of new Set(docs.map((d) => d.metadata.namespace).filter((n): n is string => !!n))) {
          await run(kubectl, ['--kubeconfig', kubeconfig, 'create', 'namespace', ns]);
        }
        const out = expectSuccess(
          await run(kubectl, [
            '--kubeconfig',
            kubeconfig,
            'apply',
            '-k',
            dir,
            '--dry-run=server',
            '--validate=strict',
            '-o',
            'name',
          ]),
          `kubectl apply -k ${relative(root, dir)} --dry-run=server`,
        );
        expect(out.trim().split('\n')).toHaveLength(docs.length);
      }
    });

    it('what Argo CD and Flux sync again and again (examples/production, the Flux operator path) holds no one-shot kind', async () => {
      const synced = [
        ...(await yamlFilesUnder(productionDir)),
        ...(await yamlFilesUnder(join(examplesDir, 'gitops/flux/operator'))),
      ];
      const docs = (await Promise.all(synced.map(readManifests))).flat();
      expect(docs.length).toBeGreaterThan(0);
      expect(docs.filter((d) => ONE_SHOT_KINDS.includes(d.kind)).map((d) => d.metadata.name)).toEqual([]);
    });
  });

  describe('one-shots', () => {
    it.each(ONE_SHOT_FILES)(
      '%s is accepted by the API server and parses with the zod schemas',
      async (name) => {
        const file = join(oneShotsDir, name);
        cover(file);
        const docs = await readManifests(file);
        expect(
          ourKinds(docs)
            .map((d) => d.kind)
            .filter((k) => ONE_SHOT_KINDS.includes(k)),
        ).toHaveLength(1);
        // Created into the namespace of examples/production by `kubectl create -n`: no namespace of their own.
        for (const d of docs) expect(d.metadata.namespace).toBeUndefined();
        expectSuccess(await dryRun(file), `dry run of one-shots/${name}`);
        for (const doc of ourKinds(docs)) {
          const result = schemas[doc.kind]?.safeParse(doc);
          expect(result?.success, `${doc.kind}/${doc.metadata.name}: ${result?.error?.message}`).toBe(true);
        }
      },
    );
  });

  describe('GitOps', () => {
    it('Argo CD Applications install the chart and sync examples/production', async () => {
      const file = join(examplesDir, 'gitops/argocd-application.yaml');
      cover(file);
      const apps = await readManifests(file);
      expect(apps.map((a) => `${a.apiVersion} ${a.kind}`)).toEqual([
        'argoproj.io/v1alpha1 Application',
        'argoproj.io/v1alpha1 Application',
      ]);
      const [operator, backups] = apps as [Manifest, Manifest];
      expect(operator.spec.source.path).toBe('deploy/helm/cbbs-operator');
      expect(existsSync(join(root, operator.spec.source.path, 'Chart.yaml'))).toBe(true);
      expect(backups.spec.source.path).toBe('examples/production');
      expect(existsSync(join(root, backups.spec.source.path, 'kustomization.yaml'))).toBe(true);
      expect(backups.spec.destination.namespace).toBe(production.namespace);
      expect(Number(backups.metadata.annotations?.['argocd.argoproj.io/sync-wave'])).toBeGreaterThan(
        Number(operator.metadata.annotations?.['argocd.argoproj.io/sync-wave']),
      );
      await expectChartAccepts(operator.spec.source.helm.valuesObject);
    });

    it('Flux GitRepository, HelmRelease and Kustomizations fit together', async () => {
      const fluxDir = join(examplesDir, 'gitops/flux');
      const files = await yamlFilesUnder(fluxDir);
      for (const f of files) cover(f);
      const docs = (await Promise.all(files.map(readManifests))).flat();
      const source = only(
        docs.filter((d) => d.kind === 'GitRepository'),
        'one GitRepository',
      );
      expect(source.apiVersion).toBe('source.toolkit.fluxcd.io/v1');

      const release = only(
        docs.filter((d) => d.kind === 'HelmRelease'),
        'one HelmRelease',
      );
      expect(release.apiVersion).toBe('helm.toolkit.fluxcd.io/v2');
      expect(release.spec.chart.spec.chart).toBe('./deploy/helm/cbbs-operator');
      expect(release.spec.chart.spec.sourceRef).toMatchObject({
        kind: 'GitRepository',
        name: source.metadata.name,
      });
      await expectChartAccepts(release.spec.values);

      const kustomizations = docs.filter((d) => d.kind === 'Kustomization');
      for (const k of kustomizations) {
        expect(k.apiVersion).toBe('kustomize.toolkit.fluxcd.io/v1');
        expect(k.spec.sourceRef).toEqual({ kind: 'GitRepository', name: source.metadata.name });
        expect(existsSync(join(root, k.spec.path)), k.spec.path).toBe(true);
      }
      const operator = only(
        kustomizations.filter((k) => k.spec.path === './examples/gitops/flux/operator'),
        'a Kustomization for the HelmRelease',
      );
      expect(operator.spec.wait).toBe(true);
      const helmReleaseFile = files.find((f) => f.startsWith(join(root, operator.spec.path)));
      expect(helmReleaseFile, 'the HelmRelease lives under the operator Kustomization path').toBeDefined();

      const backups = only(
        kustomizations.filter((k) => k.spec.path === './examples/production'),
        'a Kustomization for examples/production',
      );
      expect(backups.spec.dependsOn).toEqual([{ name: operator.metadata.name }]);
      const checks = backups.spec.healthChecks as {
        apiVersion: string;
        kind: string;
        name: string;
        namespace: string;
      }[];
      expect(new Set(checks.map((c) => c.kind))).toEqual(
        new Set(['BackupService', 'BackupPlan', 'BackupRepository']),
      );
      for (const check of checks) {
        expect(check.apiVersion).toBe('cbbs.dev/v1alpha1');
        const target = rendered.find(
          (d) =>
            d.kind === check.kind &&
            d.metadata.name === check.name &&
            d.metadata.namespace === check.namespace,
        );
        expect(
          target,
          `${check.kind}/${check.namespace}/${check.name} is in examples/production`,
        ).toBeDefined();
      }
    });
  });

  /** `helm template` of the chart with these values succeeds (the values schema accepts them). */
  async function expectChartAccepts(values: unknown): Promise<void> {
    const out = await run(
      helm,
      ['template', 'cbbs-operator', join(root, 'deploy/helm/cbbs-operator'), '-f', '-'],
      dump(values),
    );
    expectSuccess(out, 'helm template with the example values');
  }

  it('README explains every example file, and every example file is tested', async () => {
    const readme = await readFile(join(examplesDir, 'README.md'), 'utf8');
    const files = (await yamlFilesUnder(examplesDir)).map((f) => relative(examplesDir, f));
    for (const f of files) expect(readme, `README mentions ${f}`).toContain(f.split('/').at(-1));
    expect(files.filter((f) => !covered.has(f))).toEqual([]);
  });
});
