import { describe, expect, it } from 'vitest';
import type { Repository, TaskRun } from '../../backup-api/index.ts';
import { candidatesOn, findCandidates, historyStart } from './candidates.ts';
import { CLOCK_SKEW_MARGIN_MS } from './constants.ts';

const T0 = Date.parse('2026-01-01T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const run = (name: string, type: string, startMs: number, extra: Partial<TaskRun> = {}): TaskRun => ({
  task_name: name,
  status: 'running',
  start: iso(startMs),
  end: '0001-01-01T00:00:00Z',
  type,
  ...extra,
});

describe('findCandidates', () => {
  it.each([
    {
      reason: 'a running task of the type after the intent',
      running: [run('BACKUP-1', 'BACKUP', T0 + 100)],
      history: [],
      want: ['BACKUP-1'],
    },
    {
      reason: 'a finished task in history counts too',
      running: [],
      history: [run('BACKUP-1', 'BACKUP', T0 + 100, { status: 'done' })],
      want: ['BACKUP-1'],
    },
    {
      reason: 'the same task seen running and in history once',
      running: [run('BACKUP-1', 'BACKUP', T0 + 100)],
      history: [run('BACKUP-1', 'BACKUP', T0 + 100, { status: 'done' })],
      want: ['BACKUP-1'],
    },
    {
      reason: 'another type does not count',
      running: [run('MERGE-1', 'MERGE', T0 + 100)],
      history: [],
      want: [],
    },
    {
      reason: 'inside the clock skew margin counts',
      running: [run('BACKUP-1', 'BACKUP', T0 - CLOCK_SKEW_MARGIN_MS + 1)],
      history: [],
      want: ['BACKUP-1'],
    },
    {
      reason: 'older than the margin does not count',
      running: [],
      history: [run('BACKUP-old', 'BACKUP', T0 - CLOCK_SKEW_MARGIN_MS - 1)],
      want: [],
    },
    {
      reason: 'excluded names (plan tasks, claimed by others) do not count',
      running: [run('claimed', 'BACKUP', T0 + 1)],
      history: [run('hourly', 'BACKUP', T0 + 1)],
      want: [],
    },
    {
      reason: 'the type is compared case-insensitively',
      running: [run('backup-x', 'backup', T0 + 1)],
      history: [],
      want: ['backup-x'],
    },
  ])('$reason', ({ running, history, want }) => {
    expect(
      findCandidates({
        matcher: { type: 'BACKUP' },
        sentAtMs: T0,
        running,
        history,
        excluded: new Set(['claimed', 'hourly']),
      }),
    ).toEqual(want);
  });

  it.each([
    { reason: 'same target, other spelling', target: '127.0.0.1:8091', want: ['restore-1'] },
    { reason: 'another target', target: 'http://other:8091', want: [] },
  ])('restores match the target: $reason', ({ target, want }) => {
    expect(
      findCandidates({
        matcher: { type: 'RESTORE', target },
        sentAtMs: T0,
        running: [run('restore-1', 'RESTORE', T0 + 5, { target_cluster: 'http://127.0.0.1:8091' })],
        history: [],
        excluded: new Set(),
      }),
    ).toEqual(want);
  });
});

/** The cases trigger tokens were tested with before they shared the intent protocol. */
describe('candidatesOn', () => {
  const task = (name: string, start: string, type = 'BACKUP', status = 'done'): TaskRun =>
    ({ task_name: name, status, start, end: start, type }) as TaskRun;
  const repository = (over: Partial<Repository> = {}): Repository =>
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
  const since = Date.parse('2025-01-01T12:00:00Z');

  it.each([
    {
      reason: 'a one-off in history after the intent',
      history: [task('BACKUP-1', '2025-01-01T12:00:01Z')],
      repo: repository(),
      claimed: [],
      want: ['BACKUP-1'],
    },
    {
      reason: 'running one-off',
      history: [],
      repo: repository({
        running_one_off: { 'BACKUP-2': task('BACKUP-2', '2025-01-01T12:00:02Z', 'BACKUP', 'running') },
      }),
      claimed: [],
      want: ['BACKUP-2'],
    },
    {
      reason: 'too old',
      history: [task('BACKUP-1', '2025-01-01T11:00:00Z')],
      repo: repository(),
      claimed: [],
      want: [],
    },
    {
      reason: 'wrong type',
      history: [task('MERGE-1', '2025-01-01T12:00:01Z', 'MERGE')],
      repo: repository(),
      claimed: [],
      want: [],
    },
    {
      reason: 'scheduled plan task is not ours',
      history: [task('backup_hourly', '2025-01-01T12:00:01Z')],
      repo: repository({
        scheduled: { backup_hourly: { name: 'backup_hourly', task_type: 'BACKUP', next_run: '' } },
      }),
      claimed: [],
      want: [],
    },
    {
      reason: 'running plan task is not ours',
      history: [],
      repo: repository({
        running_tasks: { backup_hourly: task('backup_hourly', '2025-01-01T12:00:01Z', 'BACKUP', 'running') },
        running_one_off: {},
      }),
      claimed: [],
      want: [],
    },
    {
      reason: 'claimed by another owner',
      history: [task('BACKUP-1', '2025-01-01T12:00:01Z')],
      repo: repository(),
      claimed: ['BACKUP-1'],
      want: [],
    },
    {
      // Trigger tokens used to take the earliest here: a Web Console backup could become the token's.
      reason: 'several are all candidates, none is preferred',
      history: [task('BACKUP-3', '2025-01-01T12:05:00Z'), task('BACKUP-1', '2025-01-01T12:00:01Z')],
      repo: repository(),
      claimed: [],
      want: ['BACKUP-3', 'BACKUP-1'],
    },
    {
      reason: 'server clock slightly behind',
      history: [task('BACKUP-1', '2025-01-01T11:59:40Z')],
      repo: repository(),
      claimed: [],
      want: ['BACKUP-1'],
    },
  ])('$reason', ({ history, repo, claimed, want }) => {
    expect(
      candidatesOn({
        repository: repo,
        history,
        matcher: { type: 'BACKUP' },
        sentAtMs: since,
        claimed: new Set(claimed),
      }),
    ).toEqual(want);
  });

  it('reads history from the clock skew margin before the intent', () => {
    expect(historyStart(since).getTime()).toBe(since - CLOCK_SKEW_MARGIN_MS);
  });
});
