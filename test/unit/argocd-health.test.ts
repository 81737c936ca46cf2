import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';

// The Argo CD health checks in deploy/argocd, run by a real Lua interpreter the way Argo CD runs
// them: the object as the global `obj`, the script's chunk returning the `hs` table. Lua missing is
// a failure, not a skip: install it with `bash scripts/lua.sh` (or point LUA at a Lua 5.4 binary).

const root = fileURLToPath(new URL('../..', import.meta.url));
const argocdDir = join(root, 'deploy/argocd');
const scriptPath = (kind: string) => join(argocdDir, 'resource_customizations/cbbs.dev', kind, 'health.lua');
const HEALTH_STATUSES = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'];

/** A Lua string literal; control characters become decimal escapes, other bytes pass through. */
function luaString(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  const escaped = text.replace(/[\\"]|[\u0000-\u001f\u007f]/g, (c) =>
    c === '\\' || c === '"' ? `\\${c}` : `\\${c.charCodeAt(0).toString().padStart(3, '0')}`,
  );
  return `"${escaped}"`;
}

/** Converts a JSON value to a Lua table constructor, as Argo CD hands the object to the script. */
function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not representable in Lua: ${value}`);
    return String(value);
  }
  if (typeof value === 'string') return luaString(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  if (typeof value === 'object') {
    const fields = Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `[${luaString(k)}] = ${toLua(v)}`);
    return `{${fields.join(', ')}}`;
  }
  throw new Error(`unsupported JSON value ${String(value)}`);
}

interface Health {
  status: string;
  message: string;
}

/** Runs `script` with `obj` set, the way Argo CD does, and returns the `hs` table it returns. */
function runHealth(lua: string, script: string, obj: unknown): Promise<Health> {
  const program = [
    `obj = ${toLua(obj)}`,
    `local hs = dofile(${luaString(script)})`,
    'assert(type(hs) == "table", "the script must return the hs table")',
    'io.write(tostring(hs.status), "\\n", tostring(hs.message))',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn(lua, ['-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${lua} exited ${code}: ${stderr}`));
      const [status = '', ...rest] = stdout.split('\n');
      resolve({ status, message: rest.join('\n') });
    });
    child.stdin.end(program);
  });
}

