import { describe, expect, it } from 'vitest';
import { RETRY_TOKEN_ANNOTATION, retryIntentToken, unusedRetryToken } from './retry-token.ts';

describe('retry tokens', () => {
  it.each([
    { reason: 'no annotation', annotations: undefined, intent: 'abc', want: undefined },
    { reason: 'empty value', annotations: { [RETRY_TOKEN_ANNOTATION]: ' ' }, intent: 'abc', want: undefined },
    {
      reason: 'fresh value',
      annotations: { [RETRY_TOKEN_ANNOTATION]: 'try-2' },
      intent: 'abc',
      want: 'try-2',
    },
    {
      reason: 'value already used for the current intent',
      annotations: { [RETRY_TOKEN_ANNOTATION]: 'try-2' },
      intent: retryIntentToken('try-2'),
      want: undefined,
    },
    {
      reason: 'a newer value after a used one',
      annotations: { [RETRY_TOKEN_ANNOTATION]: 'try-3' },
      intent: retryIntentToken('try-2'),
      want: 'try-3',
    },
  ])('$reason', ({ annotations, intent, want }) => {
    expect(unusedRetryToken(annotations, intent)).toBe(want);
  });

  it('derives short, distinct intent tokens', () => {
    const a = retryIntentToken('x'.repeat(500));
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).not.toBe(retryIntentToken('y'));
  });
});
