import { describe, expect, it } from 'vitest';
import { createOneShotMemory } from './memory.ts';

describe('createOneShotMemory', () => {
  it('keeps what it learnt about one object', () => {
    const memory = createOneShotMemory();
    memory.of('ns/a', 'uid-1').missingSince = 5;
    expect(memory.of('ns/a', 'uid-1').missingSince).toBe(5);
  });

  it('a recreated object of the same name inherits nothing', () => {
    const memory = createOneShotMemory();
    const first = memory.of('ns/a', 'uid-1');
    first.failedTries = { tries: 3, firstAtMs: 0, token: 't', answered: true, retryAtMs: 0, last: '503' };
    first.missingSince = 7;
    expect(memory.of('ns/a', 'uid-2')).toEqual({});
  });

  it('forgets a key', () => {
    const memory = createOneShotMemory();
    memory.of('ns/a', 'uid-1').missingSince = 5;
    memory.forget('ns/a');
    expect(memory.of('ns/a', 'uid-1')).toEqual({});
  });
});
