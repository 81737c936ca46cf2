import { describe, expect, it } from 'vitest';
import type { TaskRun } from '../../backup-api/index.ts';
import { hasVanished, producedBackupName, taskOutcome, taskProgress, taskTime } from './task-result.ts';

const node = (progress: number, extra: Record<string, unknown> = {}) => ({
  node_id: 'n',
  status: 'running',
  start: '2026-01-01T00:00:00Z',
  end: '0001-01-01T00:00:00Z',
  progress,
  ...extra,
});
const run = (extra: Partial<TaskRun>): TaskRun => ({
  task_name: 'BACKUP-1',
  status: 'running',
  start: '2026-01-01T00:00:00Z',
  end: '0001-01-01T00:00:00Z',
  type: 'BACKUP',
  ...extra,
});

describe('taskProgress', () => {
  it.each([
    { reason: 'no node runs while running', r: run({}), want: 0 },
    { reason: 'no node runs when done', r: run({ status: 'done' }), want: 100 },
    { reason: 'mean of nodes, rounded', r: run({ node_runs: [node(10), node(25)] }), want: 18 },
    { reason: 'clamped', r: run({ node_runs: [node(250)] }), want: 100 },
  ])('$reason', ({ r, want }) => expect(taskProgress(r)).toBe(want));
});

describe('producedBackupName', () => {
  const withDescription = (description: string) =>
    run({ node_runs: [node(100, { stats: { transfers: [{ description }] } })] });
  it.each([
    {
      reason: 'backup',
      r: withDescription('Backing up to 2020-09-29T13_10_58.191631+01_00'),
      want: '2020-09-29T13_10_58.191631+01_00',
    },
    {
      reason: 'merge',
      r: withDescription('Merging to 2026-01-01T00_00_00.5Z'),
      want: '2026-01-01T00_00_00.5Z',
    },
    { reason: 'no name in text', r: withDescription('Restoring'), want: undefined },
    { reason: 'no stats', r: run({}), want: undefined },
  ])('$reason', ({ r, want }) => expect(producedBackupName(r)).toBe(want));
});

describe('taskTime', () => {
  it.each([
    { v: '0001-01-01T00:00:00Z', want: undefined, reason: 'Go zero time' },
    { v: undefined, want: undefined, reason: 'absent' },
    { v: 'nope', want: undefined, reason: 'garbage' },
    { v: '2026-01-01T01:00:00+01:00', want: '2026-01-01T00:00:00.000Z', reason: 'normalised to UTC' },
  ])('$reason', ({ v, want }) => expect(taskTime(v)).toBe(want));
});

describe('taskOutcome', () => {
  it.each([
    { reason: 'done', r: run({ status: 'done' }), want: { kind: 'succeeded' } },
    {
      reason: 'failed with the task error',
      r: run({ status: 'failed', error: 'disk full' }),
      want: { kind: 'failed', error: 'disk full' },
    },
    {
      reason: 'failed with the node error',
      r: run({ status: 'failed', node_runs: [node(3, { error: 'auth failed' })] }),
      want: { kind: 'failed', error: 'auth failed' },
    },
    {
      reason: 'skipped is a failure with a generic message',
      r: run({ status: 'skipped' }),
      want: { kind: 'failed', error: 'the task ended with status "skipped" and no error message' },
    },
  ])('$reason', ({ r, want }) => expect(taskOutcome(r)).toEqual(want));
});

describe('hasVanished', () => {
  it.each([
    { reason: 'just missed', since: 1_000, now: 1_000, want: false },
    { reason: 'inside the limit', since: 1_000, now: 30_999, want: false },
    { reason: 'at the limit', since: 1_000, now: 31_000, want: true },
  ])('$reason', ({ since, now, want }) => expect(hasVanished(since, now, 30_000)).toBe(want));
});
