import { describe, expect, it } from 'vitest';
import { compareBackupNames, formatBackupName, nextBackupName, parseBackupName } from './backup-names.ts';

describe('backup names', () => {
  it.each([
    ['2026-11-27T10_00_00.123456789Z', 1795773600123456789n],
    ['2026-11-27T10_00_00Z', 1795773600000000000n],
    ['2020-09-16T09_00_29.113465+01_00', 1600243229113465000n],
    ['not a backup', undefined],
    ['2026-11-27T10:00:00Z', undefined],
  ])('parses %s', (name, ns) => {
    expect(parseBackupName(name)).toBe(ns);
  });

  it('formats with a nine-digit fraction and round-trips', () => {
    const name = formatBackupName(1795773600000000042n);
    expect(name).toBe('2026-11-27T10_00_00.000000042Z');
    expect(parseBackupName(name)).toBe(1795773600000000042n);
  });

  it('picks the next free nanosecond when the clock has not moved or went back', () => {
    const now = new Date('2026-11-27T10:00:00.123Z');
    const a = nextBackupName(now, []);
    const b = nextBackupName(now, [a]);
    const c = nextBackupName(new Date('2026-11-27T09:00:00Z'), [a, b]);
    expect([a, b, c]).toEqual([
      '2026-11-27T10_00_00.123000000Z',
      '2026-11-27T10_00_00.123000001Z',
      '2026-11-27T10_00_00.123000002Z',
    ]);
  });

  it('sorts chronologically across time zones and puts foreign names last', () => {
    const names = ['zzz', '2026-01-01T10_00_00Z', '2026-01-01T10_30_00+01_00', '2026-01-01T09_45_00.5Z'];
    expect([...names].sort(compareBackupNames)).toEqual([
      '2026-01-01T10_30_00+01_00', // 09:30 UTC
      '2026-01-01T09_45_00.5Z',
      '2026-01-01T10_00_00Z',
      'zzz',
    ]);
  });
});
