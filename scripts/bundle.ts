#!/usr/bin/env node
/**
 * Builds what the image runs: one self-contained ES module per entry point under dist/ (esbuild),
 * with a source map beside it. `npm run build`; `--outdir DIR` builds elsewhere, `--metafile`
 * prints the bytes each package contributes.
 *
 * Why a bundle and not tsc's one file per module: the operator's resident memory is mostly code.
 * @kubernetes/client-node's index loads about 700 generated model and 60 API modules that the
 * operator never calls (it uses KubeConfig only; src/controllers/runtime/kube-client.ts makes its
 * own requests); as separate modules their source text and compiled code held about 80 MB RSS
 * (docs/scale.md). Marking client-node's files side-effect free lets the bundler drop every module
 * nothing imports from.
 */
import { builtinModules, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const { values } = parseArgs({
  options: {
    outdir: { type: 'string', default: join(root, 'dist') },
    metafile: { type: 'boolean', default: false },
    // The kubectl plugin as one CommonJS file for a Node single executable (scripts/build-cli-sea.sh):
    // Node 24 runs a SEA's main script as CommonJS, which has no top-level await and no import.meta.
    'cli-sea': { type: 'boolean', default: false },
  },
});

/** The entry points of the image: source file → output path below the output directory. */
const ENTRY_POINTS = [
  { in: 'src/main.ts', out: 'main' },
  { in: 'src/emulator/main.ts', out: 'emulator/main' },
  // The kubectl plugin (package bin kubectl-cbbs) and kubectl's completion hook for it.
  { in: 'src/cli/main.ts', out: 'cli/main' },
  { in: 'src/cli/complete.ts', out: 'cli/complete' },
];

// client-node's modules only declare classes and functions at the top level; its package.json
// does not say so, so the bundler would keep every generated module that its index re-exports.
const clientNodeSideEffectFree: Plugin = {
  name: 'client-node-side-effect-free',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'resolved') return undefined;
      const fromClientNode = args.importer.includes('/@kubernetes/client-node/');
      if (!fromClientNode && !args.path.startsWith('@kubernetes/client-node')) return undefined;
      const res = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'resolved',
      });
      if (res.errors.length > 0 || !res.path.includes('/@kubernetes/client-node/dist/')) return undefined;
      return { path: res.path, sideEffects: false };
    });
  },
};

// Node's built-in modules through require(), not `import`: importing a built-in from an ES module
// reads every export to build the module's namespace, lazy getters included, and `node:http`'s
// `WebSocket` getter loads Node's own copy of undici (about 10 MiB of resident memory for code
// nothing here calls; `crypto.webcrypto` and others are alike). The shim exports the built-in's
// plain values by name (as the Node that builds has them); importing one of its getters by name,
// or reading one from a namespace import, fails the build.
const SHIMMED_BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_') && m !== 'module'));
const builtinsThroughRequire: Plugin = {
  name: 'builtins-through-require',
  setup(b) {
    const buildRequire = createRequire(import.meta.url);
    b.onResolve({ filter: /^(node:)?[a-z][a-z0-9_/]*$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (args.kind !== 'import-statement' || !SHIMMED_BUILTINS.has(name)) return undefined;
      return { path: name, namespace: 'builtin-through-require' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-through-require' }, (args) => {
      const mod = buildRequire(`node:${args.path}`) as object;
      const names = Object.entries(Object.getOwnPropertyDescriptors(mod))
        .filter(([name, d]) => 'value' in d && name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name))
        .map(([name]) => name);
      const named = names.length > 0 ? `export const { ${names.join(', ')} } = m;` : '';
      return { contents: `const m = require('node:${args.path}'); export default m; ${named}`, loader: 'js' };
    });
  },
};

// `undici` resolves to the parts the programs use (scripts/bundle-shims/undici.js), for our code
// and for client-node's alike.
const undiciParts: Plugin = {
  name: 'undici-parts',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: join(root, 'scripts/bundle-shims/undici.js') }));
  },
};

const seaOptions = {
  entryPoints: [{ in: 'src/cli/sea-entry.ts', out: 'kubectl-cbbs' }],
  outExtension: { '.js': '.cjs' },
  format: 'cjs' as const,
  define: { 'import.meta.url': '__cbbsImportMetaUrl' },
  banner: { js: "const __cbbsImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

const result = await build({
  absWorkingDir: root,
  entryPoints: ENTRY_POINTS,
  outdir: values.outdir,
  outExtension: { '.js': '.js' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  sourcemap: true,
  // Names stay for stack traces and logs (error `type`); whitespace and syntax are minified because
  // V8 keeps every script's source text in the heap.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  legalComments: 'linked',
  metafile: values.metafile,
  logLevel: 'warning',
  // A namespace import's getter the built-in shim leaves out would be undefined: an error, not a warning.
  logOverride: { 'import-is-undefined': 'error' },
  // CommonJS dependencies (prom-client, pino…) call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as __cbbsCreateRequire } from 'node:module'; const require = __cbbsCreateRequire(import.meta.url);",
  },
  plugins: values['cli-sea']
    ? [clientNodeSideEffectFree, undiciParts]
    : [clientNodeSideEffectFree, builtinsThroughRequire, undiciParts],
  // A development dependency: the emulator imports it on first use of an object-store repository
  // only, so it stays a run-time import (which fails with a clear message in the image) instead
  // of about 1 MB of bundled code that nothing in production runs.
  external: ['@aws-sdk/client-s3'],
  ...(values['cli-sea'] ? seaOptions : {}),
});

if (result.metafile) {
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (!file.endsWith('.js')) continue;
    const byPackage = new Map<string, number>();
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'src';
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
    }
    const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(`${file}: ${(output.bytes / 1024).toFixed(0)} KiB`);
    for (const [pkg, bytes] of top) console.log(`  ${(bytes / 1024).toFixed(0).padStart(6)} KiB  ${pkg}`);
  }
}
