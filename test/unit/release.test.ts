import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, matchesGlob } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';

// The release pieces agree with each other: one image name in the chart, `make image`, the release
// workflow, the Dockerfile and the docs; the release workflow does what the README promises
// (multi-arch image, SBOM, chart as an OCI artifact, keyless signatures); actionlint, which
// scripts/test.sh runs on the workflows, really rejects a broken one.

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: unknown;
  env: Record<string, string>;
  jobs: Record<string, { permissions?: Record<string, string>; steps: Step[] }>;
}

const release = load(read('.github/workflows/release.yml')) as Workflow;
const steps = Object.values(release.jobs).flatMap((j) => j.steps);
const values = load(read('deploy/helm/cbbs-operator/values.yaml')) as { image: { repository: string } };
const IMAGE = values.image.repository;

describe('release', () => {
  it('one image name: chart default, make image, release workflow, Dockerfile source, docs', () => {
    expect(IMAGE).toBe('ghcr.io/cbbs-operator/cbbs-operator');
    expect(release.env.IMAGE).toBe(IMAGE);
    expect(read('scripts/image.sh')).toContain(`IMAGE="\${IMAGE:-${IMAGE}}"`);
    const repo = IMAGE.replace(/^ghcr\.io\//, 'https://github.com/');
    expect(read('Dockerfile')).toContain(`org.opencontainers.image.source="${repo}"`);
    const chart = load(read('deploy/helm/cbbs-operator/Chart.yaml')) as { home: string };
    expect(chart.home).toBe(repo);
    expect(read('deploy/helm/cbbs-operator/README.md')).toContain(`\`${IMAGE}\``);
    expect(read('docs/production.md')).toContain(IMAGE);
    expect(read('docs/production.md')).toContain(release.env.CHART_REPOSITORY);
  });

  it('every file the Dockerfile copies from the context gets past .dockerignore', () => {
    const patterns = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    /** Docker's rule: the last matching pattern wins; a pattern on a directory covers what is inside. */
    const ignored = (path: string) => {
      const prefixes = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
      let out = false;
      for (const p of patterns) {
        const negated = p.startsWith('!');
        const glob = negated ? p.slice(1) : p;
        if (prefixes.some((prefix) => matchesGlob(prefix, glob))) out = !negated;
      }
      return out;
    };
    const sources = [...read('Dockerfile').matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) => {
      const words = (m[1] ?? '').trim().split(/\s+/);
      return words.slice(0, -1);
    });
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'src', 'scripts/bundle.ts', 'LICENSE']));
    expect(sources.filter(ignored)).toEqual([]);
  });

  it('the workflow builds a multi-arch image with an SBOM, pushes the chart to OCI and signs both', () => {
    const build = steps.find((s) => s.uses?.startsWith('docker/build-push-action@'));
    expect(build?.with).toMatchObject({ push: true, sbom: true });
    expect(String(build?.with?.platforms).split(',')).toEqual(['linux/amd64', 'linux/arm64']);
    expect(steps.some((s) => s.uses?.startsWith('docker/setup-buildx-action@'))).toBe(true);
    const runs = steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toMatch(/helm push "dist\/cbbs-operator-\$\{VERSION\}\.tgz" "\$CHART_REPOSITORY"/);
    expect(release.env.CHART_REPOSITORY).toMatch(/^oci:\/\//);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell variables of the workflow
    expect(runs).toContain('cosign sign --yes "${IMAGE}@${DIGEST}"');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell variables of the workflow
    expect(runs).toContain('cosign sign --yes "${CHART_REPOSITORY#oci://}/cbbs-operator@${digest}"');
    expect(steps.some((s) => s.uses?.startsWith('anchore/sbom-action@'))).toBe(true);
    // Keyless signing needs the OIDC token in every job that signs.
    for (const [name, job] of Object.entries(release.jobs)) {
      if (job.steps.some((s) => s.run?.includes('cosign sign')))
        expect(job.permissions?.['id-token'], name).toBe('write');
    }
  });

  it('actionlint rejects a broken workflow (the check in scripts/test.sh can fail)', () => {
    const located = spawnSync('bash', [join(root, 'scripts/actionlint.sh')], { encoding: 'utf8' });
    expect(located.status, located.stderr).toBe(0);
    const actionlint = located.stdout.trim();
    const dir = mkdtempSync(join(tmpdir(), 'cbbs-actionlint-'));
    try {
      const broken = join(dir, 'broken.yml');
      writeFileSync(
        broken,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression
        'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.evnt.name }}\n',
      );
      const bad = spawnSync(actionlint, ['-no-color', broken], { encoding: 'utf8' });
      expect(bad.status).toBe(1);
      expect(bad.stdout).toContain('evnt');
      const good = spawnSync(actionlint, ['-no-color'], { cwd: root, encoding: 'utf8' });
      expect(good.status, good.stdout).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
