import { describe, expect, it } from 'vitest';
import type { Repository, TaskRun } from '../../backup-api/index.ts';
import { decideTrigger, findTriggeredTask } from './triggers.ts';

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
