import { describe, expect, it } from 'vitest';
import { parseJsonSequence } from './json-sequence.ts';

describe('parseJsonSequence', () => {
  it.each<[string, string, unknown[]]>([
    ['empty body', '', []],
    ['whitespace only', ' \n ', []],
    ['one object', '{"a":1}', [{ a: 1 }]],
    ['concatenated objects', '{"a":1}{"b":2}', [{ a: 1 }, { b: 2 }]],
    ['NDJSON with arrays', '[{"a":1}]\n[{"b":2}]\n', [[{ a: 1 }], [{ b: 2 }]]],
    ['braces and escaped quotes inside strings', '{"v":"}{\\"]"} {"w":"\\\\"}', [{ v: '}{"]' }, { w: '\\' }]],
    ['top-level scalars', '1 "x" true null', [1, 'x', true, null]],
    ['scalar then object', '12{"a":1}', [12, { a: 1 }]],
  ])('%s', (_reason, text, expected) => {
    expect(parseJsonSequence(text)).toEqual(expected);
  });

  it.each([
    ['truncated object', '{"a":1'],
    ['unbalanced close', '{"a":1}}'],
    ['garbage', '{"a":nope}'],
  ])('rejects %s', (_reason, text) => {
    expect(() => parseJsonSequence(text)).toThrow(SyntaxError);
  });
});
