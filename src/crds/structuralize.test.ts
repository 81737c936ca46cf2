import { describe, expect, it } from 'vitest';
import { type JsonSchema, StructuralSchemaError, structuralize } from './structuralize.ts';

const SAFE = Number.MAX_SAFE_INTEGER;
const obj = (properties: Record<string, JsonSchema>, extra: JsonSchema = {}): JsonSchema => ({
  type: 'object',
  properties,
  ...extra,
});

describe('structuralize fixes', () => {
  const cases: { name: string; input: JsonSchema; expected: JsonSchema }[] = [
    {
      name: 'drops $schema and propertyNames',
      input: obj(
        {
          m: { type: 'object', propertyNames: { type: 'string' }, additionalProperties: { type: 'string' } },
        },
        { $schema: 'http://json-schema.org/draft-07/schema#' },
      ),
      expected: obj({ m: { type: 'object', additionalProperties: { type: 'string' } } }),
    },
    {
      name: 'drops additionalProperties: false',
      input: obj({ a: { type: 'string' } }, { additionalProperties: false }),
      expected: obj({ a: { type: 'string' } }),
    },
    {
      name: 'replaces safe-integer bounds with int64',
      input: obj({ n: { type: 'integer', minimum: -SAFE, maximum: SAFE } }),
      expected: obj({ n: { type: 'integer', format: 'int64' } }),
    },
    {
      name: 'keeps a real lower bound when dropping the upper one',
      input: obj({ n: { type: 'integer', minimum: 0, maximum: SAFE } }),
      expected: obj({ n: { type: 'integer', minimum: 0, format: 'int64' } }),
    },
    {
      name: 'keeps real bounds untouched',
      input: obj({ n: { type: 'integer', minimum: 5, maximum: 200 } }),
      expected: obj({ n: { type: 'integer', minimum: 5, maximum: 200 } }),
    },
    {
      name: 'drops the regex zod adds to date-time',
      input: obj({ t: { type: 'string', format: 'date-time', pattern: '^\\d{4}-.*$' } }),
      expected: obj({ t: { type: 'string', format: 'date-time' } }),
    },
    {
      name: 'keeps patterns of plain strings',
      input: obj({ s: { type: 'string', pattern: '^[a-z]+$' } }),
      expected: obj({ s: { type: 'string', pattern: '^[a-z]+$' } }),
    },
    {
      name: 'turns a free-form map into preserve-unknown-fields',
      input: obj({ free: { type: 'object', additionalProperties: {} } }),
      expected: obj({ free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }),
    },
    {
      name: 'turns uniqueItems into list-type set',
      input: obj({ l: { type: 'array', items: { type: 'string' }, uniqueItems: true } }),
      expected: obj({ l: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' } }),
    },
    {
      name: 'turns const into a one-value enum',
      input: obj({ c: { type: 'string', const: 'x' } }),
      expected: obj({ c: { type: 'string', enum: ['x'] } }),
    },
    {
      name: 'merges a union of literals into one enum',
      input: obj({
        u: {
          description: 'd',
          anyOf: [
            { type: 'string', enum: ['a'] },
            { type: 'string', enum: ['b'] },
          ],
        },
      }),
      expected: obj({ u: { type: 'string', description: 'd', enum: ['a', 'b'] } }),
    },
    {
      name: 'turns a union with null into nullable',
      input: obj({ u: { description: 'd', anyOf: [{ type: 'string' }, { type: 'null' }] } }),
      expected: obj({ u: { type: 'string', description: 'd', nullable: true } }),
    },
    {
      name: 'turns a type list with null into nullable',
      input: obj({ u: { type: ['integer', 'null'] } }),
      expected: obj({ u: { type: 'integer', nullable: true } }),
    },
    {
      name: 'inlines $ref from definitions, letting sibling keys win',
      input: {
        ...obj({ a: { $ref: '#/definitions/Ref', description: 'use' } }),
        definitions: { Ref: { type: 'string', description: 'shared', maxLength: 3 } },
      },
      expected: obj({ a: { type: 'string', description: 'use', maxLength: 3 } }),
    },
    {
      name: 'infers a missing type from properties, items and enum',
      input: obj({
        o: { properties: { x: { type: 'string' } } },
        l: { items: { type: 'string' } },
        e: { enum: ['a'] },
      }),
      expected: obj({
        o: { type: 'object', properties: { x: { type: 'string' } } },
        l: { type: 'array', items: { type: 'string' } },
        e: { type: 'string', enum: ['a'] },
      }),
    },
    {
      name: 'converts examples into one example and drops readOnly',
      input: obj({ s: { type: 'string', examples: ['a', 'b'], readOnly: true } }),
      expected: obj({ s: { type: 'string', example: 'a' } }),
    },
    {
      name: 'passes x-kubernetes extensions and CEL rules through',
      input: obj({
        l: {
          type: 'array',
          items: obj({ name: { type: 'string' } }, { required: ['name'] }),
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          'x-kubernetes-validations': [{ rule: 'size(self) < 3', message: 'too many' }],
        },
      }),
      expected: obj({
        l: {
          type: 'array',
          items: obj({ name: { type: 'string' } }, { required: ['name'] }),
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          'x-kubernetes-validations': [{ rule: 'size(self) < 3', message: 'too many' }],
        },
      }),
    },
  ];
  it.each(cases)('$name', ({ input, expected }) => {
    expect(structuralize(input)).toEqual(expected);
  });

  it('does not modify its input', () => {
    const input = obj(
      { n: { type: 'integer', minimum: -SAFE, maximum: SAFE } },
      { additionalProperties: false },
    );
    const copy = structuredClone(input);
    structuralize(input);
    expect(input).toEqual(copy);
  });

  it('is idempotent', () => {
    const input = obj({
      n: { type: 'integer', minimum: 0, maximum: SAFE },
      t: { type: 'string', format: 'date-time', pattern: 'x' },
    });
    const once = structuralize(input);
    expect(structuralize(once)).toEqual(once);
  });
});

describe('structuralize rejects', () => {
  const cases: { name: string; input: JsonSchema; path: string; message: RegExp }[] = [
    {
      name: 'a union of differently shaped objects',
      input: obj({ u: { anyOf: [obj({ a: { type: 'string' } }), obj({ b: { type: 'string' } })] } }),
      path: '.u',
      message: /CEL one-of/,
    },
    { name: 'an untyped node (z.unknown)', input: obj({ x: {} }), path: '.x', message: /no type/ },
    {
      name: 'properties next to a typed additionalProperties',
      input: obj({ a: { type: 'string' } }, { additionalProperties: { type: 'string' } }),
      path: '(root)',
      message: /mutually exclusive/,
    },
    {
      name: 'an unresolvable $ref',
      input: obj({ a: { $ref: '#/definitions/Missing' } }),
      path: '.a',
      message: /\$ref/,
    },
    {
      name: 'a recursive $ref',
      input: {
        ...obj({ a: { $ref: '#/definitions/R' } }),
        definitions: { R: obj({ r: { $ref: '#/definitions/R' } }) },
      },
      path: '.a.r',
      message: /recursive/,
    },
    {
      name: 'allOf (intersection)',
      input: obj({ a: { allOf: [{ type: 'string' }] } }),
      path: '.a',
      message: /allOf/,
    },
    {
      name: 'patternProperties',
      input: obj({ a: { type: 'object', patternProperties: {} } }),
      path: '.a',
      message: /patternProperties/,
    },
    {
      name: 'tuples',
      input: obj({ a: { type: 'array', prefixItems: [{ type: 'string' }] } }),
      path: '.a',
      message: /tuples/,
    },
    { name: 'type null', input: obj({ a: { type: 'null' } }), path: '.a', message: /nullable/ },
    { name: 'an array without items', input: obj({ a: { type: 'array' } }), path: '.a', message: /items/ },
    {
      name: 'an unknown keyword',
      input: obj({ a: { type: 'string', contentEncoding: 'base64' } }),
      path: '.a',
      message: /contentEncoding/,
    },
    {
      name: 'an unknown x-kubernetes extension',
      input: obj({ a: { type: 'string', 'x-kubernetes-foo': 1 } }),
      path: '.a',
      message: /x-kubernetes-foo/,
    },
    {
      name: 'a CEL rule with a line break',
      input: obj({
        a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.size() > 1 &&\nself != "x"' }] },
      }),
      path: '.a',
      message: /line breaks/,
    },
    {
      name: 'a CEL message with a line break',
      input: obj({ a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'true', message: 'a\nb' }] } }),
      path: '.a',
      message: /line breaks/,
    },
    {
      name: 'a list-map key that is neither required nor defaulted',
      input: obj({
        l: {
          type: 'array',
          items: obj({ name: { type: 'string' } }),
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        },
      }),
      path: '.l',
      message: /required or defaulted/,
    },
    {
      name: 'uniqueItems on a list of objects',
      input: obj({ l: { type: 'array', items: obj({}), uniqueItems: true } }),
      path: '.l',
      message: /list-type: map/,
    },
    { name: 'a nullable root', input: { type: 'object', nullable: true }, path: '(root)', message: /root/ },
  ];
  it.each(cases)('$name', ({ input, path, message }) => {
    let caught: unknown;
    try {
      structuralize(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StructuralSchemaError);
    expect((caught as StructuralSchemaError).path).toBe(path);
    expect((caught as StructuralSchemaError).message).toMatch(message);
  });
});
