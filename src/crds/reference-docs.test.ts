import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildCrd } from './crd.ts';
import { allKinds } from './index.ts';
import { type KindDefinition, kindMeta } from './kind.ts';
import {
  crdSchema,
  findStaleDocs,
  INDEX_FILE,
  pageName,
  renderKindPage,
  renderReferenceDocs,
  writeReferenceDocs,
} from './reference-docs.ts';
import type { JsonSchema } from './structuralize.ts';

const docsDir = resolve(import.meta.dirname, '../../docs/reference');

// Independent of the renderer's own walk: every property path under spec and status of the CRD.
function allPaths(node: JsonSchema, path: string): string[] {
  const out: string[] = [];
  const props = (node.properties ?? {}) as Record<string, JsonSchema>;
  for (const [name, sub] of Object.entries(props)) {
    const p = `${path}.${name}`;
    out.push(p, ...allPaths(sub, p));
  }
  if (node.items) out.push(...allPaths(node.items as JsonSchema, `${path}[]`));
  const extra = node.additionalProperties;
  if (extra && typeof extra === 'object') out.push(...allPaths(extra as JsonSchema, `${path}.*`));
  return out;
}

// Table lines with the padding removed: `| a | b |`, whatever the column widths.
function unpadded(page: string): string[] {
  return page.split('\n').map((line) =>
    line.startsWith('|')
      ? `| ${line
          .slice(1, -1)
          .split(/(?<!\\)\|/)
          .map((c) => c.trim())
          .join(' | ')} |`
      : line,
  );
}

function rowOf(page: string, path: string): string {
  const row = unpadded(page).find((line) => line.startsWith(`| \`${path}\` |`));
  if (row === undefined) throw new Error(`no row for ${path}`);
  return row;
}

describe('committed reference docs', () => {
  it('are not stale (run `node src/crds/reference-docs.ts` after changing a schema)', async () => {
    expect(await findStaleDocs(docsDir, renderReferenceDocs(allKinds))).toEqual([]);
  });

  it.each(allKinds.map((def) => [def.meta.kind, def] as const))(
    '%s: every field has a row',
    async (_, def) => {
      const page = await readFile(join(docsDir, pageName(def)), 'utf8');
      const crd = buildCrd(def) as { spec: { versions: { schema: { openAPIV3Schema: JsonSchema } }[] } };
      const root = crd.spec.versions[0]?.schema.openAPIV3Schema;
      if (!root) throw new Error('no schema');
      const props = root.properties as Record<string, JsonSchema>;
      const paths = [
        ...allPaths(props.spec as JsonSchema, 'spec'),
        ...allPaths(props.status as JsonSchema, 'status'),
      ];
      expect(paths.length).toBeGreaterThan(5);
      for (const path of paths) expect(() => rowOf(page, path), path).not.toThrow();
      expect(page).toContain(`# ${def.meta.kind}\n`);
      for (const short of def.meta.shortNames) expect(page).toContain(`\`${short}\``);
      for (const column of def.printerColumns)
        expect(unpadded(page).join('\n')).toContain(`| ${column.name} |`);
    },
  );

  it('index links every kind page', async () => {
    const index = await readFile(join(docsDir, INDEX_FILE), 'utf8');
    for (const def of allKinds) expect(index).toContain(`[${def.meta.kind}](${pageName(def)})`);
  });
});

const sample: KindDefinition = {
  meta: kindMeta('Widget', 'widgets', ['wd']),
  description: 'Widget | a test kind.',
  spec: z
    .object({
      size: z.number().int().min(1).max(10).describe('How big.'),
      mode: z.enum(['Fast', 'Slow']).default('Fast').describe('Speed.'),
      when: z
        .string()
        .regex(/^(a|b)$/)
        .optional()
        .describe('Pattern with a pipe.'),
      parts: z
        .array(z.object({ id: z.string().max(8).describe('Part id.') }).describe('A part.'))
        .min(1)
        .max(3)
        .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['id'] })
        .optional()
        .describe('Parts.'),
      tags: z.array(z.string().min(2)).max(4).optional().describe('Tags.'),
      threads: z.record(z.string(), z.number().int().min(0).max(64)).optional().describe('Threads.'),
      ratio: z.number().positive().optional().describe('Ratio.'),
    })
    .meta({ 'x-kubernetes-validations': [{ rule: 'self.size > 1 || has(self.when)', message: 'm' }] })
    .describe('WidgetSpec.'),
  status: z.object({ seen: z.iso.datetime().optional().describe('Seen.') }).describe('WidgetStatus.'),
  rootRules: [],
  printerColumns: [
    { name: 'Size', type: 'integer', jsonPath: '.spec.size', description: 'Size.', priority: 1 },
  ],
};

