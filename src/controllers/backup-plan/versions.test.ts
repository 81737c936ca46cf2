import { describe, expect, it } from 'vitest';
import { MAX_PLAN_NAME_LENGTH, versionGeneration, versionName, versionNames } from './versions.ts';

describe('versionName', () => {
  it('appends -v<generation>', () => {
    expect(versionName('nightly', 7)).toBe('nightly-v7');
  });
  it('cuts a long base so that the name stays within the server limit', () => {
    const name = versionName('a'.repeat(50), 123);
    expect(name).toHaveLength(MAX_PLAN_NAME_LENGTH);
    expect(name.endsWith('-v123')).toBe(true);
  });
});

describe('versionGeneration', () => {
  it.each([
    { name: 'nightly', want: 0 },
    { name: 'nightly-v3', want: 3 },
    { name: 'nightly-v03', want: undefined },
    { name: 'nightly-v0', want: undefined },
    { name: 'other-v3', want: undefined },
    { name: 'nightly-x-v3', want: undefined },
  ])('$name', ({ name, want }) => {
    expect(versionGeneration('nightly', name)).toBe(want);
  });
  it('recognises a cut base', () => {
    const base = 'b'.repeat(50);
    expect(versionGeneration(base, versionName(base, 12))).toBe(12);
  });
});

describe('versionNames', () => {
  const none = new Set<string>();
  it('is the base and the current generation for a fresh plan', () => {
    expect(versionNames({ base: 'p', generation: 1, published: undefined, foreign: none })).toEqual([
      'p',
      'p-v1',
    ]);
  });
  it('keeps what status published and still retires', () => {
    const names = versionNames({
      base: 'p',
      generation: 5,
      published: { planName: 'p-v4', retiring: ['p-v2'] },
      foreign: none,
    });
    expect(names).toEqual(['p', 'p-v2', 'p-v4', 'p-v5']);
  });
  it('leaves alone a listed <base>-v<n> it never published (someone may have made it)', () => {
    const names = versionNames({ base: 'p', generation: 6, published: { planName: 'p-v3' }, foreign: none });
    expect(names).toEqual(['p', 'p-v3', 'p-v6']);
  });
  it('never takes a name another BackupPlan claims', () => {
    const names = versionNames({
      base: 'p',
      generation: 3,
      published: { retiring: ['p-v2'] },
      foreign: new Set(['p-v2', 'p-v3']),
    });
    expect(names).toEqual(['p']);
  });
});
