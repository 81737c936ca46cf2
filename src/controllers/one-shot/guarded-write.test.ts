import { describe, expect, it } from 'vitest';
import { guardedStatusPatch } from './guarded-write.ts';

const obj = (status: object | undefined) => ({
  metadata: { name: 'r', namespace: 'n', generation: 1, resourceVersion: '42' },
  ...(status ? { status } : {}),
});

describe('guardedStatusPatch', () => {
  it.each([
    {
      reason: 'first intent carries the resourceVersion',
      current: undefined,
      desired: { phase: 'Pending', intent: { token: 't', sentAt: 's' } },
      want: {
        metadata: { resourceVersion: '42' },
        status: { phase: 'Pending', intent: { token: 't', sentAt: 's' }, observedGeneration: 1 },
      },
    },
    {
      reason: 'unchanged status writes nothing',
      current: { phase: 'Pending', observedGeneration: 1 },
      desired: { phase: 'Pending' },
      want: undefined,
    },
    {
      reason: 'a dropped intent becomes null',
      current: { phase: 'Pending', intent: { token: 't', sentAt: 's' }, observedGeneration: 1 },
      desired: { phase: 'Pending' },
      want: { metadata: { resourceVersion: '42' }, status: { intent: null } },
    },
  ])('$reason', ({ current, desired, want }) => {
    expect(guardedStatusPatch(obj(current), desired)).toEqual(want);
  });
});