describe('renderKindPage', () => {
  const page = renderKindPage(sample);

  it.each([
    { path: 'spec.size', cells: ['integer', 'yes', '', 'range 1..10', 'How big.'] },
    { path: 'spec.mode', cells: ['string', '', '`"Fast"`', 'one of `"Fast"`, `"Slow"`', 'Speed.'] },
    { path: 'spec.when', cells: ['string', '', '', 'pattern `^(a\\|b)$`', 'Pattern with a pipe.'] },
    { path: 'spec.parts', cells: ['[]object', '', '', '1..3 items; list-map keyed by `id`', 'Parts.'] },
    { path: 'spec.parts[].id', cells: ['string', 'yes', '', 'length ≤ 8', 'Part id.'] },
    { path: 'spec.tags', cells: ['[]string', '', '', '≤ 4 items; each: length ≥ 2', 'Tags.'] },
    { path: 'spec.threads', cells: ['map[string]integer', '', '', 'each value: range 0..64', 'Threads.'] },
    { path: 'spec.ratio', cells: ['number', '', '', 'range > 0', 'Ratio.'] },
    { path: 'status.seen', cells: ['string (date-time)', '', '', '', 'Seen.'] },
  ])('$path row', ({ path, cells }) => {
    expect(rowOf(page, path)).toBe(`| \`${path}\` | ${cells.join(' | ')} |`);
  });

  it('escapes pipes in prose and rules, and lists columns and rules', () => {
    const lines = unpadded(page);
    expect(lines).toContain('Widget \\| a test kind.');
    expect(lines).toContain('| `spec` | m | `self.size > 1 \\|\\| has(self.when)` |');
    expect(lines).toContain('| Size | integer | `.spec.size` | `-o wide` | Size. |');
  });

  it('pads every table column to one width', () => {
    // Tables are runs of consecutive `|` lines; within one, every line has the same length.
    const blocks = page.split(/\n(?!\|)/).map((b) => b.split('\n').filter((l) => l.startsWith('|')));
    const tables = blocks.filter((b) => b.length > 0);
    expect(tables.length).toBeGreaterThanOrEqual(4);
    for (const lines of tables) expect(new Set(lines.map((l) => l.length)).size, lines[0]).toBe(1);
  });

  it('is deterministic', () => {
    expect(renderKindPage(sample)).toBe(page);
  });

  it('reads the schema of the generated CRD', () => {
    const schema = crdSchema(sample);
    expect(Object.keys(schema.properties as object)).toEqual([
      'apiVersion',
      'kind',
      'metadata',
      'spec',
      'status',
    ]);
  });
});

describe('findStaleDocs and writeReferenceDocs', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cbbs-docs-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names missing, changed and stray pages, and writing fixes all three', async () => {
    const files = renderReferenceDocs([sample]);
    expect(await findStaleDocs(dir, files)).toEqual(['README.md is missing', 'widget.md is missing']);
    await writeReferenceDocs(dir, files);
    await writeFile(join(dir, 'widget.md'), 'edited');
    await writeFile(join(dir, 'gone.md'), 'old');
    await writeFile(join(dir, 'notes.txt'), 'kept');
    expect(await findStaleDocs(dir, files)).toEqual([
      'widget.md differs from the generator output',
      'gone.md is not generated by any kind',
    ]);
    await writeReferenceDocs(dir, files);
    expect(await findStaleDocs(dir, files)).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual(['README.md', 'notes.txt', 'widget.md']);
  });
});
