import { describe, expect, it } from 'vitest';
import type { Repository, TaskRun } from '../../backup-api/index.ts';
import {
  claimedTaskNames,
  decideRecovery,
  decideTrigger,
  findTriggeredTask,
  sendWindowMs,
  TRIGGER_DELIVERY_GRACE_MS,
  TRIGGER_SEND_WINDOW_MS,
  triggerEchoPatch,
  triggerWaitingNote,
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

describe('findTriggeredTask', () => {
  const task = (name: string, start: string, type = 'BACKUP', status = 'done'): TaskRun =>
    ({ task_name: name, status, start, end: start, type }) as TaskRun;
  const repository = (over: Partial<Repository>): Repository =>
    ({
      id: 'r',
      plan_name: 'p',
      state: 'active',
      archive: '/a',
      repo: 'u',
      creation_time: '',
      update_time: '',
      ...over,
    }) as Repository;
  const since = '2025-01-01T12:00:00Z';

  it.each([
    {
      reason: 'a one-off in history after the echo',
      history: [task('BACKUP-1', '2025-01-01T12:00:01Z')],
      repo: undefined,
      claimed: [],
      want: 'BACKUP-1',
    },
    {
      reason: 'running one-off',
      history: [],
      repo: repository({
        running_one_off: { 'BACKUP-2': task('BACKUP-2', '2025-01-01T12:00:02Z', 'BACKUP', 'running') },
      }),
      claimed: [],
      want: 'BACKUP-2',
    },
    {
      reason: 'too old',
      history: [task('BACKUP-1', '2025-01-01T11:00:00Z')],
      repo: undefined,
      claimed: [],
      want: undefined,
    },
    {
      reason: 'wrong type',
      history: [task('MERGE-1', '2025-01-01T12:00:01Z', 'MERGE')],
      repo: undefined,
      claimed: [],
      want: undefined,
    },
    {
      reason: 'scheduled plan task is not ours',
      history: [task('backup_hourly', '2025-01-01T12:00:01Z')],
      repo: repository({
        scheduled: { backup_hourly: { name: 'backup_hourly', task_type: 'BACKUP', next_run: '' } },
      }),
      claimed: [],
      want: undefined,
    },
    {
      reason: 'claimed by the other echo',
      history: [task('BACKUP-1', '2025-01-01T12:00:01Z')],
      repo: undefined,
      claimed: ['BACKUP-1'],
      want: undefined,
    },
    {
      reason: 'earliest wins',
      history: [task('BACKUP-3', '2025-01-01T12:05:00Z'), task('BACKUP-1', '2025-01-01T12:00:01Z')],
      repo: undefined,
      claimed: [],
      want: 'BACKUP-1',
    },
    {
      reason: 'server clock slightly behind',
      history: [task('BACKUP-1', '2025-01-01T11:59:40Z')],
      repo: undefined,
      claimed: [],
      want: 'BACKUP-1',
    },
  ])('$reason', ({ history, repo, claimed, want }) => {
    expect(findTriggeredTask({ kind: 'backup', since, repository: repo, history, claimed })?.task_name).toBe(
      want,
    );
  });
});

describe('decideRecovery', () => {
  const since = '2025-01-01T12:00:00Z';
  const T0 = Date.parse(since);
  const found = {
    task_name: 'BACKUP-1',
    status: 'done',
    start: since,
    end: since,
    type: 'BACKUP',
  } as TaskRun;
  it.each([
    { reason: 'found → adopt, even at once', found, now: T0, active: true, want: 'adopt' },
    { reason: 'found while paused → adopt', found, now: T0 + 60_000, active: false, want: 'adopt' },
    {
      reason: 'nothing yet right after the echo → wait (the request may be on its way)',
      found: undefined,
      now: T0 + 1_000,
      active: true,
      want: 'wait',
    },
    {
      reason: 'nothing just before the grace ends → still wait',
      found: undefined,
      now: T0 + TRIGGER_DELIVERY_GRACE_MS - 1,
      active: true,
      want: 'wait',
    },
    {
      reason: 'nothing after the grace on an active repository → resend',
      found: undefined,
      now: T0 + TRIGGER_DELIVERY_GRACE_MS,
      active: true,
      want: 'resend',
    },
    {
      reason: 'nothing after the grace while not active → the token waits',
      found: undefined,
      now: T0 + TRIGGER_DELIVERY_GRACE_MS,
      active: false,
      want: 'inactive',
    },
  ])('$reason', ({ found: f, now, active, want }) => {
    const d = decideRecovery({ found: f, since, nowMs: now, active });
    expect(d.kind).toBe(want);
    if (d.kind === 'wait') expect(d.untilMs).toBe(T0 + TRIGGER_DELIVERY_GRACE_MS);
  });

  it('the send window closes well inside the delivery grace', () => {
    expect(TRIGGER_SEND_WINDOW_MS).toBeLessThanOrEqual(TRIGGER_DELIVERY_GRACE_MS / 2);
  });
});

describe('sendWindowMs', () => {
  const time = '2025-01-01T12:00:00Z';
  const T0 = Date.parse(time);
  it.each([
    { reason: 'right at the echo: the whole window', now: T0, want: TRIGGER_SEND_WINDOW_MS },
    { reason: 'later: what is left', now: T0 + 3_500, want: TRIGGER_SEND_WINDOW_MS - 3_500 },
    { reason: 'past the window: nothing (the request must not leave)', now: T0 + 60_000, want: 0 },
  ])('$reason', ({ now, want }) => {
    expect(sendWindowMs(time, now)).toBe(want);
  });
  it('an unparsable time sends nothing', () => {
    expect(sendWindowMs('', T0)).toBe(0);
  });
});

describe('claimedTaskNames', () => {
  it.each([
    { reason: 'nothing recorded', echoes: undefined, runs: [], want: [] },
    {
      reason: 'the other echo is claimed, our own is not',
      echoes: { backup: { token: 'a', taskName: 'BACKUP-1' }, merge: { token: 'm', taskName: 'MERGE-1' } },
      runs: [],
      want: ['MERGE-1'],
    },
    {
      reason: 'BackupRuns recorded tasks are claimed',
      echoes: {},
      runs: [{ status: { taskName: 'BACKUP-9' } }, { status: {} }, {}],
      want: ['BACKUP-9'],
    },
    {
      reason: 'both sources together, no duplicates',
      echoes: { merge: { token: 'm', taskName: 'MERGE-1' } },
      runs: [{ status: { taskName: 'MERGE-1' } }, { status: { taskName: 'BACKUP-9' } }],
      want: ['BACKUP-9', 'MERGE-1'],
    },
  ])('$reason', ({ echoes, runs, want }) => {
    expect(claimedTaskNames({ kind: 'backup', echoes, runs })).toEqual(want);
  });

  it('a task recorded by a BackupRun is never taken for the token', () => {
    const history = [
      { task_name: 'BACKUP-run', status: 'done', start: '2025-01-01T12:00:01Z', type: 'BACKUP' } as TaskRun,
    ];
    const claimed = claimedTaskNames({
      kind: 'backup',
      echoes: {},
      runs: [{ status: { taskName: 'BACKUP-run' } }],
    });
    expect(
      findTriggeredTask({
        kind: 'backup',
        since: '2025-01-01T12:00:00Z',
        repository: undefined,
        history,
        claimed,
      }),
    ).toBeUndefined();
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
      status: { triggers: { merge: { token: 't', time: '2025-01-01T12:00:00Z', taskName: null } } },
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
