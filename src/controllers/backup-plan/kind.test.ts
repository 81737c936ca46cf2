import { describe, expect, it } from 'vitest';
import type { ClusterInfo } from '../../backup-api/index.ts';
import type { BackupPlanResource } from '../resources.ts';
import { publishedVersion, usersIn } from './kind.ts';

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

describe('publishedVersion without an observation', () => {
  it('keeps the published version and the rollout, whose retiring versions nothing else remembers', () => {
    const rollout = { serverPlanName: 'p-v3', retiring: ['p-v2'], switched: ['r1'], pending: [] };
    const obj = {
      metadata: { name: 'p', generation: 3 },
      spec: { managementPolicy: 'Manage', serviceRef: { name: 'cb' }, tasks: [] },
      status: { planName: 'p-v3', rollout },
    } as unknown as BackupPlanResource;
    expect(publishedVersion(obj, undefined)).toEqual({ planName: 'p-v3', rollout });
  });
});
