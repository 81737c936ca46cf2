import { describe, expect, it } from 'vitest';
import {
  nextIntentToken,
  RETRY_TOKEN_ANNOTATION,
  retryIntentToken,
  unusedRetryToken,
} from './retry-token.ts';

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

  it('a used value stays used for every re-send after its retry', () => {
    const annotations = { [RETRY_TOKEN_ANNOTATION]: 'try-2' };
    const resent = nextIntentToken(nextIntentToken(retryIntentToken('try-2')));
    expect(resent).not.toBe(retryIntentToken('try-2'));
    expect(resent.length).toBeLessThanOrEqual(64);
    expect(unusedRetryToken(annotations, resent)).toBeUndefined();
    expect(unusedRetryToken({ [RETRY_TOKEN_ANNOTATION]: 'try-3' }, resent)).toBe('try-3');
  });

  it('re-sends of an ordinary intent get fresh unrelated tokens', () => {
    const a = nextIntentToken(undefined);
    const b = nextIntentToken(a);
    expect(a).not.toBe(b);
    expect(b.startsWith('retry-')).toBe(false);
    expect(unusedRetryToken({ [RETRY_TOKEN_ANNOTATION]: 'v' }, b)).toBe('v');
  });
});
