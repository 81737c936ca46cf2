import { describe, expect, it } from 'vitest';
import { secretValue } from './secret-values.ts';

describe('secretValue', () => {
  const secret = {
    data: {
      user: Buffer.from('Administrator').toString('base64'),
      both: Buffer.from('from data').toString('base64'),
    },
    stringData: { plain: 'p@ss', both: 'from stringData' },
  };
  it.each([
    { reason: 'base64 data is decoded', key: 'user', want: 'Administrator' },
    { reason: 'stringData when data lacks the key', key: 'plain', want: 'p@ss' },
    { reason: 'data wins over stringData', key: 'both', want: 'from data' },
    { reason: 'absent key', key: 'nope', want: undefined },
  ])('$reason', ({ key, want }) => expect(secretValue(secret, key)).toBe(want));
});
