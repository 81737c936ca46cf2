import { describe, expect, it } from 'vitest';
import type { Repository, TaskRun } from '../../backup-api/index.ts';
import {
  candidatesOn,
  claimedTaskNames,
  DELIVERY_GRACE_MS,
  HISTORY_TRUST_MS,
  oneShotOwner,
  triggerClaims,
  triggerOwner,
} from '../intent/index.ts';
import { rejectedTokenNote } from './trigger-tokens.ts';
import {
  decideRecovery,
  decideTrigger,
  triggerEchoPatch,
  triggerUnknownNote,
  triggerWaitingNote,
  withTriggerOutcomes,
} from './triggers.ts';

describe('decideTrigger', () => {
  it.each([
    { reason: 'no token', token: undefined, echo: undefined, active: true, want: 'none' },
    { reason: 'new token on an active repository', token: 'a', echo: undefined, active: true, want: 'send' },
    { reason: 'new token while paused waits', token: 'a', echo: undefined, active: false, want: 'wait' },
    {
      reason: 'changed token',
      token: 'b',
      echo: { token: 'a', taskName: 'BACKUP-1' },
      active: true,
      want: 'send',
    },
    {
      reason: 'same token, done',
      token: 'a',
      echo: { token: 'a', taskName: 'BACKUP-1', time: '2025-01-01T00:00:00Z' },
      active: true,
      want: 'none',
    },
    {
      reason: 'same token, outcome unknown → recover',
      token: 'a',
      echo: { token: 'a', time: '2025-01-01T00:00:00Z' },
      active: true,
      want: 'recover',
    },
    {
      reason: 'same token, rejected → never again',
      token: 'a',
      echo: { token: 'a' },
      active: true,
      want: 'none',
    },
  ])('$reason', ({ token, echo, active, want }) => {
    expect(decideTrigger(token, echo, active).kind).toBe(want);
  });
});

describe('decideRecovery', () => {
  const since = '2025-01-01T12:00:00Z';
  const T0 = Date.parse(since);
  const found = ['BACKUP-1'];
  it.each([
    { reason: 'found → adopt, even at once', found, now: T0, active: true, want: 'adopt' },
    { reason: 'found while paused → adopt', found, now: T0 + 60_000, active: false, want: 'adopt' },
    {
      reason: 'nothing yet right after the echo → wait (the request may be on its way)',
      found: [],
      now: T0 + 1_000,
      active: true,
      want: 'wait',
    },
    {
      reason: 'nothing just before the grace ends → still wait',
      found: [],
      now: T0 + DELIVERY_GRACE_MS - 1,
      active: true,
      want: 'wait',
    },
    {
      reason: 'nothing after the grace on an active repository → resend',
      found: [],
      now: T0 + DELIVERY_GRACE_MS,
      active: true,
      want: 'resend',
    },
    {
      reason: 'nothing after the grace while not active → the token waits',
      found: [],
      now: T0 + DELIVERY_GRACE_MS,
      active: false,
      want: 'inactive',
    },
    {
      reason: 'several inside the grace → wait (one may be recorded by its owner)',
      found: ['BACKUP-1', 'BACKUP-2'],
      now: T0 + 1_000,
      active: true,
      want: 'wait',
    },
    {
      // Used to adopt the earliest: a Web Console backup or another token's task became this token's.
      reason: 'several after the grace → unknown, never a guess',
      found: ['BACKUP-1', 'BACKUP-2'],
      now: T0 + DELIVERY_GRACE_MS,
      active: true,
      want: 'unknown',
    },
    {
      reason: 'nothing for an echo older than the history is trusted → unknown, not a resend',
      found: [],
      now: T0 + HISTORY_TRUST_MS + 1,
      active: true,
      want: 'unknown',
    },
  ])('$reason', ({ found: f, now, active, want }) => {
    const d = decideRecovery({ candidates: f, since, nowMs: now, active });
    expect(d.kind).toBe(want);
    if (d.kind === 'wait') expect(d.untilMs).toBe(T0 + DELIVERY_GRACE_MS);
    if (d.kind === 'adopt') expect(d.taskName).toBe('BACKUP-1');
  });
});

describe('claims of trigger tokens', () => {
  it.each([
    { reason: 'nothing recorded', echoes: undefined, want: [] },
    {
      reason: 'the other echo is claimed, our own is not',
      echoes: { backup: { token: 'a', taskName: 'BACKUP-1' }, merge: { token: 'm', taskName: 'MERGE-1' } },
      want: ['MERGE-1'],
    },
  ])('$reason', ({ echoes, want }) => {
    expect([
      ...claimedTaskNames(triggerClaims('ns', 'r', echoes), triggerOwner('ns', 'r', 'backup')),
    ]).toEqual(want);
  });

  it('a task recorded by a BackupRun is never taken for the token', () => {
    const history = [
      { task_name: 'BACKUP-run', status: 'done', start: '2025-01-01T12:00:01Z', type: 'BACKUP' } as TaskRun,
    ];
    const claimed = claimedTaskNames(
      [...triggerClaims('ns', 'r', {}), { owner: oneShotOwner('runs', 'ns', 'x'), taskName: 'BACKUP-run' }],
      triggerOwner('ns', 'r', 'backup'),
    );
    expect(
      candidatesOn({
        repository: { id: 'r', state: 'active' } as Repository,
        history,
        matcher: { type: 'BACKUP' },
        sentAtMs: Date.parse('2025-01-01T12:00:00Z'),
        claimed,
      }),
    ).toEqual([]);
  });
});

