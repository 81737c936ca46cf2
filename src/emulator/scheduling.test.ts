// § sections cited here are those of docs/backup-service-api.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskRun } from './model.ts';
import { startEmulator, type TestEmulator } from './test-support.ts';

const R = '/api/v1/cluster/self/repository';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2025-01-01T00:10:00Z'); // a Wednesday
const END = START + 7 * DAY;

// An independent model of the reference's rules (§6.3 next_run, §6.4 merge window, §2.4 first
// backup FULL, merge of a range starting with a full backup → MERGE - FULL), written without
// the emulator's scheduling code.
type Kind = 'incr' | 'full' | 'merge';
function expectedBackups(): { types: string[]; runs: Record<Kind, number> } {
  const events: Array<{ t: number; kind: Kind }> = [];
  for (let t = START + HOUR; t <= END; t += HOUR) events.push({ t, kind: 'incr' }); // HOURS ×1, no time
  const firstDay = Math.floor(START / DAY) * DAY;
  for (let d = firstDay + DAY; d <= END; d += DAY) {
    const full = d + 30 * 60_000; // DAYS ×1 at 00:30, first on the next day
    if (full <= END) events.push({ t: full, kind: 'full' });
    if (new Date(d).getUTCDay() === 0 && d + 12 * HOUR <= END)
      events.push({ t: d + 12 * HOUR, kind: 'merge' }); // SUNDAY 12:00
  }
  events.sort((a, b) => a.t - b.t);
  let backups: Array<{ t: number; type: string }> = [];
  const runs: Record<Kind, number> = { incr: 0, full: 0, merge: 0 };
  for (const e of events) {
    runs[e.kind]++;
    if (e.kind === 'merge') {
      const today = Math.floor(e.t / DAY) * DAY;
      const from = today - 7 * DAY; // offset_start 0, offset_end 7
      const to = today + DAY - 1;
      const inWindow = backups.filter((b) => b.t >= from && b.t <= to);
      if (inWindow.length < 2) continue;
      const first = inWindow[0];
      const merged = {
        t: first?.t ?? 0,
        type: first?.type.endsWith('FULL') ? 'MERGE - FULL' : 'MERGE - INCR',
      };
      backups = [...backups.filter((b) => b.t < from), merged, ...backups.filter((b) => b.t > to)];
    } else {
      backups.push({ t: e.t, type: e.kind === 'full' || backups.length === 0 ? 'FULL' : 'INCR' });
    }
  }
  return { types: backups.map((b) => b.type), runs };
}

let t: TestEmulator;
beforeAll(async () => {
  t = await startEmulator({ clock: { mode: 'manual', start: START } });
  t.emulator.data.createBucket({ name: 'b1' });
  t.emulator.data.upsertDocument(
    { bucket: 'b1', scope: '_default', collection: '_default', key: 'k' },
    { n: 0 },
  );
});
afterAll(async () => {
  await t.emulator.close();
});

describe('scheduling through seven emulated days', () => {
  it('hourly incrementals, a daily full and a weekly merge leave the backups the rules predict', async () => {
    const plan = {
      tasks: [
        {
          name: 'hourly',
          task_type: 'BACKUP',
          schedule: { job_type: 'BACKUP', frequency: 1, period: 'HOURS' },
        },
        {
          name: 'daily_full',
          task_type: 'BACKUP',
          full_backup: true,
          schedule: { job_type: 'BACKUP', frequency: 1, period: 'DAYS', time: '00:30' },
        },
        {
          name: 'weekly_merge',
          task_type: 'MERGE',
          merge_options: { offset_start: 0, offset_end: 7 },
          schedule: { job_type: 'MERGE', frequency: 1, period: 'SUNDAY', time: '12:00' },
        },
      ],
    };
    expect((await t.call('POST', '/api/v1/plan/week', plan)).status).toBe(200);
    expect(
      (await t.call('POST', `${R}/active/r1`, { plan: 'week', archive: t.archive, bucket_name: 'b1' }))
        .status,
    ).toBe(200);

    // Drive time in uneven steps through the HTTP clock API and programmatically.
    expect((await t.call('POST', '/_emulator/time/advance', { duration: '1d7h' })).status).toBe(200);
    await t.emulator.clock.advance(END - START - (DAY + 7 * HOUR));
    await t.emulator.idle();
    expect(t.emulator.clock.nowMs()).toBe(END);

    const expected = expectedBackups();
    const info = (await t.call('GET', `${R}/active/r1/info`)).json as {
      count: number;
      backups: Array<{ type: string }>;
    };
    expect(info.backups.map((b) => b.type)).toEqual(expected.types);
    expect(info.count).toBe(expected.types.length);

    const runs = (await t.call('GET', `${R}/active/r1/taskHistory`)).json as TaskRun[];
    const byName = (n: string) => runs.filter((r) => r.task_name === n).length;
    expect([byName('hourly'), byName('daily_full'), byName('weekly_merge')]).toEqual([
      expected.runs.incr,
      expected.runs.full,
      expected.runs.merge,
    ]);
    expect(runs.every((r) => r.status === 'done')).toBe(true);
    // Newest first, each started at its scheduled instant.
    expect(runs[0]?.start).toBe(new Date(END).toISOString());

    const repo = (await t.call('GET', `${R}/active/r1`)).json as {
      scheduled: Record<string, { next_run: string }>;
    };
    expect(repo.scheduled.hourly?.next_run).toBe(new Date(END + HOUR).toISOString());
    expect(repo.scheduled.daily_full?.next_run).toBe('2025-01-08T00:30:00.000Z');
    expect(repo.scheduled.weekly_merge?.next_run).toBe('2025-01-12T12:00:00.000Z');
  });

  it('a paused repository does not run', async () => {
    await t.call('POST', `${R}/active/r1/pause`);
    const before = ((await t.call('GET', `${R}/active/r1/taskHistory`)).json as unknown[]).length;
    await t.emulator.clock.advance(DAY);
    await t.emulator.idle();
    expect(((await t.call('GET', `${R}/active/r1/taskHistory`)).json as unknown[]).length).toBe(before);
  });
});
