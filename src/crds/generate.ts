/**
 * Writes the CRDs of every kind to deploy/crds, or with --check exits 1 when the committed files
 * differ from what the zod schemas produce. Run with `node src/crds/generate.ts [--check]`.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { allKinds } from './index.ts';
import { findStaleFiles, GENERATED_SUFFIX, renderCrdFiles } from './render.ts';

const outDir = resolve(import.meta.dirname, '../../deploy/crds');
const files = renderCrdFiles(allKinds);

if (process.argv.includes('--check')) {
  const problems = await findStaleFiles(outDir, files);
  if (problems.length > 0) {
    process.stderr.write(
      `deploy/crds is stale:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        'Run `npm run generate` (node src/crds/generate.ts) and commit the result.\n',
    );
    process.exit(1);
  }
  process.stdout.write(`deploy/crds is up to date (${files.length} CRDs)\n`);
} else {
  await mkdir(outDir, { recursive: true });
  const expected = new Set(files.map((f) => f.name));
  for (const name of await readdir(outDir)) {
    if (name.endsWith(GENERATED_SUFFIX) && !expected.has(name)) await rm(join(outDir, name));
  }
  for (const file of files) await writeFile(join(outDir, file.name), file.content);
  process.stdout.write(`wrote ${files.length} CRDs to ${outDir}\n`);
}
