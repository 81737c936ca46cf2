import { describe, expect, it } from 'vitest';
import { byCodeUnits } from './code-unit-order.ts';

describe('byCodeUnits', () => {
  it('orders by code units, not by a locale (upper case before lower case)', () => {
    expect(['b', 'a', 'B', 'A', 'a-1', 'a1'].sort(byCodeUnits)).toEqual(['A', 'B', 'a', 'a-1', 'a1', 'b']);
  });

  it('says equal strings are equal', () => {
    expect(byCodeUnits('backup', 'backup')).toBe(0);
  });
});
