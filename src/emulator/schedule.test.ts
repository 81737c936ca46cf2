// § sections cited here are those of docs/backup-service-api.md.
import { describe, expect, it } from 'vitest';
import { backupNameTime, mergeWindow, nextRun, nextRunAfter } from './schedule.ts';

const at = (s: string) => new Date(s);

describe('nextRun (§6.3)', () => {
  it.each([
    [
      'MINUTES adds minutes',
      { frequency: 30, period: 'MINUTES' },
      '2025-01-01T12:03:00Z',
      '2025-01-01T12:33:00.000Z',
    ],
    [
      'HOURS adds hours',
      { frequency: 10, period: 'HOURS' },
      '2025-01-01T12:03:00Z',
      '2025-01-01T22:03:00.000Z',
    ],
    [
      'HOURS with time keeps the minute',
      { frequency: 1, period: 'HOURS', time: '00:15' },
      '2025-01-01T12:03:00Z',
      '2025-01-01T13:15:00.000Z',
    ],
    [
      'HOURS with a passed minute adds an hour',
      { frequency: 1, period: 'HOURS', time: '00:15' },
      '2025-01-01T12:30:00Z',
      '2025-01-01T14:15:00.000Z',
    ],
    [
      'DAYS with time',
      { frequency: 1, period: 'DAYS', time: '01:00' },
      '2025-01-01T12:03:00Z',
      '2025-01-02T01:00:00.000Z',
    ],
    [
      'DAYS without time',
      { frequency: 3, period: 'DAYS' },
      '2025-01-01T12:03:00Z',
      '2025-01-04T12:03:00.000Z',
    ],
    [
      'WEEKS with time',
      { frequency: 2, period: 'WEEKS', time: '06:00' },
      '2025-01-01T12:03:00Z',
      '2025-01-15T06:00:00.000Z',
    ],
    [
      'weekday ahead (Wed → Sun)',
      { frequency: 1, period: 'SUNDAY', time: '23:40' },
      '2025-01-01T12:03:00Z',
      '2025-01-05T23:40:00.000Z',
    ],
    [
      'same weekday jumps a full week',
      { frequency: 1, period: 'WEDNESDAY', time: '23:00' },
      '2025-01-01T12:03:00Z',
      '2025-01-08T23:00:00.000Z',
    ],
    [
      'weekday with frequency 2',
      { frequency: 2, period: 'MONDAY', time: '01:00' },
      '2025-01-01T12:03:00Z',
      '2025-01-13T01:00:00.000Z',
    ],
  ] as const)('%s', (_r, schedule, from, expected) => {
    expect(nextRun(schedule, at(from)).toISOString()).toBe(expected);
  });

  it('nextRunAfter keeps the sequence: pause 9:50, resume 10:02 → 11:00', () => {
    const s = { frequency: 1, period: 'HOURS' as const, time: '00:00' };
    expect(nextRunAfter(s, at('2025-01-01T10:00:00Z'), at('2025-01-01T10:02:00Z')).toISOString()).toBe(
      '2025-01-01T11:00:00.000Z',
    );
    expect(nextRunAfter(s, at('2025-01-01T10:00:00Z'), at('2025-01-01T09:58:00Z')).toISOString()).toBe(
      '2025-01-01T10:00:00.000Z',
    );
  });
});

describe('mergeWindow (§6.4)', () => {
  it('start 4, end 3 covers 4 to 7 days ago, whole days', () => {
    const w = mergeWindow({ offset_start: 4, offset_end: 3 }, at('2025-01-10T06:00:00Z'));
    expect(new Date(w.from).toISOString()).toBe('2025-01-03T00:00:00.000Z');
    expect(new Date(w.to).toISOString()).toBe('2025-01-06T23:59:59.999Z');
  });

  it('testrunner case: 5 daily backups at 02:00, merge (1,2) at 06:00 on day 5 merges days 2..4', () => {
    const w = mergeWindow({ offset_start: 1, offset_end: 2 }, at('2025-01-05T06:00:00Z'));
    const days = [1, 2, 3, 4, 5].map((d) => Date.parse(`2025-01-0${d}T02:00:00Z`));
    expect(days.map((d) => d >= w.from && d <= w.to)).toEqual([false, true, true, true, false]);
  });

  it('parses backup names', () => {
    expect(backupNameTime('2025-01-01T12_04_00.25Z')).toBe(Date.parse('2025-01-01T12:04:00.25Z'));
    expect(backupNameTime('2020-09-29T21_00_36.511305+01_00')).toBe(
      Date.parse('2020-09-29T21:00:36.511305+01:00'),
    );
    expect(backupNameTime('garbage')).toBeNaN();
  });
});
