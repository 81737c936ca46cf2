import { describe, expect, it } from 'vitest';
import { formatDurationMs, parseDurationMs } from './duration.ts';

describe('parseDurationMs', () => {
  it.each([
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['2h0m1s', 7_201_000],
  ])('%s', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', '30', 's', '1d', '-1s', '1 s'])('rejects %j', (text) => {
    expect(() => parseDurationMs(text)).toThrow(/invalid duration/);
  });
});

describe('formatDurationMs', () => {
  it.each([
    [30_000, '30s'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [1_500, '1500ms'],
    [0, '0s'],
  ])('%d ms is %s and parses back', (ms, text) => {
    expect(formatDurationMs(ms)).toBe(text);
    expect(parseDurationMs(text)).toBe(ms);
  });
});
