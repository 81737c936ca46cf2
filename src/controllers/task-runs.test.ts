import { describe, expect, it } from 'vitest';
import type { TaskRun } from '../backup-api/index.ts';
import {
  meanNodeProgress,
  producedBackupName,
  taskErrorText,
  taskOutcome,
  taskProgress,
  taskRunStatus,
  taskRunType,
  taskTime,
} from './task-runs.ts';

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

describe('meanNodeProgress', () => {
  it.each([
    { reason: 'no node runs: no progress, even when done', r: run({ status: 'done' }), want: undefined },
    { reason: 'mean of nodes, rounded', r: run({ node_runs: [node(42.4)] }), want: 42 },
    { reason: 'clamped below', r: run({ node_runs: [node(-5)] }), want: 0 },
  ])('$reason', ({ r, want }) => expect(meanNodeProgress(r)).toBe(want));
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
  it.each([
    { v: '0001-01-01T00:00:00Z', want: undefined, reason: 'Go zero time' },
    { v: 'nope', want: undefined, reason: 'garbage' },
    { v: '2026-01-01T01:00:00+01:00', want: '2026-01-01T01:00:00+01:00', reason: 'kept as sent' },
  ])('as sent: $reason', ({ v, want }) => expect(taskTime(v, 'as-sent')).toBe(want));
});

describe('taskRunType and taskRunStatus', () => {
  it.each([
    { v: 'MERGE', want: 'MERGE' },
    { v: 'COLLECT_LOGS', want: undefined },
  ])('type $v', ({ v, want }) => expect(taskRunType(v)).toBe(want));
  it.each([
    { v: 'running', want: 'running' },
    { v: 'paused', want: 'unknown' },
  ])('status $v', ({ v, want }) => expect(taskRunStatus(v)).toBe(want));
});

describe('taskErrorText', () => {
  it.each([
    { reason: 'own error as written', r: run({ error: ' disk full ' }), trim: false, want: ' disk full ' },
    { reason: 'own error trimmed', r: run({ error: ' disk full ' }), trim: true, want: 'disk full' },
    {
      reason: 'a blank own error gives way to the node error when trimmed',
      r: run({ error: ' ', node_runs: [node(3), node(3, { error: 'auth failed' })] }),
      trim: true,
      want: 'auth failed',
    },
    {
      reason: 'first node with an error',
      r: run({ node_runs: [node(3), node(3, { error: 'auth failed' })] }),
      trim: false,
      want: 'auth failed',
    },
    { reason: 'no error anywhere', r: run({ status: 'failed' }), trim: false, want: undefined },
  ])('$reason', ({ r, trim, want }) => expect(taskErrorText(r, { trim })).toBe(want));
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
