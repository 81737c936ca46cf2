import { describe, expect, it } from 'vitest';
import { claimedTaskNames, type OneShotClaim, type TriggerEchoes } from './claimed-tasks.ts';

describe('claimedTaskNames', () => {
  it.each<{
    reason: string;
    oneShots: OneShotClaim[];
    triggers: (TriggerEchoes | undefined)[];
    want: string[];
  }>([
    {
      reason: 'tasks of other runs and restores',
      oneShots: [
        { key: 'runs/a', taskName: 'BACKUP-a' },
        { key: 'restores/b', taskName: 'RESTORE-b' },
        { key: 'runs/c' },
      ],
      triggers: [],
      want: ['BACKUP-a', 'RESTORE-b'],
    },
    {
      reason: 'never the resource itself',
      oneShots: [{ key: 'runs/me', taskName: 'BACKUP-mine' }],
      triggers: [],
      want: [],
    },
    {
      reason: 'a run and a restore of the same name are different resources',
      oneShots: [{ key: 'restores/me', taskName: 'RESTORE-x' }],
      triggers: [],
      want: ['RESTORE-x'],
    },
    {
      reason: 'tasks echoed by BackupRepository trigger tokens',
      oneShots: [],
      triggers: [
        { backup: { taskName: 'BACKUP-token' }, merge: { taskName: 'MERGE-token' } },
        undefined,
        { backup: {} },
      ],
      want: ['BACKUP-token', 'MERGE-token'],
    },
  ])('$reason', ({ oneShots, triggers, want }) => {
    expect([...claimedTaskNames(oneShots, triggers, 'runs/me')].sort()).toEqual([...want].sort());
  });
});
