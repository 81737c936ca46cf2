import { describe, expect, it } from 'vitest';
import type { Repository, RepositoryInfo, TaskRun } from '../../backup-api/index.ts';
import type { ObservedRepository } from '../cluster-observations.ts';
import {
  assembleStatus,
  backupNameTime,
  mirrorRepository,
  repositoryFingerprint,
  stallsAnew,
  summarizeBackups,
  summarizeHistory,
  withConditions,
} from './status.ts';
import { outcomeOf } from './status-for.ts';

const repo = (over: Partial<Repository> = {}): Repository =>
  ({
    id: 'r1',
    plan_name: '_hourly_backups',
    state: 'active',
    archive: '/backups',
    repo: 'uuid-1',
    creation_time: '2025-01-01T00:00:00Z',
    update_time: '2025-01-01T00:00:00Z',
    ...over,
  }) as Repository;
const task = (over: Partial<TaskRun>): TaskRun =>
  ({
    task_name: 't',
    status: 'done',
    start: '2025-01-01T10:00:00Z',
    end: '2025-01-01T10:01:00Z',
    type: 'BACKUP',
    ...over,
  }) as TaskRun;
const running = (name: string, progress: number): TaskRun =>
  task({
    task_name: name,
    status: 'running',
    end: '0001-01-01T00:00:00Z',
    node_runs: [{ node_id: 'n', status: 'running', start: '', end: '', progress }],
  });

describe('mirrorRepository', () => {
  it.each([
    {
      reason: 'active',
      obs: { state: 'active', repository: repo() },
      want: { state: 'Active', health: { healthy: true } },
    },
    {
      reason: 'paused lives under active',
      obs: { state: 'active', repository: repo({ state: 'paused' }) },
      want: { state: 'Paused' },
    },
    {
      reason: 'archived',
      obs: { state: 'archived', repository: repo({ state: 'archived' }) },
      want: { state: 'Archived' },
    },
    {
      reason: 'imported',
      obs: { state: 'imported', repository: repo({ state: 'imported', plan_name: '' }) },
      want: { state: 'Imported', planName: '' },
    },
    {
      reason: 'unhealthy with the server issue',
      obs: { state: 'active', repository: repo({ health: { healthy: false, health_issue: 'bucket gone' } }) },
      want: { health: { healthy: false, issue: 'bucket gone' } },
    },
  ] as { reason: string; obs: ObservedRepository; want: object }[])('$reason', ({ obs, want }) => {
    expect(mirrorRepository(obs)).toMatchObject(want);
  });

  it('sorts next runs by code units, whatever the locale (upper case first)', () => {
    const m = mirrorRepository({
      state: 'active',
      repository: repo({
        scheduled: {
          backup_hourly: { name: 'backup_hourly', task_type: 'BACKUP', next_run: '2025-01-01T11:00:00Z' },
          Merge_week: { name: 'Merge_week', task_type: 'MERGE', next_run: '2025-01-05T23:40:00Z' },
        },
      }),
    });
    expect(m.nextRuns?.map((n) => n.taskName)).toEqual(['Merge_week', 'backup_hourly']);
  });

  it('lists next runs and running tasks with progress, sorted', () => {
    const m = mirrorRepository({
      state: 'active',
      repository: repo({
        scheduled: {
          merge_week: { name: 'merge_week', task_type: 'MERGE', next_run: '2025-01-05T23:40:00Z' },
          backup_hourly: { name: 'backup_hourly', task_type: 'BACKUP', next_run: '2025-01-01T11:00:00Z' },
        },
        running_one_off: { 'BACKUP-1': running('BACKUP-1', 42.4) },
      }),
    });
    expect(m.nextRuns?.map((n) => n.taskName)).toEqual(['backup_hourly', 'merge_week']);
    expect(m.runningTasks).toEqual([
      {
        taskName: 'BACKUP-1',
        type: 'BACKUP',
        status: 'running',
        oneOff: true,
        startTime: '2025-01-01T10:00:00Z',
        progress: 42,
      },
    ]);
  });
});

