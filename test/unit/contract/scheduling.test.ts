import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupClient, PlanBody } from '../../../src/backup-api/index.ts';
import { startTestEmulator, type TestEmulator } from '../../harness/emulator.ts';
import { clientFor, type EmulatorControl, emulatorControl } from './contract-support.ts';

// A week of scheduled tasks, driven by the emulator's manual clock and observed only through the
// client. The service-level twin is src/emulator/scheduling.test.ts; this one checks the client path.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.parse('2025-01-06T08:20:00Z'); // a Monday
const END = START + 7 * DAY;
const REPO = 'weekly-repo';

const plan: PlanBody = {
  tasks: [
    { name: 'hourly', task_type: 'BACKUP', schedule: { job_type: 'BACKUP', frequency: 1, period: 'HOURS' } },
    {
      name: 'daily_full',
      task_type: 'BACKUP',
      full_backup: true,
      schedule: { job_type: 'BACKUP', frequency: 1, period: 'DAYS', time: '00:05' },
    },
    {
      name: 'weekly_merge',
      task_type: 'MERGE',
      merge_options: { offset_start: 0, offset_end: 2 },
      schedule: { job_type: 'MERGE', frequency: 1, period: 'SATURDAY', time: '12:00' },
    },
  ],
};

type Task = 'hourly' | 'daily_full' | 'weekly_merge';

/**
 * The rules of docs/backup-service-api.md applied to this plan, independently of the emulator: §6.3 next_run
 * (HOURS without time: now + 1 h; DAYS at a time: next day at that time; weekday: the next such day),
 * §2.4 (the first backup of a repository is FULL), §6.4 (the merge window covers whole days from
 * offset_start back through offset_end more days and becomes one backup, MERGE - FULL when the
 * window starts with a full backup).
 */
function predict(): { types: string[]; runs: Record<Task, number> } {
  const events: Array<{ at: number; task: Task }> = [];
  for (let at = START + HOUR; at <= END; at += HOUR) events.push({ at, task: 'hourly' });
  const startDay = Math.floor(START / DAY) * DAY;
  for (let day = startDay + DAY; day <= END; day += DAY) {
    if (day + 5 * MINUTE <= END) events.push({ at: day + 5 * MINUTE, task: 'daily_full' });
    if (new Date(day).getUTCDay() === 6 && day + 12 * HOUR <= END)
      events.push({ at: day + 12 * HOUR, task: 'weekly_merge' });
  }
  events.sort((a, b) => a.at - b.at);
  let backups: Array<{ at: number; type: string }> = [];
  const runs: Record<Task, number> = { hourly: 0, daily_full: 0, weekly_merge: 0 };
  for (const { at, task } of events) {
    runs[task]++;
    if (task !== 'weekly_merge') {
      backups.push({ at, type: task === 'daily_full' || backups.length === 0 ? 'FULL' : 'INCR' });
      continue;
    }
    const from = Math.floor(at / DAY) * DAY - 2 * DAY;
    const to = Math.floor(at / DAY) * DAY + DAY;
    const inside = backups.filter((b) => b.at >= from && b.at < to);
    if (inside.length < 2) continue;
    const merged = {
      at: inside[0]?.at ?? 0,
      type: inside[0]?.type === 'FULL' ? 'MERGE - FULL' : 'MERGE - INCR',
    };
    backups = [...backups.filter((b) => b.at < from), merged, ...backups.filter((b) => b.at >= to)];
  }
  return { types: backups.map((b) => b.type), runs };
}

let t: TestEmulator;
let client: BackupClient;
let emu: EmulatorControl;

beforeAll(async () => {
  t = await startTestEmulator({ clock: { mode: 'manual', start: START } });
  client = clientFor(t.emulator.url);
  emu = emulatorControl(t.emulator.url);
  await emu.createBucket('b');
  await emu.putDoc('b', '_default', '_default', 'k', { n: 0 });
  await client.createPlan('week', plan);
  await client.createRepository(REPO, { plan: 'week', archive: t.archiveDir, bucket_name: 'b' });
});
afterAll(async () => {
  await client.close();
  await t.close();
});

describe('a week of hourly incrementals, daily fulls and a weekly merge', () => {
  it('first next_run of each task follows §6.3', async () => {
    const scheduled = (await client.getRepository('active', REPO)).scheduled ?? {};
    const at = (task: Task) => Date.parse(scheduled[task]?.next_run ?? '');
    expect(at('hourly')).toBe(START + HOUR);
    expect(at('daily_full')).toBe(Date.parse('2025-01-07T00:05:00Z'));
    expect(at('weekly_merge')).toBe(Date.parse('2025-01-11T12:00:00Z'));
  });

  it('after seven days info and taskHistory hold what the rules predict', async () => {
    for (let day = 0; day < 7; day++) {
      await emu.putDoc('b', '_default', '_default', 'k', { n: day + 1 });
      await emu.advance('1d');
    }
    await emu.idle();
    expect(await emu.now()).toBe(END);

    const expected = predict();
    const info = await client.getRepositoryInfo('active', REPO);
    expect(info.backups.map((b) => b.type)).toEqual(expected.types);
    expect(info.count).toBe(expected.types.length);

    const runs = await client.taskHistory('active', REPO);
    const count = (task: Task) => runs.filter((r) => r.task_name === task).length;
    expect({
      hourly: count('hourly'),
      daily_full: count('daily_full'),
      weekly_merge: count('weekly_merge'),
    }).toEqual(expected.runs);
    expect(runs.filter((r) => r.status !== 'done')).toEqual([]);
    expect(Date.parse(runs[0]?.start ?? '')).toBe(END);
    expect(await client.taskHistory('active', REPO, { taskName: 'weekly_merge' })).toEqual([
      expect.objectContaining({ type: 'MERGE', start: expect.stringMatching(/^2025-01-11T12:00:00/) }),
    ]);
  });

  it('the schedule continues past the week', async () => {
    const scheduled = (await client.getRepository('active', REPO)).scheduled ?? {};
    expect(Date.parse(scheduled.hourly?.next_run ?? '')).toBe(END + HOUR);
    expect(Date.parse(scheduled.daily_full?.next_run ?? '')).toBe(Date.parse('2025-01-14T00:05:00Z'));
    expect(Date.parse(scheduled.weekly_merge?.next_run ?? '')).toBe(Date.parse('2025-01-18T12:00:00Z'));
  });
});
