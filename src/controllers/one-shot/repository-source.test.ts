import { describe, expect, it } from 'vitest';
import type { BackupRepositoryResource } from '../resources.ts';
import {
  type FollowedRepository,
  locateFollowedRepository,
  type ResolvedRepository,
  resolveRepository,
  type ServiceSighting,
} from './repository-source.ts';

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
      reason: 'managed and asked to be Paused: held even while the server shows it active',
      source: { repositoryRef: { name: 'nightly' } },
      found: repo({ state: 'Paused' }, { repositoryId: 'nightly', state: 'Active' }),
      want: {
        kind: 'ok',
        repository: {
          serviceName: 'cb',
          id: 'nightly',
          state: 'active',
          stateExplicit: false,
          managedBy: 'nightly',
          pausedBySpec: true,
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

describe('locateFollowedRepository', () => {
  const remembered: ResolvedRepository = {
    serviceName: 'cb',
    id: 'r1',
    state: 'active',
    stateExplicit: false,
    managedBy: 'nightly',
  };
  const polled = (name: string, state?: 'active' | 'archived'): ServiceSighting => ({
    name,
    polled: true,
    ...(state ? { found: { state } } : {}),
  });
  it.each<{
    reason: string;
    repositoryId: string | undefined;
    remembered?: ResolvedRepository;
    services: ServiceSighting[];
    want: FollowedRepository | { kind: 'lost'; contains: string };
  }>([
    {
      reason: 'the repository resolved earlier in this process',
      repositoryId: 'r1',
      remembered,
      services: [],
      want: { kind: 'ok', repository: remembered },
    },
    {
      reason: 'after a restart: the one service whose last poll holds the id, in the state it is in',
      repositoryId: 'r1',
      services: [polled('other'), polled('cb', 'archived')],
      want: {
        kind: 'ok',
        repository: {
          serviceName: 'cb',
          id: 'r1',
          state: 'archived',
          stateExplicit: false,
          managedBy: 'nightly',
        },
      },
    },
    {
      reason: 'a service not polled yet may still hold it: wait',
      repositoryId: 'r1',
      services: [polled('cb', 'active'), { name: 'late', polled: false }],
      want: { kind: 'wait' },
    },
    {
      reason: 'no service holds it',
      repositoryId: 'r1',
      services: [polled('cb')],
      want: { kind: 'lost', contains: 'no BackupService in this namespace has repository r1' },
    },
    {
      reason: 'several services hold it: ambiguous',
      repositoryId: 'r1',
      services: [polled('a', 'active'), polled('b', 'active')],
      want: { kind: 'lost', contains: 'several BackupServices (a, b)' },
    },
    {
      reason: 'no repository id recorded',
      repositoryId: undefined,
      services: [polled('cb', 'active')],
      want: { kind: 'lost', contains: 'status.repositoryId is not recorded' },
    },
  ])('$reason', ({ repositoryId, remembered: known, services, want }) => {
    const got = locateFollowedRepository({
      repositoryName: 'nightly',
      taskName: 'BACKUP-1',
      repositoryId,
      remembered: known,
      services,
    });
    if ('contains' in want) {
      expect(got.kind).toBe('lost');
      expect(got.kind === 'lost' && got.message).toContain(want.contains);
      expect(got.kind === 'lost' && got.message).toContain(
        'BackupRepository nightly was deleted while task BACKUP-1 ran',
      );
    } else {
      expect(got).toEqual(want);
    }
  });
});
