import { describe, expect, it } from 'vitest';
import { age, bytes, compactJson, shortDuration, taskDuration, truncate } from './format.ts';

describe('format', () => {
  const now = new Date('2026-12-01T12:00:00Z');

  it('prints ages the way kubectl does', () => {
    expect(age('2026-12-01T11:59:15Z', now)).toBe('45s');
    expect(age('2026-12-01T11:55:50Z', now)).toBe('4m10s');
    expect(age('2026-12-01T11:00:00Z', now)).toBe('1h');
    expect(age('2026-11-28T12:00:00Z', now)).toBe('3d');
    expect(age(undefined, now)).toBe('-');
    expect(age('0001-01-01T00:00:00Z', now)).toBe('-');
    expect(shortDuration(-90 * 60_000)).toBe('in 1h');
  });

  it('gives a task duration, or - while it runs (Go zero end time)', () => {
    expect(taskDuration('2026-12-01T10:00:00Z', '2026-12-01T10:00:12.5Z')).toBe('12s');
    expect(taskDuration('2026-12-01T10:00:00Z', '0001-01-01T00:00:00Z')).toBe('-');
    expect(taskDuration('2026-12-01T10:00:00Z', '2026-12-01T10:00:00.086Z')).toBe('86ms');
  });

  it('prints binary sizes', () => {
    expect(bytes(512)).toBe('512B');
    expect(bytes(1536)).toBe('1.5KiB');
    expect(bytes(85_000)).toBe('83KiB');
    expect(bytes(20 * 1024 * 1024)).toBe('20MiB');
    expect(bytes(undefined)).toBe('-');
  });

  it('truncates cell text on one line', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('a\n  b', 10)).toBe('a b');
    expect(truncate('abcdefghijk', 5)).toBe('abcd…');
    expect(compactJson({ a: 1 })).toBe('{"a":1}');
    expect(compactJson(undefined)).toBe('-');
  });
});