describe('summarizeBackups', () => {
  const b = (date: string, type: string) => ({
    date,
    type,
    source: 'c',
    events: 0,
    fts_alias: 0,
    size: 1,
    buckets: [],
    complete: true,
    source_cluster_uuid: 'x',
  });
  it.each([
    {
      reason: 'empty',
      info: { name: 'u', size: 0, count: 0, backups: [] },
      want: { count: 0, totalSize: 0 },
    },
    {
      reason: 'latest full and incremental, oldest first',
      info: {
        name: 'u',
        size: 30,
        count: 3,
        backups: [
          b('2025-01-01T10_00_00Z', 'FULL'),
          b('2025-01-01T11_00_00Z', 'INCR'),
          b('2025-01-01T12_00_00.5+01_00', 'MERGE - FULL'),
        ],
      },
      want: {
        count: 3,
        totalSize: 30,
        oldest: { name: '2025-01-01T10_00_00Z', time: '2025-01-01T10:00:00Z' },
        latestFull: { name: '2025-01-01T12_00_00.5+01_00', time: '2025-01-01T12:00:00.5+01:00' },
        latestIncremental: { name: '2025-01-01T11_00_00Z' },
      },
    },
  ] as { reason: string; info: RepositoryInfo; want: object }[])('$reason', ({ info, want }) => {
    expect(summarizeBackups(info)).toMatchObject(want);
  });
  it('parses backup names as times', () => {
    expect(backupNameTime('2020-09-29T21_00_36.511305+01_00')).toBe('2020-09-29T21:00:36.511305+01:00');
    expect(backupNameTime('garbage')).toBeUndefined();
  });
});

describe('summarizeHistory', () => {
  it.each([
    {
      reason: 'empty history keeps previous',
      history: [],
      prev: { lastSuccessfulBackupTime: '2024-01-01T00:00:00Z' },
      want: { lastSuccessfulBackupTime: '2024-01-01T00:00:00Z' },
    },
    {
      reason: 'newest done backup and newest failure',
      history: [
        task({ task_name: 'm', type: 'MERGE', start: '2025-01-01T12:00:00Z' }),
        task({ task_name: 'f', status: 'failed', error: 'disk full', start: '2025-01-01T11:00:00Z' }),
        task({ task_name: 'b', start: '2025-01-01T10:00:00Z' }),
      ],
      prev: undefined,
      want: {
        lastSuccessfulBackupTime: '2025-01-01T10:00:00Z',
        lastFailure: { taskName: 'f', error: 'disk full', time: '2025-01-01T11:00:00Z' },
      },
    },
  ])('$reason', ({ history, prev, want }) => {
    expect(summarizeHistory(history, prev)).toMatchObject(want);
  });

  it('bounds recent tasks to 10 and reads the backup name from the transfer', () => {
    const history = Array.from({ length: 12 }, (_, i) =>
      task({
        task_name: `t${i}`,
        node_runs: [
          {
            node_id: 'n',
            status: 'done',
            start: '',
            end: '',
            progress: 100,
            stats: { transfers: [{ description: 'Backing up to 2025-01-01T10_00_00Z', progress: 100 }] },
          },
        ],
      } as Partial<TaskRun>),
    );
    const s = summarizeHistory(history, undefined);
    expect(s.recentTasks).toHaveLength(10);
    expect(s.recentTasks?.[0]).toMatchObject({ taskName: 't0', backupName: '2025-01-01T10_00_00Z' });
  });
});

