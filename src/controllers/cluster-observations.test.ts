import { describe, expect, it } from 'vitest';
import type { ClusterInfo, Repository } from '../backup-api/index.ts';
import { changedRepositoryIds, createClusterObservations, pollSawCreation } from './cluster-observations.ts';

const repo = (id: string, extra: Partial<Repository> = {}): Repository =>
  ({
    id,
    plan_name: 'p',
    state: 'active',
    archive: '/a',
    repo: `uuid-${id}`,
    version: 1,
    ...extra,
  }) as Repository;

const info = (groups: Partial<Record<'active' | 'archived' | 'imported', Repository[]>>): ClusterInfo => ({
  name: 'self',
  active: Object.fromEntries((groups.active ?? []).map((r) => [r.id, r])),
  archived: Object.fromEntries((groups.archived ?? []).map((r) => [r.id, r])),
  imported: Object.fromEntries((groups.imported ?? []).map((r) => [r.id, r])),
});

describe('changedRepositoryIds', () => {
  it.each([
    {
      reason: 'first observation reports every repository',
      prev: undefined,
      next: info({ active: [repo('a'), repo('b')] }),
      want: ['a', 'b'],
    },
    {
      reason: 'identical observations report nothing',
      prev: info({ active: [repo('a')] }),
      next: info({ active: [repo('a')] }),
      want: [],
    },
    {
      reason: 'a changed field reports the id',
      prev: info({ active: [repo('a')] }),
      next: info({ active: [repo('a', { state: 'paused' })] }),
      want: ['a'],
    },
    {
      reason: 'a move between groups reports the id',
      prev: info({ active: [repo('a')] }),
      next: info({ archived: [repo('a', { state: 'archived' })] }),
      want: ['a'],
    },
    {
      reason: 'a vanished repository reports the id',
      prev: info({ active: [repo('a'), repo('b')] }),
      next: info({ active: [repo('a')] }),
      want: ['b'],
    },
  ])('$reason', ({ prev, next, want }) => {
    expect(changedRepositoryIds(prev, next)).toEqual(want);
  });
});

describe('createClusterObservations', () => {
  it('records polls, reports changes and finds repositories by id and state', () => {
    const obs = createClusterObservations();
    expect(
      obs.record(
        'ns/svc',
        info({ active: [repo('a')], archived: [repo('a', { state: 'archived', repo: 'old' })] }),
        1,
      ),
    ).toEqual(['a']);
    expect(obs.findRepository('ns/svc', 'a')?.state).toBe('active');
    expect(obs.findRepository('ns/svc', 'a', 'archived')?.repository.repo).toBe('old');
    expect(obs.findRepository('ns/svc', 'missing')).toBeUndefined();
    expect(obs.findRepository('ns/other', 'a')).toBeUndefined();
    expect(
      obs.record(
        'ns/svc',
        info({ active: [repo('a')], archived: [repo('a', { state: 'archived', repo: 'old' })] }),
        2,
      ),
    ).toEqual([]);
    expect(obs.get('ns/svc')?.at).toBe(2);
    obs.forget('ns/svc');
    expect(obs.get('ns/svc')).toBeUndefined();
  });
});

describe('pollSawCreation', () => {
  const created = '2026-12-01T10:00:00Z';
  it('trusts an absence shown by a poll taken after the object was created', () => {
    expect(pollSawCreation(Date.parse(created) + 1_500, created)).toBe(true);
    expect(pollSawCreation(Date.parse(created) + 1_500, new Date(created))).toBe(true);
  });
  it('confirms it when the poll is older, within the timestamp precision, or the time is unknown', () => {
    expect(pollSawCreation(Date.parse(created) - 10_000, created)).toBe(false);
    expect(pollSawCreation(Date.parse(created) + 900, created)).toBe(false);
    expect(pollSawCreation(Date.parse(created) + 60_000, undefined)).toBe(false);
  });
});
