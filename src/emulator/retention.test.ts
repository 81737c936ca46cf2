import { describe, expect, it } from 'vitest';
import { computeExpiry } from './retention.ts';

const DAY = 86_400_000;
const now = Date.parse('2025-01-20T00:00:00Z');
const b = (day: number, type: 'FULL' | 'INCR') => ({
  date: `2025-01-${String(day).padStart(2, '0')}T00_00_00Z`,
  type,
});

describe('computeExpiry', () => {
  it('no retention → nothing expires', () => {
    expect(computeExpiry([b(1, 'FULL')], undefined, now)).toEqual({
      deletable: [],
      withNonExpiredDependents: [],
    });
  });

  it('keeps expired backups that a retained incremental depends on', () => {
    const backups = [b(1, 'FULL'), b(2, 'INCR'), b(15, 'INCR'), b(16, 'FULL'), b(17, 'INCR')];
    const r = computeExpiry(backups, { period: 10, retroactive: true, per_backup: {} }, now);
    expect(r.withNonExpiredDependents).toEqual([b(1, 'FULL').date, b(2, 'INCR').date]);
    expect(r.deletable).toEqual([]);
    const later = computeExpiry(backups, { period: 10, retroactive: true, per_backup: {} }, now + 6 * DAY);
    expect(later.deletable).toEqual([b(1, 'FULL').date, b(2, 'INCR').date, b(15, 'INCR').date]);
  });

  it('per-backup overrides win', () => {
    const r = computeExpiry(
      [b(1, 'FULL')],
      { period: 0, retroactive: false, per_backup: { [b(1, 'FULL').date]: 5 } },
      now,
    );
    expect(r.deletable).toEqual([b(1, 'FULL').date]);
  });
});