/** The Lua interpreter: $LUA, else lua5.4 on PATH; a clear failure when there is none. */
async function findLua(): Promise<string> {
  const candidate = process.env.LUA || 'lua5.4';
  const version = await new Promise<string>((resolve) => {
    const child = spawn(candidate, ['-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', () => resolve(''));
    child.on('close', () => resolve(out));
  });
  if (!version.startsWith('Lua 5.')) {
    throw new Error(
      `No Lua interpreter (tried ${candidate}): run \`bash scripts/lua.sh\` (installs lua5.4) or set LUA=/path/to/lua5.4`,
    );
  }
  return candidate;
}

const condition = (type: string, status: 'True' | 'False' | 'Unknown', message = `${type} is ${status}`) => ({
  type,
  status,
  observedGeneration: 3,
  lastTransitionTime: '2026-11-27T10:00:00Z',
  reason: status === 'True' ? type : `Not${type}`,
  message,
});

/** An object of `kind` at generation 3 with the given status (undefined: no status at all). */
const object = (kind: string, status?: Record<string, unknown>) => ({
  apiVersion: 'cbbs.dev/v1alpha1',
  kind,
  metadata: { name: 'nightly', namespace: 'couchbase', generation: 3, uid: '7f0c' },
  spec: {},
  ...(status === undefined ? {} : { status }),
});

type Sample = [
  name: string,
  status: Record<string, unknown> | undefined,
  health: string,
  message: string | RegExp,
];

/** kstatus cases every kind shares. */
const commonSamples: Sample[] = [
  ['no status yet', undefined, 'Progressing', /report status/],
  ['a status without observedGeneration', { conditions: [] }, 'Progressing', /observe generation 3/],
  [
    'a status older than the spec, even if it said Ready',
    { observedGeneration: 2, conditions: [condition('Ready', 'True')] },
    'Progressing',
    'Waiting for the operator to observe generation 3',
  ],
  [
    'Stalled=True',
    {
      observedGeneration: 3,
      conditions: [condition('Ready', 'False'), condition('Stalled', 'True', 'plan name "_x" is reserved')],
    },
    'Degraded',
    'plan name "_x" is reserved',
  ],
  [
    'Stalled=True winning over Ready=True',
    { observedGeneration: 3, conditions: [condition('Ready', 'True'), condition('Stalled', 'True', 'bad')] },
    'Degraded',
    'bad',
  ],
  [
    'Ready=True with a multi-line message',
    { observedGeneration: 3, conditions: [condition('Ready', 'True', 'line one\nline "two"')] },
    'Healthy',
    'line one\nline "two"',
  ],
  [
    'Reconciling=True while not Ready',
    {
      observedGeneration: 3,
      conditions: [condition('Ready', 'False'), condition('Reconciling', 'True', 'creating the plan')],
    },
    'Progressing',
    'creating the plan',
  ],
  [
    'Ready=False, neither reconciling nor stalled',
    {
      observedGeneration: 3,
      conditions: [condition('Ready', 'False', 'repository is unhealthy'), condition('Reconciling', 'False')],
    },
    'Degraded',
    'repository is unhealthy',
  ],
  [
    'Ready=Unknown only',
    { observedGeneration: 3, conditions: [condition('Ready', 'Unknown', 'checking')] },
    'Progressing',
    'checking',
  ],
];

/** Phase cases of BackupRun and BackupRestore. */
const oneShotSamples: Sample[] = [
  [
    'phase Succeeded',
    {
      observedGeneration: 3,
      phase: 'Succeeded',
      taskName: 'backup-a1',
      conditions: [condition('Ready', 'True')],
    },
    'Healthy',
    'Succeeded (task backup-a1)',
  ],
  [
    'phase Failed with the error',
    {
      observedGeneration: 3,
      phase: 'Failed',
      error: 'cbbackupmgr: disk full',
      conditions: [condition('Ready', 'False', 'task failed')],
    },
    'Degraded',
    'cbbackupmgr: disk full',
  ],
  [
    'phase Failed without an error field',
    { observedGeneration: 3, phase: 'Failed', conditions: [condition('Ready', 'False', 'task failed')] },
    'Degraded',
    'task failed',
  ],
  [
    'phase Running with progress',
    { observedGeneration: 3, phase: 'Running', progress: 42, conditions: [condition('Ready', 'False')] },
    'Progressing',
    'Running: 42%',
  ],
  ['phase Pending', { observedGeneration: 3, phase: 'Pending' }, 'Progressing', 'Pending'],
  [
    'phase Failed with a stale observedGeneration',
    { observedGeneration: 2, phase: 'Failed', error: 'x' },
    'Progressing',
    /observe generation 3/,
  ],
];

/** Backup-health cases of BackupRepository: Ready is about reconciliation, these about backups. */
const repositorySamples: Sample[] = [
  [
    'RPOMet=False while Ready=True',
    {
      observedGeneration: 3,
      conditions: [condition('Ready', 'True'), condition('RPOMet', 'False', 'no successful backup since x')],
    },
    'Degraded',
    'no successful backup since x',
  ],
  [
    'RPOMet=True with the last backup failed (within the objective)',
    {
      observedGeneration: 3,
      conditions: [
        condition('Ready', 'True', 'present'),
        condition('BackupsSucceeding', 'False', 'disk on fire'),
        condition('RPOMet', 'True'),
      ],
    },
    'Healthy',
    'present',
  ],
  [
    'BackupsSucceeding=False without an RPO',
    {
      observedGeneration: 3,
      conditions: [condition('Ready', 'True'), condition('BackupsSucceeding', 'False', 'disk on fire')],
    },
    'Degraded',
    'disk on fire',
  ],
  [
    'RPOMet=Unknown (service unreadable) falls through to Ready',
    {
      observedGeneration: 3,
      conditions: [condition('Ready', 'False', 'unreachable'), condition('RPOMet', 'Unknown')],
    },
    'Degraded',
    'unreachable',
  ],
  [
    'BackupsSucceeding=Unknown (no backup yet) is Healthy when Ready',
    {
      observedGeneration: 3,
      conditions: [condition('Ready', 'True', 'present'), condition('BackupsSucceeding', 'Unknown')],
    },
    'Healthy',
    'present',
  ],
];

const ONE_SHOT_KINDS = new Set(['BackupRun', 'BackupRestore']);

/**
 * A health source as generate-configmap.sh assembles it: each `-- #include <file>` line becomes
 * health/<file> without its leading comment.
 */
async function assembleSource(source: string): Promise<string> {
  const lines = (await readFile(join(argocdDir, 'health', source), 'utf8')).split('\n');
  const out: string[] = [];
  for (const line of lines) {
    const include = /^-- #include ([A-Za-z0-9._-]+)$/.exec(line)?.[1];
    if (include === undefined) {
      out.push(line);
      continue;
    }
    const included = (await readFile(join(argocdDir, 'health', include), 'utf8'))
      .replace(/\n$/, '')
      .split('\n');
    const start = included.findIndex((l) => !l.startsWith('--'));
    out.push(...(start < 0 ? [] : included.slice(start)));
  }
  return out.join('\n');
}

describe('Argo CD health checks', () => {
  // Looked up by each test rather than in beforeAll, so that a missing interpreter fails every test
  // instead of leaving them skipped.
  let luaLookup: Promise<string> | undefined;
  const interpreter = () => {
    luaLookup ??= findLua();
    return luaLookup;
  };
  let kinds: string[];

  beforeAll(async () => {
    // Every kind the generated CRDs define must have a health check.
    const crdDir = join(root, 'deploy/crds');
    const files = (await readdir(crdDir)).filter((f) => f.endsWith('.yaml'));
    kinds = await Promise.all(
      files.map(async (f) => {
        const crd = load(await readFile(join(crdDir, f), 'utf8')) as { spec: { names: { kind: string } } };
        return crd.spec.names.kind;
      }),
    );
  });

  it('exists for every kind in deploy/crds, generated from its source, and the argocd-cm snippet carries each script verbatim', async () => {
    expect([...kinds].sort()).toEqual([
      'BackupPlan',
      'BackupRepository',
      'BackupRestore',
      'BackupRun',
      'BackupService',
    ]);
    const cm = load(await readFile(join(argocdDir, 'argocd-cm-health.yaml'), 'utf8')) as {
      kind: string;
      metadata: { name: string };
      data: Record<string, string>;
    };
    expect(cm.kind).toBe('ConfigMap');
    expect(cm.metadata.name).toBe('argocd-cm');
    expect(Object.keys(cm.data).sort()).toEqual(
      [...kinds].sort().map((k) => `resource.customizations.health.cbbs.dev_${k}`),
    );
    for (const kind of kinds) {
      const script = await readFile(scriptPath(kind), 'utf8');
      const source = ONE_SHOT_KINDS.has(kind) ? 'one-shot.lua' : 'long-lived.lua';
      const template = await assembleSource(source);
      expect(
        script === template.replaceAll('{{KIND}}', kind),
        `${kind}/health.lua is stale against health/${source}: run bash deploy/argocd/generate-configmap.sh`,
      ).toBe(true);
      expect(
        cm.data[`resource.customizations.health.cbbs.dev_${kind}`] === script,
        `argocd-cm-health.yaml is stale for ${kind}: run bash deploy/argocd/generate-configmap.sh`,
      ).toBe(true);
    }
  });

  it('keeps the shared Lua in one place: the sources include it rather than copy it', async () => {
    for (const source of ['long-lived.lua', 'one-shot.lua']) {
      const text = await readFile(join(argocdDir, 'health', source), 'utf8');
      expect(text).toContain('-- #include prelude.lua');
      expect(text).toContain('-- #include conditions.lua');
      expect(text, source).not.toContain('local function findCondition');
      expect(text, source).not.toContain('if ready ~= nil and ready.status == "True" then');
    }
  });

  const cases = ['BackupService', 'BackupPlan', 'BackupRepository', 'BackupRun', 'BackupRestore'].flatMap(
    (kind) =>
      [
        ...commonSamples,
        ...(ONE_SHOT_KINDS.has(kind) ? oneShotSamples : []),
        ...(kind === 'BackupRepository' ? repositorySamples : []),
      ].map(([name, status, health, message]) => ({ kind, name, status, health, message })),
  );

  it.each(cases)('$kind: $name → $health', async ({ kind, status, health, message }) => {
    const hs = await runHealth(await interpreter(), scriptPath(kind), object(kind, status));
    expect(HEALTH_STATUSES).toContain(hs.status);
    expect(hs.status).toBe(health);
    if (typeof message === 'string') expect(hs.message).toBe(message);
    else expect(hs.message).toMatch(message);
  });

  it('ignores a phase field on a long-lived kind: only BackupRun and BackupRestore have phases', async () => {
    const hs = await runHealth(
      await interpreter(),
      scriptPath('BackupRepository'),
      object('BackupRepository', {
        observedGeneration: 3,
        phase: 'Succeeded',
        conditions: [condition('Ready', 'False')],
      }),
    );
    expect(hs.status).toBe('Degraded');
  });
});
