import { describe, expect, it } from 'vitest';
import {
  type Claim,
  type ClaimSources,
  claimedTaskNames,
  claimsOf,
  oneShotOwner,
  type TriggerEchoes,
  triggerClaims,
  triggerOwner,
} from './claims.ts';

describe('claimedTaskNames', () => {
  const echoes = (namespace: string, name: string, t: TriggerEchoes | undefined) =>
    triggerClaims(namespace, name, t);
  it.each<{ reason: string; claims: Claim[]; except: string; want: string[] }>([
    {
      reason: 'tasks of other runs and restores',
      claims: [
        { owner: oneShotOwner('runs', 'ns', 'a'), taskName: 'BACKUP-a' },
        { owner: oneShotOwner('restores', 'ns', 'b'), taskName: 'RESTORE-b' },
        { owner: oneShotOwner('runs', 'ns', 'c') },
      ],
      except: oneShotOwner('runs', 'ns', 'me'),
      want: ['BACKUP-a', 'RESTORE-b'],
    },
    {
      reason: 'never the resource itself',
      claims: [{ owner: oneShotOwner('runs', 'ns', 'me'), taskName: 'BACKUP-mine' }],
      except: oneShotOwner('runs', 'ns', 'me'),
      want: [],
    },
    {
      reason: 'a run and a restore of the same name are different resources',
      claims: [{ owner: oneShotOwner('restores', 'ns', 'me'), taskName: 'RESTORE-x' }],
      except: oneShotOwner('runs', 'ns', 'me'),
      want: ['RESTORE-x'],
    },
    {
      reason: 'the same name in another namespace is another resource',
      claims: [{ owner: oneShotOwner('runs', 'other', 'me'), taskName: 'BACKUP-other' }],
      except: oneShotOwner('runs', 'ns', 'me'),
      want: ['BACKUP-other'],
    },
    {
      reason: 'tasks echoed by BackupRepository trigger tokens',
      claims: [
        ...echoes('ns', 'r1', { backup: { taskName: 'BACKUP-token' }, merge: { taskName: 'MERGE-token' } }),
        ...echoes('ns', 'r2', undefined),
        ...echoes('ns', 'r3', { backup: {} }),
      ],
      except: oneShotOwner('runs', 'ns', 'me'),
      want: ['BACKUP-token', 'MERGE-token'],
    },
    {
      reason: 'for a token: the other echo is claimed, its own is not',
      claims: echoes('ns', 'r', { backup: { taskName: 'BACKUP-1' }, merge: { taskName: 'MERGE-1' } }),
      except: triggerOwner('ns', 'r', 'backup'),
      want: ['MERGE-1'],
    },
    {
      reason: 'for a token: BackupRuns recorded tasks are claimed, no duplicates',
      claims: [
        ...echoes('ns', 'r', { merge: { taskName: 'MERGE-1' } }),
        { owner: oneShotOwner('runs', 'ns', 'x'), taskName: 'MERGE-1' },
        { owner: oneShotOwner('runs', 'ns', 'y'), taskName: 'BACKUP-9' },
        { owner: oneShotOwner('runs', 'ns', 'z') },
      ],
      except: triggerOwner('ns', 'r', 'backup'),
      want: ['BACKUP-9', 'MERGE-1'],
    },
  ])('$reason', ({ claims, except, want }) => {
    expect([...claimedTaskNames(claims, except)].sort()).toEqual([...want].sort());
  });
});

describe('claimsOf', () => {
  const listing = <S>(items: { namespace: string; name: string; status?: S }[]) => ({
    store: {
      list: () =>
        items.map((i) => ({ metadata: { namespace: i.namespace, name: i.name }, status: i.status })),
    },
  });
  it('collects runs, restores and both echoes of every repository, in every namespace', () => {
    const sources: ClaimSources = {
      runs: listing([{ namespace: 'a', name: 'r', status: { taskName: 'BACKUP-r' } }]),
      restores: listing([{ namespace: 'b', name: 's', status: {} }]),
      repositories: listing([
        {
          namespace: 'c',
          name: 'repo',
          status: { triggers: { merge: { taskName: 'MERGE-t', previousTaskName: 'MERGE-p' } } },
        },
      ]),
    };
    expect(claimsOf(sources)).toEqual([
      { owner: 'runs/a/r', taskName: 'BACKUP-r' },
      { owner: 'restores/b/s', taskName: undefined },
      { owner: 'repositories/c/repo/backup', taskName: undefined },
      { owner: 'repositories/c/repo/backup#previous', taskName: undefined },
      { owner: 'repositories/c/repo/merge', taskName: 'MERGE-t' },
      { owner: 'repositories/c/repo/merge#previous', taskName: 'MERGE-p' },
    ]);
  });

  it("keeps the previous token's task claimed against the current token", () => {
    const claims = triggerClaims('c', 'repo', { backup: { previousTaskName: 'BACKUP-old' } });
    expect([...claimedTaskNames(claims, triggerOwner('c', 'repo', 'backup'))]).toContain('BACKUP-old');
  });
});
