/**
 * Turns the OpenAPI 3.0 output of `z.toJSONSchema` into a Kubernetes *structural* schema
 * (apiextensions.k8s.io/v1). It fixes what has one obvious fix (bounds noise, date-time regexes,
 * zod-only keywords, inlinable $refs) and throws for what needs a different zod schema (unions,
 * untyped nodes, `properties` next to `additionalProperties`), naming the path of the offending node.
 * Pure: the input is never modified.
 */

/** A JSON schema node. */
export type JsonSchema = { [key: string]: unknown };

/** Thrown when a schema cannot be made structural without changing its meaning. */
export class StructuralSchemaError extends Error {
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'StructuralSchemaError';
    this.path = path;
  }
}

// Keywords of apiextensions.k8s.io/v1 JSONSchemaProps we let through unchanged.
const ALLOWED_KEYS = new Set([
  'type',
  'format',
  'title',
  'description',
  'default',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'multipleOf',
  'enum',
  'maxProperties',
  'minProperties',
  'required',
  'items',
  'properties',
  'additionalProperties',
  'nullable',
  'example',
  'externalDocs',
]);

const KUBERNETES_EXTENSIONS = new Set([
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);

// Keywords zod emits that carry no validation Kubernetes could use; dropping them loses nothing.
const DROPPED_KEYS = new Set(['$schema', 'id', '$id', 'propertyNames', 'readOnly', 'writeOnly', '$comment']);

// Keywords that structural schemas forbid and that have no mechanical replacement.
const FORBIDDEN_KEYS = new Map<string, string>([
  ['patternProperties', 'patternProperties is not allowed; use additionalProperties with a value schema'],
  ['dependencies', 'dependencies is not allowed; use a CEL rule'],
  ['dependentRequired', 'dependentRequired is not allowed; use a CEL rule'],
  ['dependentSchemas', 'dependentSchemas is not allowed; use a CEL rule'],
  ['additionalItems', 'additionalItems is not allowed'],
  ['prefixItems', 'tuples are not allowed; use an array of one item type'],
  ['allOf', 'allOf (zod intersection) is not allowed; merge the objects with .extend()'],
  ['if', 'if/then/else is not allowed; use a CEL rule'],
  ['then', 'if/then/else is not allowed; use a CEL rule'],
  ['else', 'if/then/else is not allowed; use a CEL rule'],
  ['contains', 'contains is not allowed; use a CEL rule'],
  ['not', 'not is not supported; use a CEL rule'],
]);

const DEFINITION_KEYS = ['definitions', '$defs'] as const;
const REF_PREFIXES = ['#/definitions/', '#/$defs/', '#/components/schemas/'];
const TIME_FORMATS = new Set(['date-time', 'date', 'time']);

interface Context {
  definitions: Record<string, JsonSchema>;
  resolving: readonly string[];
}

/** Returns a structural copy of `schema` or throws StructuralSchemaError. */
export function structuralize(schema: JsonSchema): JsonSchema {
  const definitions: Record<string, JsonSchema> = {};
  for (const key of DEFINITION_KEYS) Object.assign(definitions, asRecord(schema[key]) ?? {});
  const components = asRecord(asRecord(schema.components)?.schemas);
  if (components) Object.assign(definitions, components);
  const root = visit(schema, '', { definitions, resolving: [] });
  if (root.nullable === true) throw new StructuralSchemaError('(root)', 'the root must not be nullable');
  return root;
}

function visit(input: JsonSchema, path: string, outer: Context): JsonSchema {
  // Descendants of an inlined $ref carry it on the stack, so a self-reference is caught, not looped.
  const ctx =
    typeof input.$ref === 'string' ? { ...outer, resolving: [...outer.resolving, input.$ref] } : outer;
  const resolved = resolveRef(input, path, outer);
  const collapsed = collapseUnion(resolved, path, ctx);
  if (collapsed) return visit(collapsed, path, ctx);
  const node = resolved;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED_KEYS.has(key) || DEFINITION_KEYS.includes(key as never) || key === 'components') continue;
    const forbidden = FORBIDDEN_KEYS.get(key);
    if (forbidden) throw new StructuralSchemaError(at(path), forbidden);
    if (key === 'const') out.enum = [value];
    else if (key === 'examples') {
      if (Array.isArray(value) && value.length > 0) out.example = value[0];
    } else if (key.startsWith('x-kubernetes-')) {
      if (!KUBERNETES_EXTENSIONS.has(key))
        throw new StructuralSchemaError(at(path), `unknown extension ${key}`);
      out[key] = value;
    } else if (ALLOWED_KEYS.has(key)) out[key] = value;
    else if (key === 'uniqueItems') out[key] = value;
    else throw new StructuralSchemaError(at(path), `keyword ${key} is not part of a Kubernetes schema`);
  }
  normalizeType(out, path);
  normalizeNumbers(out);
  if (typeof out.format === 'string' && TIME_FORMATS.has(out.format)) delete out.pattern;
  normalizeUniqueItems(out, path);
  normalizeAdditionalProperties(out, path, ctx);
  if (out.properties !== undefined) {
    const properties = asRecord(out.properties);
    if (!properties) throw new StructuralSchemaError(at(path), 'properties must be an object');
    out.properties = Object.fromEntries(
      Object.entries(properties).map(([name, sub]) => [
        name,
        visit(asSchema(sub, `${path}.${name}`), `${path}.${name}`, ctx),
      ]),
    );
  }
  if (out.items !== undefined) {
    if (Array.isArray(out.items))
      throw new StructuralSchemaError(at(path), 'items must be a single schema, not a tuple');
    out.items = visit(asSchema(out.items, `${path}[*]`), `${path}[*]`, ctx);
  }
  checkTyped(out, path);
  checkListMapKeys(out, path);
  checkValidations(out, path);
  return out;
}

