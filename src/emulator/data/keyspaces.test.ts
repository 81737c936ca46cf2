import { describe, expect, it } from 'vitest';
import type { RestoreOptions } from './contract.ts';
import { DataError } from './errors.ts';
import { compileRestoreSelection, parseKeyspace, splitKeyspacePath } from './keyspaces.ts';

const ks = (bucket: string, scope = '_default', collection = '_default') => ({ bucket, scope, collection });

describe('keyspace paths', () => {
  it.each([
    ['b', ['b']],
    ['b.s.c', ['b', 's', 'c']],
    ['a\\.b.s', ['a.b', 's']],
  ])('splits %s', (path, parts) => {
    expect(splitKeyspacePath(path)).toEqual(parts);
  });

  it.each(['', 'b..c', 'a.b.c.d'])('rejects %j', (path) => {
    expect(() => parseKeyspace(path, 'include_data')).toThrow(DataError);
  });
});

describe('compileRestoreSelection', () => {
  it.each<{ options: RestoreOptions; keyspace: ReturnType<typeof ks>; included: boolean }>([
    { options: {}, keyspace: ks('b'), included: true },
    { options: { include_data: 'b' }, keyspace: ks('b', 's', 'c'), included: true },
    { options: { include_data: 'b.s' }, keyspace: ks('b', 't', 'c'), included: false },
    { options: { include_data: 'x,b.s.c' }, keyspace: ks('b', 's', 'c'), included: true },
    { options: { exclude_data: 'b.s' }, keyspace: ks('b', 's', 'c'), included: false },
    { options: { exclude_data: 'b.s' }, keyspace: ks('b'), included: true },
  ])('include/exclude $options → $included', ({ options, keyspace, included }) => {
    expect(compileRestoreSelection(options).includes(keyspace)).toBe(included);
  });

  it.each([
    { map: 'b=d', from: ks('b', 's', 'c'), to: ks('d', 's', 'c') },
    { map: 'b.s=d.t', from: ks('b', 's', 'c'), to: ks('d', 't', 'c') },
    { map: 'b=d,b.s.c=e.f.g', from: ks('b', 's', 'c'), to: ks('e', 'f', 'g') },
    { map: 'b=d,b.s.c=e.f.g', from: ks('b', 's', 'x'), to: ks('d', 's', 'x') },
    { map: 'other=d', from: ks('b'), to: ks('b') },
  ])('map_data $map sends $from.bucket.$from.scope.$from.collection', ({ map, from, to }) => {
    expect(compileRestoreSelection({ map_data: map }).target(from)).toEqual(to);
  });

  it.each<RestoreOptions>([
    { map_data: 'b=d,b=e' },
    { map_data: 'b.s=d' },
    { map_data: 'b=d=e' },
    { filter_values: '[' },
    { replace_ttl: 'expired' },
    { replace_ttl: 'all', replace_ttl_with: '2026-13-01' },
    { replace_ttl: 'bogus' as 'all', replace_ttl_with: '0' },
  ])('rejects %j', (options) => {
    expect(() => compileRestoreSelection(options)).toThrow(DataError);
  });

  it('replaces expiries per replace_ttl', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const past = now / 1000 - 10;
    const future = now / 1000 + 10;
    const all = compileRestoreSelection({
      replace_ttl: 'all',
      replace_ttl_with: '2026-01-02T00:00:00+00:00',
    });
    expect([all.expiry(0, now), all.expiry(past, now)]).toEqual([now / 1000 + 86400, now / 1000 + 86400]);
    const expired = compileRestoreSelection({ replace_ttl: 'expired', replace_ttl_with: '0' });
    expect([expired.expiry(0, now), expired.expiry(past, now), expired.expiry(future, now)]).toEqual([
      0,
      0,
      future,
    ]);
  });

  it('filters keys and values, letting deletions through the value filter', () => {
    const s = compileRestoreSelection({ filter_keys: '^user::', filter_values: '"active":true' });
    expect(s.passes('user::1', { active: true }, false)).toBe(true);
    expect(s.passes('user::1', { active: false }, false)).toBe(false);
    expect(s.passes('order::1', { active: true }, false)).toBe(false);
    expect(s.passes('user::2', null, true)).toBe(true);
  });
});