describe('triggerEchoPatch', () => {
  it('records the token and time without a task name, guarded by the resourceVersion read', () => {
    expect(
      triggerEchoPatch({ metadata: { resourceVersion: '42' } }, 'merge', {
        token: 't',
        time: '2025-01-01T12:00:00Z',
      }),
    ).toEqual({
      metadata: { resourceVersion: '42' },
      status: {
        triggers: {
          merge: {
            token: 't',
            time: '2025-01-01T12:00:00Z',
            taskName: null,
            previousTaskName: null,
            // A new token's echo clears the outcome of the token before it.
            outcome: null,
            endTime: null,
            error: null,
          },
        },
      },
    });
  });
});

describe('triggerWaitingNote', () => {
  it.each([
    {
      reason: 'paused',
      state: 'Paused',
      want: 'triggers.backup token t waits for the repository to be Active (it is Paused)',
    },
    {
      reason: 'not yet there',
      state: undefined,
      want: 'triggers.backup token t waits for the repository to be Active (it is not yet present)',
    },
  ])('$reason', ({ state, want }) => {
    expect(triggerWaitingNote('backup', 't', state)).toBe(want);
  });
});

describe('triggerUnknownNote', () => {
  it('names the candidates and tells the user to set a new token', () => {
    const note = triggerUnknownNote('backup', 't', '2025-01-01T12:00:00Z', {
      kind: 'unknown',
      why: 'several-candidates',
      candidates: ['BACKUP-1', 'BACKUP-2'],
    });
    expect(note).toContain('triggers.backup token t');
    expect(note).toContain('several tasks could be it (BACKUP-1, BACKUP-2)');
    expect(note).toContain('set a new token');
  });
});

describe('rejectedTokenNote', () => {
  const rejected =
    'triggers.backup token t1 was rejected by the Backup Service: 500 failed bucket check; set a new token to try again';
  it('keeps the note written at the rejection, so that a later reconcile or a restart rewrites nothing', () => {
    const conditions = [{ type: 'Synced', reason: 'TriggerRejected', message: rejected }];
    expect(rejectedTokenNote('backup', 't1', conditions)).toBe(rejected);
  });
  it('says it generically when that note is gone or is about another token', () => {
    const other = [{ type: 'Synced', reason: 'TriggerRejected', message: rejected }];
    expect(rejectedTokenNote('backup', 't2', other)).toBe(
      'triggers.backup token t2 was rejected by the Backup Service; set a new token to try again',
    );
    expect(rejectedTokenNote('merge', 't1', undefined)).toContain('set a new token');
  });
});

describe('withTriggerOutcomes', () => {
  const recent = [
    {
      taskName: 'BACKUP-2',
      type: 'BACKUP' as const,
      status: 'failed' as const,
      endTime: '2026-12-01T10:01:00Z',
      error: 'disk on fire',
    },
    { taskName: 'MERGE-1', type: 'MERGE' as const, status: 'done' as const, endTime: '2026-12-01T10:00:30Z' },
  ];

  it('records Succeeded, or Failed with the server error, once the task shows finished', () => {
    expect(
      withTriggerOutcomes(
        { backup: { token: 'b', taskName: 'BACKUP-2' }, merge: { token: 'm', taskName: 'MERGE-1' } },
        recent,
      ),
    ).toEqual({
      backup: {
        token: 'b',
        taskName: 'BACKUP-2',
        outcome: 'Failed',
        endTime: '2026-12-01T10:01:00Z',
        error: 'disk on fire',
      },
      merge: { token: 'm', taskName: 'MERGE-1', outcome: 'Succeeded', endTime: '2026-12-01T10:00:30Z' },
    });
  });

  it('leaves running, unknown and rejected tokens, and recorded outcomes, as they are', () => {
    const echoes = {
      backup: { token: 'b', taskName: 'BACKUP-3', time: '2026-12-01T10:05:00Z' },
      merge: { token: 'm', taskName: 'MERGE-1', outcome: 'Failed' as const },
    };
    expect(withTriggerOutcomes(echoes, recent)).toEqual(echoes);
    expect(withTriggerOutcomes({ backup: { token: 'rejected' } }, recent)).toEqual({
      backup: { token: 'rejected' },
    });
  });
});