function resolveRef(node: JsonSchema, path: string, ctx: Context): JsonSchema {
  const ref = node.$ref;
  if (ref === undefined) return node;
  if (typeof ref !== 'string') throw new StructuralSchemaError(at(path), '$ref must be a string');
  const prefix = REF_PREFIXES.find((p) => ref.startsWith(p));
  const target = prefix === undefined ? undefined : ctx.definitions[ref.slice(prefix.length)];
  if (!target) throw new StructuralSchemaError(at(path), `cannot inline $ref ${ref}; avoid .meta({ id })`);
  if (ctx.resolving.includes(ref))
    throw new StructuralSchemaError(at(path), `recursive $ref ${ref} cannot be inlined`);
  const { $ref: _ignored, ...siblings } = node;
  const resolved = resolveRef(target, path, { ...ctx, resolving: [...ctx.resolving, ref] });
  // Siblings of $ref (description, default) describe this use of the shared schema and win.
  return { ...resolved, ...siblings };
}

// zod emits unions as anyOf/oneOf. Kubernetes forbids types inside them, so only unions that are
// really enums (z.union of literals) or nullability can be expressed; everything else must be
// rewritten as optional fields plus a CEL one-of rule. Returns the union-free node, or undefined
// when there is no union.
function collapseUnion(node: JsonSchema, path: string, ctx: Context): JsonSchema | undefined {
  const key = node.anyOf !== undefined ? 'anyOf' : node.oneOf !== undefined ? 'oneOf' : undefined;
  if (key === undefined) return undefined;
  const branches = node[key];
  if (!Array.isArray(branches)) throw new StructuralSchemaError(at(path), `${key} must be a list`);
  const schemas = branches.map((b) => resolveRef(asSchema(b, path), path, ctx));
  const nonNull = schemas.filter((b) => b.type !== 'null');
  const rest = withoutKey(node, key);
  if (nonNull.length < schemas.length) rest.nullable = true;
  const [only] = nonNull;
  // The outer node's own keys (description, default) describe this use and win over the branch.
  if (nonNull.length === 1 && only) return { ...only, ...rest };
  const enumOnly = nonNull.every(
    (b) => Array.isArray(b.enum) && Object.keys(b).every((k) => k === 'type' || k === 'enum'),
  );
  const types = new Set(nonNull.map((b) => b.type));
  if (enumOnly && types.size === 1) {
    return { type: only?.type, ...rest, enum: nonNull.flatMap((b) => b.enum as unknown[]) };
  }
  throw new StructuralSchemaError(
    at(path),
    `${key} of differently shaped branches is not structural; use optional fields and a CEL one-of rule`,
  );
}

function normalizeType(out: JsonSchema, path: string): void {
  const { type } = out;
  if (Array.isArray(type)) {
    const nonNull = type.filter((t) => t !== 'null');
    if (nonNull.length !== 1) throw new StructuralSchemaError(at(path), 'a node must have exactly one type');
    out.type = nonNull[0];
    if (nonNull.length < type.length) out.nullable = true;
  }
  if (out.type === 'null')
    throw new StructuralSchemaError(at(path), 'type null is not allowed; use nullable');
  if (out.type === undefined) {
    if (out.properties !== undefined || out.additionalProperties !== undefined) out.type = 'object';
    else if (out.items !== undefined) out.type = 'array';
    else if (Array.isArray(out.enum) && out.enum.length > 0) {
      const kinds = new Set(out.enum.map((v) => (Number.isInteger(v) ? 'integer' : typeof v)));
      const [kind] = kinds;
      if (kinds.size === 1 && (kind === 'string' || kind === 'integer' || kind === 'boolean'))
        out.type = kind;
    }
  }
}

