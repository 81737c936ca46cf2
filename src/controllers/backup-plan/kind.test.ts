import { describe, expect, it } from 'vitest';
import type { ClusterInfo } from '../../backup-api/index.ts';
import { usersIn } from './kind.ts';

const repo = (id: string, plan: string, state = 'active') => ({
  id,
  plan_name: plan,
  state,
  archive: '/a',
  repo: 'uuid',
  creation_time: '2025-01-01T00:00:00Z',
  update_time: '2025-01-01T00:00:00Z',
});

describe('usersIn', () => {
  const info = {
    active: { b: repo('b', 'nightly'), a: repo('a', 'nightly', 'paused'), c: repo('c', 'other') },
    archived: { old: repo('old', 'nightly', 'archived') },
  } as unknown as ClusterInfo;
  it.each([
    {
      reason: 'active and paused users, sorted; archived ones do not count',
      plan: 'nightly',
      want: ['a', 'b'],
    },
    { reason: 'another plan', plan: 'other', want: ['c'] },
    { reason: 'an unused plan', plan: 'free', want: [] },
  ])('$reason', ({ plan, want }) => {
    expect(usersIn(info, plan)).toEqual(want);
  });
  it('is empty without an observation', () => {
    expect(usersIn(undefined, 'nightly')).toEqual([]);
  });
});
