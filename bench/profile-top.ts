/**
 * Prints what dominates a V8 profile written by `node --cpu-prof` (.cpuprofile: self time per
 * function) or `node --heap-prof` (.heapprofile: bytes still allocated at exit per allocating
 * function, the sampling profiler's view of what holds memory), plus the same summed per package.
 *
 * Usage: node bench/profile-top.ts <file.cpuprofile|file.heapprofile> [--top 15]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface CpuNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '15' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: node bench/profile-top.ts <file.cpuprofile|file.heapprofile>');
const top = Number(values.top);

const where = (f: CallFrame): string => {
  const url = f.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'node_modules/');
  const short = url.replace(/^.*\/(dist|src)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${short ? `${short}:${f.lineNumber + 1}` : ''}`.trim();
};
/** The package (node_modules/<name>), our own dist/ module, node: internals, or the VM itself. */
const packageOf = (f: CallFrame): string => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url);
  if (m) return m[1]!;
  if (/\/(dist|src)\//.test(f.url)) return f.url.replace(/^.*\/(dist|src)\//, '$1/');
  if (f.url.startsWith('node:')) return 'node:internals';
  return f.functionName ? `(${f.functionName})` : '(vm)';
};

const table = (title: string, totals: Map<string, number>, unit: string, scale: number, sum: number) => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, v] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(
      `${(v / scale).toFixed(1).padStart(10)} ${unit}  ${((100 * v) / sum).toFixed(1).padStart(5)} %  ${k}\n`,
    );
  }
};
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

const json = JSON.parse(readFileSync(file, 'utf8'));
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
if (file.endsWith('.cpuprofile')) {
  const nodes = json.nodes as CpuNode[];
  const samples = json.samples as number[];
  const intervalMs = (json.endTime - json.startTime) / 1000 / Math.max(1, samples.length);
  for (const n of nodes) {
    const ms = (n.hitCount ?? 0) * intervalMs;
    add(byFunction, where(n.callFrame), ms);
    add(byPackage, packageOf(n.callFrame), ms);
  }
  // Inclusive time: each sample counts once for every distinct function on its stack.
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const inclusive = new Map<string, number>();
  const visit = (n: CpuNode, onStack: ReadonlySet<string>): number => {
    const key = where(n.callFrame);
    const below = (n.children ?? []).reduce((a, c) => a + visit(byId.get(c)!, new Set([...onStack, key])), 0);
    const ms = (n.hitCount ?? 0) * intervalMs + below;
    if (!onStack.has(key)) add(inclusive, key, ms);
    return ms;
  };
  visit(nodes[0]!, new Set());
  const total = [...byFunction.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(`${file}: ${(total / 1000).toFixed(1)} s sampled\n`);
  table('self time by function', byFunction, 'ms', 1, total);
  table('self time by package / module', byPackage, 'ms', 1, total);
  const ours = new Map([...inclusive].filter(([k]) => /\b(dist|src)\//.test(k)));
  table('inclusive time of our own functions', ours, 'ms', 1, total);
} else {
  const walk = (n: HeapNode): void => {
    add(byFunction, where(n.callFrame), n.selfSize);
    add(byPackage, packageOf(n.callFrame), n.selfSize);
    for (const c of n.children) walk(c);
  };
  walk(json.head as HeapNode);
  const total = [...byFunction.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(`${file}: ${(total / 2 ** 20).toFixed(1)} MiB sampled live\n`);
  table('live bytes by allocating function', byFunction, 'MiB', 2 ** 20, total);
  table('live bytes by package / module', byPackage, 'MiB', 2 ** 20, total);
}
