import { describe, expect, it } from 'vitest';
import type { RepositoryInfo, TaskRun } from '../../backup-api/index.ts';
import { countTaskOutcomes, lastSuccessfulBackupOf } from './task-outcomes.ts';

const task = (name: string, type: string, status: string, extra: Partial<TaskRun> = {}): TaskRun =>
  ({
    task_name: name,
    type,
    status,
    start: '2026-12-01T10:00:00Z',
    end: '2026-12-01T10:01:30Z',
    ...extra,
  }) as TaskRun;
const recent = (name: string, status: 'done' | 'failed' | 'running', startTime = '2026-12-01T10:00:00Z') =>
  ({ taskName: name, type: 'BACKUP', status, startTime }) as const;

describe('countTaskOutcomes', () => {
  it('counts every finished task of the first page', () => {
    const history = [
      task('b2', 'BACKUP', 'failed'),
      task('m1', 'MERGE', 'done'),
      task('b1', 'BACKUP', 'done'),
    ];
    expect(countTaskOutcomes(history, undefined)).toEqual([
      { type: 'BACKUP', result: 'failed', count: 1 },
      { type: 'BACKUP', result: 'succeeded', count: 1 },
      { type: 'MERGE', result: 'succeeded', count: 1 },
    ]);
  });

  it('counts each run of a scheduled task, whose runs all carry the plan task name', () => {
    const history = [
      task('hourly', 'BACKUP', 'failed', { start: '2026-12-01T12:00:00Z' }),
      task('hourly', 'BACKUP', 'done', { start: '2026-12-01T11:00:00Z' }),
      task('hourly', 'BACKUP', 'done', { start: '2026-12-01T10:00:00Z' }),
    ];
    const previous = {
      recentTasks: [recent('hourly', 'done', '2026-12-01T10:00:00Z')],
      taskOutcomes: [{ type: 'BACKUP', result: 'succeeded', count: 1 }] as const,
    };
    expect(
      countTaskOutcomes(history, {
        recentTasks: [...previous.recentTasks],
        taskOutcomes: [...previous.taskOutcomes],
      }),
    ).toEqual([
      { type: 'BACKUP', result: 'failed', count: 1 },
      { type: 'BACKUP', result: 'succeeded', count: 2 },
    ]);
  });

  it('never counts a task of the previous page again (restart, new leader, same history)', () => {
    const history = [task('b2', 'BACKUP', 'done'), task('b1', 'BACKUP', 'done')];
    const previous = {
      recentTasks: [recent('b2', 'done'), recent('b1', 'done')],
      taskOutcomes: [{ type: 'BACKUP', result: 'succeeded', count: 5 }] as const,
    };
    const again = countTaskOutcomes(history, {
      recentTasks: [...previous.recentTasks],
      taskOutcomes: [...previous.taskOutcomes],
    });
    expect(again).toEqual([{ type: 'BACKUP', result: 'succeeded', count: 5 }]);
  });

  it('adds only what finished since, including a task the last page showed unfinished', () => {
    const history = [
      task('b3', 'BACKUP', 'failed'),
      task('b2', 'BACKUP', 'done'),
      task('b1', 'BACKUP', 'done'),
    ];
    const previous = {
      recentTasks: [recent('b2', 'running'), recent('b1', 'done')],
      taskOutcomes: [{ type: 'BACKUP' as const, result: 'succeeded' as const, count: 1 }],
    };
    expect(countTaskOutcomes(history, previous)).toEqual([
      { type: 'BACKUP', result: 'failed', count: 1 },
      { type: 'BACKUP', result: 'succeeded', count: 2 },
    ]);
  });

  it('leaves out unknown task types and unfinished tasks', () => {
    const history = [
      task('x', 'COMPACT', 'done'),
      task('r', 'RESTORE', 'running'),
      task('p', 'PRUNE', 'skipped'),
    ];
    expect(countTaskOutcomes(history, undefined)).toEqual([{ type: 'PRUNE', result: 'skipped', count: 1 }]);
  });
});

describe('lastSuccessfulBackupOf', () => {
  const name = '2026-12-01T10_00_05.123Z';
  const info = { name: 'r', size: 10, backups: [{ date: name, size: 2048.4 }] } as unknown as RepositoryInfo;
  const produced = {
    node_runs: [{ stats: { transfers: [{ description: `Backing up to ${name}` }] } }],
  } as unknown as Partial<TaskRun>;

  it('takes duration from the task and size from the backup it produced', () => {
    const history = [task('b2', 'BACKUP', 'failed'), task('b1', 'BACKUP', 'done', produced)];
    expect(lastSuccessfulBackupOf(history, info, undefined)).toEqual({
      taskName: 'b1',
      durationSeconds: 90,
      size: 2048,
    });
  });

  it('keeps the previous value when the page holds no successful backup', () => {
    const previous = { taskName: 'old', durationSeconds: 3 };
    expect(lastSuccessfulBackupOf([task('m', 'MERGE', 'done')], info, previous)).toBe(previous);
  });

  it('keeps the size of the same task after a merge folded its backup away', () => {
    const previous = { taskName: 'b1', durationSeconds: 90, size: 2048 };
    const merged = { ...info, backups: [] } as unknown as RepositoryInfo;
    expect(lastSuccessfulBackupOf([task('b1', 'BACKUP', 'done', produced)], merged, previous)).toEqual(
      previous,
    );
  });
});
