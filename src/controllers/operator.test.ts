import { describe, expect, it } from 'vitest';
import { dependentsCare } from './operator.ts';

const obj = (generation: number, ready?: string, state?: string, extra: Record<string, unknown> = {}) => ({
  metadata: { generation },
  status: {
    ...(state ? { state } : {}),
    conditions: ready ? [{ type: 'Ready', status: ready }] : [],
    ...extra,
  },
});

describe('dependentsCare', () => {
  it.each([
    { reason: 'a spec change', old: obj(1, 'True'), current: obj(2, 'True'), want: true },
    { reason: 'Ready flipping', old: obj(1, 'False'), current: obj(1, 'True'), want: true },
    {
      reason: 'a repository state change',
      old: obj(1, 'True', 'Active'),
      current: obj(1, 'True', 'Archived'),
      want: true,
    },
    {
      reason: 'deletion starting',
      old: obj(1, 'True'),
      current: { ...obj(1, 'True'), metadata: { generation: 1, deletionTimestamp: 'now' } },
      want: true,
    },
    {
      reason: 'a status-only write (counts, timestamps)',
      old: obj(1, 'True', 'Active', { count: 1 }),
      current: obj(1, 'True', 'Active', { count: 2 }),
      want: false,
    },
  ])('$reason → $want', ({ old, current, want }) => {
    expect(dependentsCare(old, current)).toBe(want);
  });
});
