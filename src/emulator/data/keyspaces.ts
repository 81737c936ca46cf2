/**
 * The keyspace and value options of a restore: include/exclude lists, `map_data` remapping,
 * key/value filters and TTL replacement, parsed once and validated up front so that a bad option
 * fails the restore before anything is written.
 */
import type { RestoreOptions } from './contract.ts';
import { DataError } from './errors.ts';

/** `bucket`, `bucket.scope` or `bucket.scope.collection`. */
export interface KeyspacePattern {
  bucket: string;
  scope?: string;
  collection?: string;
}

export interface Keyspace {
  bucket: string;
  scope: string;
  collection: string;
}

/** Splits a dotted path on unescaped dots (`a\.b.s.c` → `a.b`, `s`, `c`). */
export function splitKeyspacePath(path: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === '\\' && path[i + 1] === '.') {
      current += '.';
      i++;
    } else if (ch === '.') {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/** Parses one keyspace path; `option` names the restore field in error messages. */
export function parseKeyspace(path: string, option: string): KeyspacePattern {
  const parts = splitKeyspacePath(path.trim());
  if (parts.length > 3 || parts.some((p) => p.length === 0)) {
    throw new DataError('INVALID_ARGUMENT', `${option}: '${path}' is not bucket[.scope[.collection]]`);
  }
  const [bucket = '', scope, collection] = parts;
  const pattern: KeyspacePattern = { bucket };
  if (scope !== undefined) pattern.scope = scope;
  if (collection !== undefined) pattern.collection = collection;
  return pattern;
}

/** Parses a comma list of keyspace paths (empty or undefined → []). */
export function parseKeyspaceList(list: string | undefined, option: string): KeyspacePattern[] {
  if (list === undefined || list.trim() === '') return [];
  return list.split(',').map((p) => parseKeyspace(p, option));
}

/** Whether `ks` lies inside `pattern`. */
export function keyspaceMatches(pattern: KeyspacePattern, ks: Keyspace): boolean {
  return (
    pattern.bucket === ks.bucket &&
    (pattern.scope === undefined || pattern.scope === ks.scope) &&
    (pattern.collection === undefined || pattern.collection === ks.collection)
  );
}

function depth(p: KeyspacePattern): number {
  return p.collection !== undefined ? 3 : p.scope !== undefined ? 2 : 1;
}

/** A compiled restore plan for keyspaces and values. */
export interface RestoreSelection {
  /** Whether documents of `ks` (a source keyspace) are restored at all. */
  includes(ks: Keyspace): boolean;
  /** Where documents of source keyspace `ks` go. */
  target(ks: Keyspace): Keyspace;
  /** Whether a document with this key and value passes filter_keys/filter_values. */
  passes(key: string, value: unknown, deleted: boolean): boolean;
  /** The expiry to write for a document with `expiry`, at restore time `nowMs`. */
  expiry(expiry: number, nowMs: number): number;
}

/** Validates and compiles the keyspace/value options of a restore. */
export function compileRestoreSelection(options: RestoreOptions): RestoreSelection {
  const include = parseKeyspaceList(options.include_data, 'include_data');
  const exclude = parseKeyspaceList(options.exclude_data, 'exclude_data');
  if (include.length > 0 && exclude.length > 0) {
    throw new DataError('INVALID_ARGUMENT', 'include_data and exclude_data cannot be used together');
  }
  const mappings = parseMappings(options.map_data);
  const keyFilter = compileRegex(options.filter_keys, 'filter_keys');
  const valueFilter = compileRegex(options.filter_values, 'filter_values');
  const ttl = compileTtl(options);

  return {
    includes(ks) {
      if (include.length > 0 && !include.some((p) => keyspaceMatches(p, ks))) return false;
      return !exclude.some((p) => keyspaceMatches(p, ks));
    },
    target(ks) {
      // The most specific mapping wins (collection over scope over bucket), as in cbbackupmgr.
      let best: { from: KeyspacePattern; to: KeyspacePattern } | undefined;
      for (const m of mappings) {
        if (keyspaceMatches(m.from, ks) && (best === undefined || depth(m.from) > depth(best.from))) best = m;
      }
      if (best === undefined) return { ...ks };
      return {
        bucket: best.to.bucket,
        scope: best.to.scope ?? ks.scope,
        collection: best.to.collection ?? ks.collection,
      };
    },
    passes(key, value, deleted) {
      if (keyFilter !== undefined && !keyFilter.test(key)) return false;
      // A deletion carries no value to match; it passes so that a document an older backup restored
      // (because it matched) is not resurrected by the filter.
      if (valueFilter !== undefined && !deleted && !valueFilter.test(JSON.stringify(value))) return false;
      return true;
    },
    expiry: ttl,
  };
}

function parseMappings(list: string | undefined): { from: KeyspacePattern; to: KeyspacePattern }[] {
  if (list === undefined || list.trim() === '') return [];
  const out: { from: KeyspacePattern; to: KeyspacePattern }[] = [];
  for (const item of list.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0 || item.indexOf('=', eq + 1) >= 0) {
      throw new DataError('INVALID_ARGUMENT', `map_data: '${item}' is not src=dst`);
    }
    const from = parseKeyspace(item.slice(0, eq), 'map_data');
    const to = parseKeyspace(item.slice(eq + 1), 'map_data');
    if (depth(from) !== depth(to)) {
      throw new DataError('INVALID_ARGUMENT', `map_data: '${item}' maps keyspaces of different levels`);
    }
    if (out.some((m) => sameKeyspace(m.from, from))) {
      throw new DataError('INVALID_ARGUMENT', `map_data: '${item.slice(0, eq)}' is mapped twice`);
    }
    out.push({ from, to });
  }
  return out;
}

function sameKeyspace(a: KeyspacePattern, b: KeyspacePattern): boolean {
  return a.bucket === b.bucket && a.scope === b.scope && a.collection === b.collection;
}

function compileRegex(source: string | undefined, option: string): RegExp | undefined {
  if (source === undefined || source === '') return undefined;
  try {
    return new RegExp(source);
  } catch (err) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `${option}: invalid regular expression: ${(err as Error).message}`,
    );
  }
}

function compileTtl(options: RestoreOptions): (expiry: number, nowMs: number) => number {
  const mode = options.replace_ttl ?? 'none';
  if (mode === 'none') return (expiry) => expiry;
  if (mode !== 'all' && mode !== 'expired') {
    throw new DataError(
      'INVALID_ARGUMENT',
      `replace_ttl must be none, all or expired, not '${String(mode)}'`,
    );
  }
  const raw = options.replace_ttl_with;
  if (raw === undefined || raw === '') {
    throw new DataError('INVALID_ARGUMENT', 'replace_ttl_with is required when replace_ttl is not none');
  }
  let replacement: number;
  if (raw === '0') {
    replacement = 0;
  } else {
    const ms = Date.parse(raw);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(raw) || Number.isNaN(ms)) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `replace_ttl_with must be '0' or an RFC 3339 time, not '${raw}'`,
      );
    }
    replacement = Math.floor(ms / 1000);
  }
  if (mode === 'all') return () => replacement;
  return (expiry, nowMs) => (expiry !== 0 && expiry * 1000 <= nowMs ? replacement : expiry);
}
