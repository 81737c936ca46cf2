import { describe, expect, it } from 'vitest';
import type { TaskRun } from '../../backup-api/index.ts';
import {
  CLOCK_SKEW_MARGIN_MS,
  DELIVERY_GRACE_MS,
  decideAdoption,
  findCandidates,
  HISTORY_TRUST_MS,
} from './adoption.ts';

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

describe('decideAdoption', () => {
  it.each([
    {
      reason: 'one candidate is ours at once',
      candidates: ['A'],
      now: T0 + 1,
      want: { kind: 'adopt', taskName: 'A' },
    },
    {
      reason: 'one candidate long after is still ours',
      candidates: ['A'],
      now: T0 + HISTORY_TRUST_MS * 2,
      want: { kind: 'adopt', taskName: 'A' },
    },
    {
      reason: 'nothing yet inside the grace: wait',
      candidates: [],
      now: T0 + 1,
      want: { kind: 'wait', untilMs: T0 + DELIVERY_GRACE_MS },
    },
    {
      reason: 'several inside the grace: wait',
      candidates: ['A', 'B'],
      now: T0 + 1,
      want: { kind: 'wait', untilMs: T0 + DELIVERY_GRACE_MS },
    },
    {
      reason: 'nothing after the grace: never delivered',
      candidates: [],
      now: T0 + DELIVERY_GRACE_MS,
      want: { kind: 'resend' },
    },
    {
      reason: 'several after the grace: ambiguous',
      candidates: ['A', 'B'],
      now: T0 + DELIVERY_GRACE_MS,
      want: { kind: 'unknown', why: 'several-candidates', candidates: ['A', 'B'] },
    },
    {
      reason: 'nothing but the history may have rotated',
      candidates: [],
      now: T0 + HISTORY_TRUST_MS + 1,
      want: { kind: 'unknown', why: 'history-too-old', candidates: [] },
    },
  ])('$reason', ({ candidates, now, want }) => {
    expect(decideAdoption({ candidates, sentAtMs: T0, nowMs: now })).toEqual(want);
  });
});