// z.number().int() says "safe integer" with ±(2^53-1) bounds; Kubernetes says that with int64.
function normalizeNumbers(out: JsonSchema): void {
  if (out.type !== 'integer' && out.type !== 'number') return;
  let dropped = false;
  if (typeof out.minimum === 'number' && out.minimum <= -Number.MAX_SAFE_INTEGER) {
    delete out.minimum;
    dropped = true;
  }
  if (typeof out.maximum === 'number' && out.maximum >= Number.MAX_SAFE_INTEGER) {
    delete out.maximum;
    dropped = true;
  }
  if (dropped && out.type === 'integer' && out.format === undefined) out.format = 'int64';
}

function normalizeUniqueItems(out: JsonSchema, path: string): void {
  if (out.uniqueItems === undefined) return;
  const unique = out.uniqueItems === true;
  delete out.uniqueItems;
  if (!unique) return;
  const items = asRecord(out.items);
  if (items?.type === 'object' || items?.type === 'array') {
    throw new StructuralSchemaError(
      at(path),
      'uniqueItems on a list of objects; use x-kubernetes-list-type: map',
    );
  }
  out['x-kubernetes-list-type'] ??= 'set';
}

function normalizeAdditionalProperties(out: JsonSchema, path: string, ctx: Context): void {
  const extra = out.additionalProperties;
  if (extra === undefined) return;
  if (extra === false) {
    // Kubernetes prunes unknown fields anyway; `false` itself is forbidden.
    delete out.additionalProperties;
    return;
  }
  const freeForm = extra === true || (isRecord(extra) && Object.keys(extra).length === 0);
  if (freeForm) {
    delete out.additionalProperties;
    out['x-kubernetes-preserve-unknown-fields'] = true;
    return;
  }
  if (out.properties !== undefined) {
    throw new StructuralSchemaError(at(path), 'properties and additionalProperties are mutually exclusive');
  }
  if (path === '')
    throw new StructuralSchemaError('(root)', 'additionalProperties is not allowed at the root');
  out.additionalProperties = visit(asSchema(extra, `${path}{*}`), `${path}{*}`, ctx);
}

function checkTyped(out: JsonSchema, path: string): void {
  if (out.type !== undefined) {
    if (out.type === 'array' && out.items === undefined)
      throw new StructuralSchemaError(at(path), 'an array needs items');
    return;
  }
  if (out['x-kubernetes-preserve-unknown-fields'] === true || out['x-kubernetes-int-or-string'] === true)
    return;
  throw new StructuralSchemaError(
    at(path),
    'node has no type (z.unknown/z.any?); give it a type or x-kubernetes-preserve-unknown-fields',
  );
}

function checkListMapKeys(out: JsonSchema, path: string): void {
  if (out['x-kubernetes-list-type'] !== 'map') return;
  const keys = out['x-kubernetes-list-map-keys'];
  const items = asRecord(out.items);
  if (!Array.isArray(keys) || keys.length === 0 || !items) {
    throw new StructuralSchemaError(
      at(path),
      'list-type map needs x-kubernetes-list-map-keys and object items',
    );
  }
  const required = Array.isArray(items.required) ? items.required : [];
  const properties = asRecord(items.properties) ?? {};
  for (const key of keys) {
    const property = asRecord(properties[key]);
    if (!property) throw new StructuralSchemaError(at(path), `list-map key ${String(key)} is not a property`);
    if (!required.includes(key) && property.default === undefined) {
      throw new StructuralSchemaError(at(path), `list-map key ${String(key)} must be required or defaulted`);
    }
    if (property.nullable === true)
      throw new StructuralSchemaError(at(path), `list-map key ${String(key)} must not be nullable`);
  }
}

function checkValidations(out: JsonSchema, path: string): void {
  const rules = out['x-kubernetes-validations'];
  if (rules === undefined) return;
  if (!Array.isArray(rules))
    throw new StructuralSchemaError(at(path), 'x-kubernetes-validations must be a list');
  for (const rule of rules) {
    const r = asRecord(rule);
    if (!r || typeof r.rule !== 'string' || r.rule.length === 0) {
      throw new StructuralSchemaError(at(path), 'every x-kubernetes-validations entry needs a rule');
    }
    for (const field of ['rule', 'message', 'messageExpression'] as const) {
      const text = r[field];
      if (typeof text === 'string' && /[\r\n]/.test(text)) {
        throw new StructuralSchemaError(
          at(path),
          `CEL ${field} must not contain line breaks: ${JSON.stringify(text)}`,
        );
      }
    }
  }
}

function at(path: string): string {
  return path === '' ? '(root)' : path;
}

function isRecord(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asRecord(value: unknown): JsonSchema | undefined {
  return isRecord(value) ? value : undefined;
}

function asSchema(value: unknown, path: string): JsonSchema {
  if (!isRecord(value)) throw new StructuralSchemaError(at(path), 'expected a schema object');
  return value;
}

function withoutKey(node: JsonSchema, key: string): JsonSchema {
  const { [key]: _removed, ...rest } = node;
  return rest;
}
