import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

// scripts/image.sh (`make image`) on machines with different builders, faked by scripts on a PATH
// that holds nothing else: which builder it picks, the command it runs, and what it says when none
// can build (this machine's case: a docker client without an engine).

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = join(root, 'scripts/image.sh');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const dirs: string[] = [];

/** A PATH with the few tools the script uses plus the given fake commands, which log their argv. */
function machine(fakes: Record<string, string>): { path: string; calls: () => string[] } {
  const bin = mkdtempSync(join(tmpdir(), 'cbbs-image-'));
  dirs.push(bin);
  for (const tool of ['bash', 'sed', 'head', 'dirname']) {
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(found, join(bin, tool));
  }
  const log = join(bin, 'calls.log');
  for (const [name, body] of Object.entries(fakes)) {
    const file = join(bin, name);
    writeFileSync(file, `#!${join(bin, 'bash')}\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(file, 0o755);
  }
  return {
    path: bin,
    calls: () => {
      try {
        return readFileSync(log, 'utf8').trim().split('\n');
      } catch {
        return [];
      }
    },
  };
}

function runScript(path: string, env: Record<string, string> = {}) {
  return spawnSync(join(path, 'bash'), [script], { encoding: 'utf8', env: { PATH: path, ...env } });
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('make image (scripts/image.sh)', () => {
  it('says clearly that there is no builder when the docker client has no engine, and exits non-zero', () => {
    const m = machine({
      docker:
        'if [ "$1" = info ]; then echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." >&2; exit 1; fi; exit 0',
    });
    const out = runScript(m.path);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('no OCI image builder can run on this machine, so no image was built');
    expect(out.stderr).toContain(
      'docker: client found, but no engine answers (Cannot connect to the Docker daemon',
    );
    for (const b of ['podman', 'buildah', 'nerdctl', 'kaniko']) expect(out.stderr).toContain(`${b}:`);
    expect(out.stderr).toContain('.github/workflows/release.yml');
    // Only the engine probe ran: nothing tried to build.
    expect(m.calls().filter((c) => c.includes('build'))).toEqual([]);
  });

  it('builds with docker buildx when an engine answers and the plugin is there', () => {
    const m = machine({ docker: 'exit 0' });
    const out = runScript(m.path, { TAG: 'dev' });
    expect(out.status, out.stderr).toBe(0);
    expect(m.calls()).toContain(
      'docker buildx build -f Dockerfile -t ghcr.io/cbbs-operator/cbbs-operator:dev --load .',
    );
  });

  it('falls back to podman, tagging the chart default repository with the package version', () => {
    const m = machine({ podman: 'exit 0' });
    const out = runScript(m.path);
    expect(out.status, out.stderr).toBe(0);
    expect(m.calls()).toEqual([
      `podman build -f Dockerfile -t ghcr.io/cbbs-operator/cbbs-operator:${version} .`,
    ]);
    expect(out.stderr).toContain(`built ghcr.io/cbbs-operator/cbbs-operator:${version}`);
  });

  it('reports a failing build as a failure', () => {
    const m = machine({ buildah: 'exit 1' });
    const out = runScript(m.path, { IMAGE: 'registry.example/op', TAG: 't' });
    expect(out.status).toBe(1);
    expect(m.calls()).toEqual(['buildah bud -f Dockerfile -t registry.example/op:t .']);
    expect(out.stderr).toContain('buildah failed to build registry.example/op:t');
  });
});