describe('repositoryFingerprint', () => {
  const base: ObservedRepository = { state: 'active', repository: repo() };
  it.each([
    {
      reason: 'progress alone does not change it',
      a: { running_one_off: { x: running('x', 1) } },
      b: { running_one_off: { x: running('x', 90) } },
      same: true,
    },
    {
      reason: 'a task finishing changes it',
      a: { running_one_off: { x: running('x', 1) } },
      b: {},
      same: false,
    },
    {
      reason: 'a new next run changes it',
      a: { scheduled: { s: { name: 's', task_type: 'BACKUP', next_run: '2025-01-01T10:00:00Z' } } },
      b: { scheduled: { s: { name: 's', task_type: 'BACKUP', next_run: '2025-01-01T11:00:00Z' } } },
      same: false,
    },
    { reason: 'update_time is ignored', a: { update_time: 'a' }, b: { update_time: 'b' }, same: true },
  ] as { reason: string; a: Partial<Repository>; b: Partial<Repository>; same: boolean }[])(
    '$reason',
    ({ a, b, same }) => {
      const fa = repositoryFingerprint({ ...base, repository: repo(a) });
      const fb = repositoryFingerprint({ ...base, repository: repo(b) });
      expect(fa === fb).toBe(same);
    },
  );
});

describe('assembleStatus', () => {
  const previous = {
    state: 'Active' as const,
    nextRuns: [{ taskName: 'x', type: 'BACKUP' as const, time: '2025-01-01T10:00:00Z' }],
    backups: { count: 3, totalSize: 9 },
    lastSuccessfulBackupTime: '2025-01-01T09:00:00Z',
  };
  it('carries history fields when nothing was read, replaces mirror fields', () => {
    const s = assembleStatus({
      previous,
      id: 'r1',
      observed: { state: 'active', repository: repo({ state: 'paused' }) },
      triggers: {},
    });
    expect(s).toMatchObject({
      state: 'Paused',
      backups: { count: 3 },
      lastSuccessfulBackupTime: '2025-01-01T09:00:00Z',
    });
    expect(s.nextRuns).toBeUndefined();
    expect(s.triggers).toBeUndefined();
  });
  it('uses what was read', () => {
    const s = assembleStatus({
      previous,
      id: 'r1',
      observed: { state: 'active', repository: repo() },
      fetched: { history: [], info: { name: 'u', size: 0, count: 0, backups: [] } },
      triggers: { backup: { token: 'a', taskName: 'BACKUP-1' } },
    });
    expect(s.backups).toEqual({ count: 0, totalSize: 0 });
    expect(s.triggers?.backup?.taskName).toBe('BACKUP-1');
  });
  it('without an observation only names the id', () => {
    expect(
      assembleStatus({ previous: undefined, id: 'r1', observed: undefined, triggers: undefined }),
    ).toEqual({ repositoryId: 'r1' });
  });
});

describe('conditions', () => {
  const now = new Date('2025-01-01T00:00:00Z');
  const cond = (
    s: { conditions?: { type: string; status: string; reason: string }[] | undefined },
    type: string,
  ) => s.conditions?.find((c) => c.type === type);
  it.each([
    {
      reason: 'synced',
      decision: { kind: 'synced' as const },
      ready: 'True',
      synced: 'True',
      stalled: undefined,
    },
    {
      reason: 'drift',
      decision: { kind: 'drifted' as const, diff: ['state: x'] },
      ready: 'True',
      synced: 'False',
      stalled: undefined,
    },
    {
      reason: 'server rejection',
      decision: {
        kind: 'blocked' as const,
        state: 'Stalled' as const,
        reason: 'ServerRejected',
        message: 'no',
      },
      ready: 'False',
      synced: 'False',
      stalled: 'True',
    },
    {
      reason: 'waiting for the plan',
      decision: {
        kind: 'blocked' as const,
        state: 'Reconciling' as const,
        reason: 'PlanNotReady',
        message: 'wait',
      },
      ready: 'False',
      synced: 'False',
      stalled: undefined,
    },
  ])('$reason', ({ decision, ready, synced, stalled }) => {
    const data = { state: 'Active' as const, health: { healthy: false, issue: 'bucket gone' } };
    const s = withConditions(data, outcomeOf(decision, 'r1', data, 'Enforce', 'Manage', undefined), 3, now);
    expect(cond(s, 'Ready')?.status).toBe(ready);
    expect(cond(s, 'Synced')?.status).toBe(synced);
    expect(cond(s, 'Stalled')?.status).toBe(stalled);
    expect(cond(s, 'Healthy')).toMatchObject({ status: 'False', reason: 'Unhealthy' });
  });
  it('a rejected trigger makes Synced False but keeps Ready', () => {
    const data = { state: 'Active' as const };
    const s = withConditions(
      data,
      outcomeOf({ kind: 'synced' }, 'r1', data, 'Enforce', 'Manage', 'rejected'),
      1,
      now,
    );
    expect(cond(s, 'Ready')?.status).toBe('True');
    expect(cond(s, 'Synced')).toMatchObject({ status: 'False', reason: 'TriggerRejected' });
    expect(cond(s, 'Healthy')?.status).toBe('Unknown');
  });
});

