/**
 * next_run computation (docs/backup-service-api.md §6.3, testrunner's model) and merge windows (§6.4).
 * All calendar arithmetic is in UTC: the emulator's node runs with a UTC offset.
 */
import type { MergeOptions, Period, TaskSchedule } from './model.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

const WEEKDAY_INDEX: Partial<Record<Period, number>> = {
  SUNDAY: 0,
  MONDAY: 1,
  TUESDAY: 2,
  WEDNESDAY: 3,
  THURSDAY: 4,
  FRIDAY: 5,
  SATURDAY: 6,
};

function parseTime(time: string | undefined): { h: number; m: number } | undefined {
  if (time === undefined) return undefined;
  const [h, m] = time.split(':').map(Number);
  return h === undefined || m === undefined ? undefined : { h, m };
}

function atTimeOfDay(ms: number, t: { h: number; m: number }): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), t.h, t.m, 0, 0);
}

/**
 * The run after `from`:
 * - MINUTES/HOURS/DAYS/WEEKS: from + frequency × unit;
 * - weekday: the next such weekday (a full week ahead when `from` is that weekday), then
 *   frequency − 1 more weeks;
 * - HOURS with time: the minute of `time` within the computed hour (one hour later when that
 *   minute has passed); DAYS, WEEKS and weekdays with time: that time of day.
 * MINUTES ignores `time`.
 */
export function nextRun(schedule: Pick<TaskSchedule, 'frequency' | 'period' | 'time'>, from: Date): Date {
  const base = from.getTime();
  const f = schedule.frequency;
  const time = parseTime(schedule.time);
  const weekday = WEEKDAY_INDEX[schedule.period];
  if (weekday !== undefined) {
    const today = new Date(base).getUTCDay();
    const days = (weekday - today + 7) % 7 || 7;
    const target = base + days * DAY + (f - 1) * WEEK;
    return new Date(time === undefined ? target : atTimeOfDay(target, time));
  }
  switch (schedule.period) {
    case 'MINUTES':
      return new Date(base + f * MINUTE);
    case 'HOURS': {
      const target = base + f * HOUR;
      if (time === undefined) return new Date(target);
      const d = new Date(target);
      const computedMinute = d.getUTCMinutes() + d.getUTCSeconds() / 60 + d.getUTCMilliseconds() / MINUTE;
      const anchored = Date.UTC(
        d.getUTCFullYear(),
        d.getUTCMonth(),
        d.getUTCDate(),
        d.getUTCHours(),
        time.m,
        0,
        0,
      );
      return new Date(computedMinute > time.m ? anchored + HOUR : anchored);
    }
    case 'DAYS':
    case 'WEEKS': {
      const target = base + f * (schedule.period === 'DAYS' ? DAY : WEEK);
      return new Date(time === undefined ? target : atTimeOfDay(target, time));
    }
    default:
      throw new RangeError(`unknown period ${schedule.period}`);
  }
}

/**
 * The first run strictly after `now` on the sequence through `previous` (resume, §5.8: pause
 * 9:50 / resume 10:02 of an hourly task → 11:00).
 */
export function nextRunAfter(
  schedule: Pick<TaskSchedule, 'frequency' | 'period' | 'time'>,
  previous: Date,
  now: Date,
): Date {
  let run = previous;
  for (let i = 0; i < 100_000 && run.getTime() <= now.getTime(); i++) run = nextRun(schedule, run);
  return run.getTime() > now.getTime() ? run : nextRun(schedule, now);
}

/** Start of the UTC day containing `ms`. */
export function utcDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

/**
 * The merge window of a merge starting at `mergeTime` (§6.4): from the start of day
 * (today − offset_start − offset_end) to the end of day (today − offset_start), both days whole.
 */
export function mergeWindow(options: MergeOptions, mergeTime: Date): { from: number; to: number } {
  const today = utcDay(mergeTime.getTime());
  const lastDay = today - options.offset_start * DAY;
  const firstDay = lastDay - options.offset_end * DAY;
  return { from: firstDay, to: lastDay + DAY - 1 };
}

/** Parses a backup name (RFC 3339 with ':' → '_') into epoch ms; NaN when it is not one. */
export function backupNameTime(name: string): number {
  const [date, rest] = name.split('T');
  if (date === undefined || rest === undefined) return Number.NaN;
  return Date.parse(`${date}T${rest.replaceAll('_', ':')}`);
}
