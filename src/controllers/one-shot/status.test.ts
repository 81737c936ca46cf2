import { describe, expect, it } from 'vitest';
import {
  isTerminal,
  nextPhase,
  ONE_SHOT_REASONS,
  type OneShotStatus,
  oneShotStatus,
  type Phase,
} from './status.ts';

const NOW = new Date('2026-01-01T10:00:00Z');

describe('nextPhase', () => {
  it.each<{ current: Phase | undefined; wanted: Phase; want: Phase; reason: string }>([
    { current: undefined, wanted: 'Pending', want: 'Pending', reason: 'first status' },
    { current: 'Pending', wanted: 'Running', want: 'Running', reason: 'forward' },
    { current: 'Running', wanted: 'Pending', want: 'Running', reason: 'never backwards' },
    { current: 'Running', wanted: 'Failed', want: 'Failed', reason: 'running can fail' },
    { current: 'Pending', wanted: 'Succeeded', want: 'Succeeded', reason: 'a task found already done' },
    { current: 'Succeeded', wanted: 'Failed', want: 'Succeeded', reason: 'terminal is final' },
    { current: 'Failed', wanted: 'Running', want: 'Failed', reason: 'terminal is final (failed)' },
  ])('$current + $wanted → $want ($reason)', ({ current, wanted, want }) => {
    expect(nextPhase(current, wanted)).toBe(want);
  });

  it('knows the terminal phases', () => {
    expect(
      [undefined, 'Pending', 'Running', 'Succeeded', 'Failed'].map((p) => isTerminal(p as Phase)),
    ).toEqual([false, false, false, true, true]);
  });
});

describe('oneShotStatus', () => {
  const cond = (s: OneShotStatus, type: string) => s.conditions?.find((c) => c.type === type);

  it('waiting: Pending, Reconciling, not Ready', () => {
    const s = oneShotStatus(
      undefined,
      { kind: 'waiting', reason: 'WaitingForService', message: 'm' },
      1,
      NOW,
    );
    expect(s.phase).toBe('Pending');
    expect(cond(s, 'Reconciling')?.status).toBe('True');
    expect(cond(s, 'Ready')?.status).toBe('False');
    expect(cond(s, 'Stalled')).toBeUndefined();
  });

  it('blocked: Pending and Stalled with the reason', () => {
    const s = oneShotStatus(
      { phase: 'Pending' },
      { kind: 'blocked', reason: ONE_SHOT_REASONS.triggerOutcomeUnknown, message: 'set the annotation' },
      1,
      NOW,
    );
    expect(s.phase).toBe('Pending');
    expect(cond(s, 'Stalled')).toMatchObject({
      status: 'True',
      reason: 'TriggerOutcomeUnknown',
      message: 'set the annotation',
    });
  });

  it('running keeps progress monotonic and keeps Running when asked to wait', () => {
    const s = oneShotStatus(
      { phase: 'Running', progress: 50 },
      { kind: 'running', progress: 20, message: 'm' },
      1,
      NOW,
    );
    expect(s.progress).toBe(50);
    const w = oneShotStatus(s, { kind: 'waiting', reason: 'WaitingForService', message: 'm' }, 1, NOW);
    expect(w.phase).toBe('Running');
  });

  it('succeeded: Ready=True, progress 100, completion time, fields pass through', () => {
    const s = oneShotStatus(
      { phase: 'Running', taskName: 'BACKUP-1', intent: { token: 't', sentAt: NOW.toISOString() } },
      {
        kind: 'succeeded',
        completionTime: '2026-01-01T10:05:00.000Z',
        startTime: '2026-01-01T10:00:01.000Z',
        message: 'ok',
      },
      1,
      NOW,
    );
    expect(s).toMatchObject({
      phase: 'Succeeded',
      progress: 100,
      taskName: 'BACKUP-1',
      completionTime: '2026-01-01T10:05:00.000Z',
      startTime: '2026-01-01T10:00:01.000Z',
    });
    expect(cond(s, 'Ready')?.status).toBe('True');
    expect(cond(s, 'Reconciling')).toBeUndefined();
  });

  it('failed: Stalled with the error; terminal status never changes again', () => {
    const s = oneShotStatus(
      { phase: 'Running' },
      {
        kind: 'failed',
        reason: 'TaskFailed',
        message: 'The task failed: disk full',
        error: 'disk full',
        completionTime: 'x',
      },
      1,
      NOW,
    );
    expect(s).toMatchObject({ phase: 'Failed', error: 'disk full' });
    expect(cond(s, 'Stalled')?.reason).toBe('TaskFailed');
    const again = oneShotStatus(s, { kind: 'succeeded', completionTime: 'y', message: 'ok' }, 1, NOW);
    expect(again).toEqual(s);
  });
});