describe('trigger waiting note', () => {
  const now = new Date('2025-01-01T00:00:00Z');
  const note = 'triggers.backup token t waits for the repository to be Active (it is Paused)';
  it.each([
    {
      reason: 'synced: Synced stays True, the message says the token waits',
      decision: { kind: 'synced' as const },
      status: 'True',
      reasonWant: 'Synced',
    },
    {
      reason: 'drifted: the drift message also says the token waits',
      decision: { kind: 'drifted' as const, diff: ['state: Paused, spec Active'] },
      status: 'False',
      reasonWant: 'Drifted',
    },
  ])('$reason', ({ decision, status, reasonWant }) => {
    const data = { state: 'Paused' as const };
    const s = withConditions(
      data,
      outcomeOf(decision, 'r1', data, 'Report', 'Manage', undefined, note),
      1,
      now,
    );
    const synced = s.conditions?.find((c) => c.type === 'Synced');
    expect(synced).toMatchObject({ status, reason: reasonWant });
    expect(synced?.message).toContain(note);
    expect(s.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });
  it('without a waiting token the Synced message is unchanged', () => {
    expect(outcomeOf({ kind: 'synced' }, 'r1', {}, 'Enforce', 'Manage', undefined).synced.message).toBe(
      'The repository matches the spec.',
    );
  });
});

describe('stallsAnew', () => {
  const stalled = (reason: string) => ({
    state: 'Stalled' as const,
    reason,
    message: 'm',
    synced: { status: 'False' as const, reason, message: 'm' },
  });
  const cond = (status: 'True' | 'False', reason: string) => [
    { type: 'Stalled', status, reason, message: 'm', lastTransitionTime: '2025-01-01T00:00:00Z' },
  ];
  it.each([
    { reason: 'first time stalled', previous: undefined, outcome: stalled('ServerRejected'), want: true },
    {
      reason: 'was not stalled',
      previous: cond('False', 'Available'),
      outcome: stalled('ServerRejected'),
      want: true,
    },
    {
      reason: 'still stalled for the same reason: no new Event',
      previous: cond('True', 'ServerRejected'),
      outcome: stalled('ServerRejected'),
      want: false,
    },
    {
      reason: 'stalled for another reason',
      previous: cond('True', 'ServerRejected'),
      outcome: stalled('AdoptionConflict'),
      want: true,
    },
    {
      reason: 'not stalled now',
      previous: cond('True', 'ServerRejected'),
      outcome: {
        state: 'Ready' as const,
        reason: 'Available',
        message: 'ok',
        synced: { status: 'True' as const, reason: 'Synced', message: 'ok' },
      },
      want: false,
    },
  ])('$reason', ({ previous, outcome, want }) => {
    expect(stallsAnew(previous, outcome)).toBe(want);
  });
});
