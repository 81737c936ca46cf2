import { describe, expect, it } from 'vitest';
import {
  type Condition,
  conditionSchema,
  findCondition,
  isConditionTrue,
  KStatusState,
  metaTime,
  removeCondition,
  setCondition,
  setKStatus,
} from './conditions.ts';

const t0 = new Date('2026-01-01T00:00:00.123Z');
const t1 = new Date('2026-01-01T00:05:00.999Z');
const ready = (status: Condition['status'], at: string, extra: Partial<Condition> = {}): Condition => ({
  type: 'Ready',
  status,
  reason: 'Available',
  message: 'ok',
  observedGeneration: 1,
  lastTransitionTime: at,
  ...extra,
});

describe('setCondition', () => {
  it.each([
    {
      reason: 'a new condition gets now as lastTransitionTime',
      list: [] as Condition[],
      cond: { type: 'Ready', status: 'True', reason: 'Available', message: 'ok', observedGeneration: 1 },
      want: [ready('True', '2026-01-01T00:05:00Z')],
    },
    {
      reason: 'same status keeps lastTransitionTime but updates reason, message and generation',
      list: [ready('True', '2026-01-01T00:00:00Z')],
      cond: { type: 'Ready', status: 'True', reason: 'StillFine', message: 'new', observedGeneration: 2 },
      want: [
        ready('True', '2026-01-01T00:00:00Z', { reason: 'StillFine', message: 'new', observedGeneration: 2 }),
      ],
    },
    {
      reason: 'a status flip moves lastTransitionTime',
      list: [ready('True', '2026-01-01T00:00:00Z')],
      cond: { type: 'Ready', status: 'False', reason: 'Unavailable', message: 'down', observedGeneration: 1 },
      want: [ready('False', '2026-01-01T00:05:00Z', { reason: 'Unavailable', message: 'down' })],
    },
    {
      reason: 'other conditions are kept in order',
      list: [{ ...ready('True', 'x'), type: 'Synced' }, ready('False', '2026-01-01T00:00:00Z')],
      cond: { type: 'Ready', status: 'False', reason: 'Available', message: 'ok', observedGeneration: 1 },
      want: [{ ...ready('True', 'x'), type: 'Synced' }, ready('False', '2026-01-01T00:00:00Z')],
    },
  ] as Array<{
    reason: string;
    list: Condition[];
    cond: Omit<Condition, 'lastTransitionTime'>;
    want: Condition[];
  }>)('$reason', ({ list, cond, want }) => {
    const before = structuredClone(list);
    expect(setCondition(list, cond, t1)).toEqual(want);
    expect(list).toEqual(before);
  });

  it('formats metav1.Time with whole seconds', () => {
    expect(metaTime(t0)).toBe('2026-01-01T00:00:00Z');
  });

  it('produces conditions the apiserver schema accepts', () => {
    const [c] = setCondition(
      undefined,
      { type: 'Ready', status: 'True', reason: 'Available', message: '' },
      t0,
    );
    expect(conditionSchema.safeParse(c).success).toBe(true);
    expect(conditionSchema.safeParse({ ...c, reason: 'has space' }).success).toBe(false);
  });

  it('find, isTrue and remove', () => {
    const list = [ready('True', 'a'), { ...ready('False', 'b'), type: 'Synced' }];
    expect(findCondition(list, 'Synced')?.status).toBe('False');
    expect(isConditionTrue(list, 'Ready')).toBe(true);
    expect(isConditionTrue(list, 'Synced')).toBe(false);
    expect(isConditionTrue(undefined, 'Ready')).toBe(false);
    expect(removeCondition(list, 'Ready').map((c) => c.type)).toEqual(['Synced']);
  });
});

describe('setKStatus', () => {
  it.each([
    { state: KStatusState.Ready, want: { Ready: 'True' } },
    { state: KStatusState.Reconciling, want: { Ready: 'False', Reconciling: 'True' } },
    { state: KStatusState.Stalled, want: { Ready: 'False', Stalled: 'True' } },
  ])('$state sets exactly its conditions', ({ state, want }) => {
    const start = setKStatus(
      [],
      { state: KStatusState.Stalled, reason: 'R', message: '', observedGeneration: 1 },
      t0,
    );
    const withReconciling = setKStatus(
      start,
      { state: KStatusState.Reconciling, reason: 'R', message: '', observedGeneration: 1 },
      t0,
    );
    const got = setKStatus(
      withReconciling,
      { state, reason: 'Why', message: 'm', observedGeneration: 3 },
      t1,
    );
    expect(Object.fromEntries(got.map((c) => [c.type, c.status]))).toEqual(want);
    expect(got.every((c) => c.observedGeneration === 3)).toBe(true);
  });
});
