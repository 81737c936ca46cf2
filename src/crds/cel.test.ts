import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { immutableField, immutableRequiredField, withRules } from './cel.ts';

describe('withRules', () => {
  const schema = withRules(z.object({ a: z.number(), b: z.number() }).describe('pair'), [
    { rule: 'self.a < self.b', message: 'a must be below b', check: (v) => v.a < v.b },
    { rule: 'self == oldSelf', message: 'immutable' },
  ]);

  it('emits every rule once in x-kubernetes-validations and keeps the description', () => {
    const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as Record<string, unknown>;
    expect(json['x-kubernetes-validations']).toEqual([
      { rule: 'self.a < self.b', message: 'a must be below b' },
      { rule: 'self == oldSelf', message: 'immutable' },
    ]);
    expect(json.description).toBe('pair');
  });

  it('mirrors checked rules in parsing and skips transition rules', () => {
    expect(schema.safeParse({ a: 1, b: 2 }).success).toBe(true);
    const bad = schema.safeParse({ a: 2, b: 1 });
    expect(bad.error?.issues.map((i) => i.message)).toEqual(['a must be below b']);
  });
});

describe('immutability rules', () => {
  it('covers adding, removing and changing an optional field, naming escaped fields plainly', () => {
    expect(immutableField('__import__')).toEqual({
      rule: 'has(self.__import__) == has(oldSelf.__import__) && (!has(self.__import__) || self.__import__ == oldSelf.__import__)',
      message: 'import is immutable',
      fieldPath: '.import',
    });
  });

  it('compares a required field directly', () => {
    expect(immutableRequiredField('storage')).toEqual({
      rule: 'self.storage == oldSelf.storage',
      message: 'storage is immutable',
      fieldPath: '.storage',
    });
  });
});
