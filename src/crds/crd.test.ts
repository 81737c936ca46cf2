import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCrd, openApiSchema } from './crd.ts';
import { allKinds } from './index.ts';
import { findStaleFiles, renderCrdFiles } from './render.ts';
import { type JsonSchema, structuralize } from './structuralize.ts';

const schemas = allKinds.map((def) => ({ kind: def.meta.kind, def, schema: openApiSchema(def) }));

/** Calls `fn` for every schema node with its path. */
function walk(node: JsonSchema, path: string, fn: (node: JsonSchema, path: string) => void): void {
  fn(node, path);
  for (const [name, sub] of Object.entries((node.properties ?? {}) as Record<string, JsonSchema>)) {
    walk(sub, `${path}.${name}`, fn);
  }
  if (node.items) walk(node.items as JsonSchema, `${path}[*]`, fn);
  if (typeof node.additionalProperties === 'object')
    walk(node.additionalProperties as JsonSchema, `${path}{*}`, fn);
}

describe('generated CRDs', () => {
  it('match the committed files in deploy/crds (run `node src/crds/generate.ts` if not)', async () => {
    const dir = resolve(import.meta.dirname, '../../deploy/crds');
    expect(await findStaleFiles(dir, renderCrdFiles(allKinds))).toEqual([]);
  });

  it.each(schemas)('$kind: every property has a description', ({ schema }) => {
    const missing: string[] = [];
    walk(schema, '', (node, path) => {
      // metadata is validated by the API server itself and may carry nothing but its type.
      if (path !== '.metadata' && typeof node.description !== 'string') missing.push(path || '(root)');
    });
    expect(missing).toEqual([]);
  });

  it.each(schemas)(
    '$kind: descriptions carry no internal section references (kubectl explain)',
    ({ def }) => {
      // Code comments may cite the API reference by section; what `kubectl explain` shows may not.
      const text = JSON.stringify(buildCrd(def));
      expect(text.match(/[^"]{0,40}§[^"]{0,20}/g) ?? []).toEqual([]);
      expect(text).not.toMatch(/\(reference\b/);
    },
  );

  it('task types are spelt one way across kinds: the Backup Service upper case', () => {
    const enumAt = (kind: string, path: string[]) => {
      let node = schemas.find((s) => s.kind === kind)?.schema as JsonSchema | undefined;
      for (const p of path) {
        node =
          p === '[*]' ? (node?.items as JsonSchema) : (node?.properties as Record<string, JsonSchema>)?.[p];
      }
      return node?.enum as string[];
    };
    const planTypes = enumAt('BackupPlan', ['spec', 'tasks', '[*]', 'type']);
    const runTypes = enumAt('BackupRun', ['spec', 'type']);
    expect(runTypes).toEqual(['BACKUP', 'MERGE']);
    for (const t of runTypes) expect(planTypes).toContain(t);
  });

  it.each(schemas)('$kind: every spec string, list and map is bounded (CEL cost budget)', ({ schema }) => {
    const unbounded: string[] = [];
    const spec = (schema.properties as Record<string, JsonSchema>).spec as JsonSchema;
    walk(spec, '.spec', (node, path) => {
      if (
        node.type === 'string' &&
        node.maxLength === undefined &&
        node.enum === undefined &&
        node.pattern === undefined
      ) {
        unbounded.push(path);
      }
      if (node.type === 'array' && node.maxItems === undefined) unbounded.push(path);
      if (
        node.type === 'object' &&
        node.additionalProperties !== undefined &&
        node.maxProperties === undefined
      ) {
        unbounded.push(path);
      }
    });
    expect(unbounded).toEqual([]);
  });

  it.each(schemas)('$kind: is already structural (structuralize is a no-op on it)', ({ schema }) => {
    expect(structuralize(schema)).toEqual(schema);
  });

  it.each(schemas)('$kind: printer columns point at fields of the schema', ({ def, schema }) => {
    for (const column of def.printerColumns) {
      const fields = column.jsonPath
        .replace(/\[\?\(.*\)\]/, '')
        .split('.')
        .filter(Boolean);
      let node: JsonSchema | undefined = schema;
      for (const field of fields) {
        const properties = (node?.properties ?? (node?.items as JsonSchema | undefined)?.properties) as
          | Record<string, JsonSchema>
          | undefined;
        node = properties?.[field] ?? (fields[0] === 'metadata' ? {} : undefined);
      }
      expect(node, `${def.meta.kind} column ${column.name} (${column.jsonPath})`).toBeDefined();
    }
  });

  it('short names are unique and avoid Velero and the Couchbase Autonomous Operator', () => {
    // Short names used by velero.io and couchbase.com CRDs (and bare kind-like words people type).
    const taken = new Set([
      'cbbackup',
      'cbrestore',
      'cbc',
      'backup',
      'restore',
      'schedule',
      'repo',
      'bsl',
      'vsl',
    ]);
    const names = allKinds.flatMap((def) => [...def.meta.shortNames, def.meta.singular]);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => taken.has(n))).toEqual([]);
    for (const def of allKinds) expect(def.meta.categories).toEqual(['cbbs']);
  });

  it.each(schemas)('$kind: CRD carries the status subresource and names', ({ def }) => {
    const crd = buildCrd(def) as {
      metadata: { name: string };
      spec: {
        scope: string;
        names: { kind: string };
        versions: { subresources: unknown; served: boolean; storage: boolean }[];
      };
    };
    expect(crd.metadata.name).toBe(`${def.meta.plural}.cbbs.dev`);
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names.kind).toBe(def.meta.kind);
    expect(crd.spec.versions).toHaveLength(1);
    expect(crd.spec.versions[0]).toMatchObject({ subresources: { status: {} }, served: true, storage: true });
  });

  it('one-shot kinds make their whole spec immutable', () => {
    for (const kind of ['BackupRun', 'BackupRestore']) {
      const schema = schemas.find((s) => s.kind === kind)?.schema as JsonSchema;
      const spec = (schema.properties as Record<string, JsonSchema>).spec as JsonSchema;
      expect(spec['x-kubernetes-validations']).toContainEqual(
        expect.objectContaining({ rule: 'self == oldSelf' }),
      );
    }
  });
});
