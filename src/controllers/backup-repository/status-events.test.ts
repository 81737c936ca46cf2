import { describe, expect, it } from 'vitest';
import type { BackupRepositoryResource } from '../resources.ts';
import { newlyFinishedTasks, repositoryStatusEvents, STATUS_EVENTS } from './status-events.ts';

type Repo = BackupRepositoryResource;
type Status = NonNullable<Repo['status']>;
type Task = NonNullable<Status['recentTasks']>[number];
type Cond = NonNullable<Status['conditions']>[number];

const obj = (extra: Partial<Repo['spec']> = {}): Repo =>
  ({
    metadata: { name: 'daily', namespace: 'prod', creationTimestamp: '2026-12-01T00:00:00Z' },
    spec: { serviceRef: { name: 'cb' }, managementPolicy: 'Manage', ...extra },
  }) as unknown as Repo;
const task = (
  taskName: string,
  status: Task['status'],
  startTime: string,
  extra: Partial<Task> = {},
): Task => ({
  taskName,
  type: 'BACKUP',
  status,
  startTime,
  endTime: startTime.replace(':00Z', ':30Z'),
  ...extra,
});
const cond = (type: string, status: Cond['status'], reason: string, message = 'm'): Cond => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2026-12-01T00:00:00Z',
});
const summary = { count: 1, totalSize: 1 };

describe('newlyFinishedTasks', () => {
  it('returns the finished runs the persisted history did not show, oldest first (scheduled names repeat)', () => {
    const old = task('hourly', 'done', '2026-12-01T09:00:00Z');
    const before: Status = { backups: summary, recentTasks: [old] };
    const after: Status = {
      recentTasks: [
        task('hourly', 'failed', '2026-12-01T11:00:00Z'),
        task('BACKUP-1', 'done', '2026-12-01T10:00:00Z'),
        old,
      ],
    };
    expect(newlyFinishedTasks(before, after, '2026-12-01T00:00:00Z').map((t) => t.startTime)).toEqual([
      '2026-12-01T10:00:00Z',
      '2026-12-01T11:00:00Z',
    ]);
    // The same history again (a reconcile after an operator restart): nothing is news.
    expect(newlyFinishedTasks(after, after, '2026-12-01T00:00:00Z')).toEqual([]);
  });

  it('on the first history read leaves out tasks that ended before the object existed', () => {
    const after: Status = {
      recentTasks: [
        task('BACKUP-new', 'failed', '2026-12-01T10:00:00Z'),
        task('BACKUP-old', 'failed', '2026-11-01T10:00:00Z'),
      ],
    };
    expect(newlyFinishedTasks(undefined, after, '2026-12-01T09:00:00Z').map((t) => t.taskName)).toEqual([
      'BACKUP-new',
    ]);
    expect(newlyFinishedTasks({ backups: summary }, after, '2026-12-01T09:00:00Z')).toHaveLength(2);
  });
});

describe('repositoryStatusEvents', () => {
  it('records a Warning with the server error per failed task and a Normal per succeeded one, with stable reasons', () => {
    const after: Status = {
      recentTasks: [
        task('MERGE-1', 'done', '2026-12-01T11:00:00Z', { type: 'MERGE' }),
        task('hourly', 'failed', '2026-12-01T10:00:00Z', { error: 'disk on fire' }),
      ],
    };
    const events = repositoryStatusEvents(obj(), { backups: summary }, after, false);
    expect(events.map((e) => [e.type, e.reason])).toEqual([
      ['Warning', STATUS_EVENTS.backupFailed],
      ['Normal', STATUS_EVENTS.mergeSucceeded],
    ]);
    expect(events[0]?.note).toContain('disk on fire');
  });

  it('records RPOMissed on the flip to False and RPORestored on the flip back, nothing while it holds', () => {
    const met = { conditions: [cond('RPOMet', 'True', 'WithinObjective')] };
    const missed = { conditions: [cond('RPOMet', 'False', 'NoSuccessSince', 'missed at x')] };
    expect(repositoryStatusEvents(obj(), met, missed, false).map((e) => e.reason)).toEqual([
      STATUS_EVENTS.rpoMissed,
    ]);
    expect(repositoryStatusEvents(obj(), missed, missed, false)).toEqual([]);
    expect(repositoryStatusEvents(obj(), missed, met, false).map((e) => e.reason)).toEqual([
      STATUS_EVENTS.rpoRestored,
    ]);
    expect(repositoryStatusEvents(obj(), met, met, false)).toEqual([]);
  });

  it('records DriftDetected when Synced turns Drifted, once', () => {
    const synced = { conditions: [cond('Synced', 'True', 'Synced')] };
    const drifted = { conditions: [cond('Synced', 'False', 'Drifted', 'plan: server "a", spec "b"')] };
    const events = repositoryStatusEvents(obj(), synced, drifted, false);
    expect(events).toEqual([
      expect.objectContaining({ type: 'Warning', reason: STATUS_EVENTS.driftDetected }),
    ]);
    expect(repositoryStatusEvents(obj(), drifted, drifted, false)).toEqual([]);
  });

  it('records Adopted when a repository is first seen without being created here (not under Observe)', () => {
    const found: Status = { state: 'Active', repositoryId: 'daily', planName: '_daily_backups' };
    expect(repositoryStatusEvents(obj(), {}, found, false).map((e) => e.reason)).toEqual([
      STATUS_EVENTS.adopted,
    ]);
    expect(repositoryStatusEvents(obj(), {}, found, true)).toEqual([]);
    expect(repositoryStatusEvents(obj({ managementPolicy: 'Observe' }), {}, found, false)).toEqual([]);
    expect(repositoryStatusEvents(obj(), found, found, false)).toEqual([]);
  });
});
