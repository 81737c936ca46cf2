/**
 * What the image runs, read from the Dockerfile, so the bench measures the same process: the Node
 * flags of its ENTRYPOINT and its ENV. And a memory cgroup (v1 or v2) to run the operator under the
 * chart's default memory limit, where this machine lets the bench make one.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';

const root = join(import.meta.dirname, '..', '..');

/** Node flags and environment of the image's entry point. */
export interface ImageRuntime {
  nodeFlags: string[];
  env: Record<string, string>;
}

/** Parses the Dockerfile's final ENTRYPOINT (exec form) and its ENV lines (`ENV K=V K2="V 2"`). */
export function imageRuntime(dockerfile = join(root, 'Dockerfile')): ImageRuntime {
  const lines = readFileSync(dockerfile, 'utf8').split('\n');
  const env: Record<string, string> = {};
  let nodeFlags: string[] = [];
  for (const line of lines) {
    const envLine = /^ENV\s+(.*)$/.exec(line.trim());
    if (envLine?.[1]) {
      for (const m of envLine[1].matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S+)/g))
        if (m[1]) env[m[1]] = m[3] ?? m[2] ?? '';
    }
    const entry = /^ENTRYPOINT\s+(\[.*\])\s*$/.exec(line.trim());
    if (entry?.[1]) {
      const argv = JSON.parse(entry[1]) as string[];
      const script = argv.findIndex((a) => a.endsWith('.js'));
      nodeFlags = argv.slice(1, script === -1 ? argv.length : script);
    }
  }
  return { nodeFlags, env };
}

/** The chart's default `resources.limits.memory`, in bytes. */
export function chartMemoryLimitBytes(values = join(root, 'deploy/helm/cbbs-operator/values.yaml')): number {
  const parsed = load(readFileSync(values, 'utf8')) as { resources?: { limits?: { memory?: string } } };
  return parseQuantity(parsed.resources?.limits?.memory ?? '');
}

/** A Kubernetes memory quantity (`256Mi`, `1Gi`, `500M`, bytes) in bytes. */
export function parseQuantity(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(q.trim());
  if (!m?.[1]) throw new Error(`not a memory quantity: ${q}`);
  const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, K: 1e3, M: 1e6, G: 1e9 }[m[2] ?? ''] ?? 1;
  return Math.round(Number(m[1]) * unit);
}

/** A memory cgroup the operator process joins before it executes. */
export interface MemoryCgroup {
  limitBytes: number;
  /** Wraps a command so that it joins the cgroup first (`sh -c 'echo $$ > procs; exec …'`). */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
  /** Peak usage, and how often the limit was hit and the kernel's OOM killer ran. */
  read(): { peakMiB: number; limitHits: number; oomKills: number };
  remove(): void;
}

/** Makes a memory cgroup with `limitBytes`, or says why this machine does not let it. */
export function createMemoryCgroup(limitBytes: number, name: string): MemoryCgroup | { unavailable: string } {
  const v2 = '/sys/fs/cgroup/unified';
  const v1 = '/sys/fs/cgroup/memory';
  try {
    if (existsSync(join(v1, 'memory.limit_in_bytes'))) {
      const dir = join(v1, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
      const value = (f: string) => Number(readFileSync(join(dir, f), 'utf8').trim());
      return cgroup(dir, limitBytes, () => ({
        peakMiB: Math.round((value('memory.max_usage_in_bytes') / 2 ** 20) * 10) / 10,
        limitHits: value('memory.failcnt'),
        oomKills: Number(
          /oom_kill (\d+)/.exec(readFileSync(join(dir, 'memory.oom_control'), 'utf8'))?.[1] ?? 0,
        ),
      }));
    }
    for (const base of [v2, '/sys/fs/cgroup']) {
      if (!existsSync(join(base, 'cgroup.controllers'))) continue;
      const dir = join(base, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'memory.max'), String(limitBytes));
      const events = () => readFileSync(join(dir, 'memory.events'), 'utf8');
      return cgroup(dir, limitBytes, () => ({
        peakMiB: existsSync(join(dir, 'memory.peak'))
          ? Math.round((Number(readFileSync(join(dir, 'memory.peak'), 'utf8')) / 2 ** 20) * 10) / 10
          : Number.NaN,
        limitHits: Number(/^max (\d+)/m.exec(events())?.[1] ?? 0),
        oomKills: Number(/^oom_kill (\d+)/m.exec(events())?.[1] ?? 0),
      }));
    }
    return { unavailable: 'no memory cgroup hierarchy under /sys/fs/cgroup' };
  } catch (err) {
    return { unavailable: `cannot make a memory cgroup: ${(err as Error).message}` };
  }
}

function cgroup(dir: string, limitBytes: number, read: MemoryCgroup['read']): MemoryCgroup {
  return {
    limitBytes,
    wrap: (command, args) => ({
      command: '/bin/sh',
      args: ['-c', `echo $$ > ${join(dir, 'cgroup.procs')} && exec "$0" "$@"`, command, ...args],
    }),
    read,
    remove: () => {
      try {
        rmdirSync(dir);
      } catch {
        // Still holds a process being stopped; the name is unique per run, so it is only litter.
      }
    },
  };
}
