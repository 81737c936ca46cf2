import { describe, expect, it } from 'vitest';
import type { BackupRepositoryResource } from '../resources.ts';
import { resolveRepository } from './repository-source.ts';

const repo = (spec: Record<string, unknown>, status?: Record<string, unknown>) =>
  ({
    metadata: { name: 'nightly', namespace: 'ns' },
    spec: { serviceRef: { name: 'cb' }, state: 'Active', ...spec },
    ...(status ? { status } : {}),
  }) as unknown as BackupRepositoryResource;

describe('resolveRepository', () => {
  it.each([
    {
      reason: 'unmanaged, default Active',
      source: { serviceRef: { name: 'cb' }, repositoryId: 'r1' },
      found: undefined,
      want: { kind: 'ok', repository: { serviceName: 'cb', id: 'r1', state: 'active', stateExplicit: true } },
    },
    {
      reason: 'unmanaged, explicit Imported',
      source: { serviceRef: { name: 'cb' }, repositoryId: 'r1', state: 'Imported' as const },
      found: undefined,
      want: {
        kind: 'ok',
        repository: { serviceName: 'cb', id: 'r1', state: 'imported', stateExplicit: true },
      },
    },
    {
      reason: 'managed: id defaults to the object name, state from spec',
      source: { repositoryRef: { name: 'nightly' } },
      found: repo({}),
      want: {
        kind: 'ok',
        repository: {
          serviceName: 'cb',
          id: 'nightly',
          state: 'active',
          stateExplicit: false,
          managedBy: 'nightly',
        },
      },
    },
    {
      reason: 'managed: status wins over spec (paused is in the active group)',
      source: { repositoryRef: { name: 'nightly' } },
      found: repo(
        { repositoryId: 'spec-id', state: 'Archived' },
        { repositoryId: 'real-id', state: 'Paused' },
      ),
      want: {
        kind: 'ok',
        repository: {
          serviceName: 'cb',
          id: 'real-id',
          state: 'active',
          stateExplicit: false,
          managedBy: 'nightly',
        },
      },
    },
    {
      reason: 'managed import without status is imported',
      source: { repositoryRef: { name: 'nightly' } },
      found: repo({ import: { repo: 'uuid' } }),
      want: {
        kind: 'ok',
        repository: {
          serviceName: 'cb',
          id: 'nightly',
          state: 'imported',
          stateExplicit: false,
          managedBy: 'nightly',
        },
      },
    },
  ])('$reason', ({ source, found, want }) => {
    expect(resolveRepository(source, () => found)).toEqual(want);
  });

  it('waits for a missing BackupRepository, naming it', () => {
    const r = resolveRepository({ repositoryRef: { name: 'later' } }, () => undefined);
    expect(r).toMatchObject({ kind: 'waiting', reason: 'WaitingForRepository' });
    expect(r.kind === 'waiting' && r.message).toContain('later');
  });
});
