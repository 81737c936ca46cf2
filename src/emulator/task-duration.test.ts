import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_MIN_TASK_DURATION_MS,
  ITEMS_PER_MIN_DURATION,
  pacedProgress,
  realWaitMs,
  taskDurationMs,
} from './task-duration.ts';
import { startEmulator, type TestEmulator } from './test-support.ts';

describe('task duration (pure)', () => {
  it('is the minimum for no data, grows with the items moved, and is 0 when the minimum is 0', () => {
    expect(taskDurationMs(3_000, 0)).toBe(3_000);
    expect(taskDurationMs(3_000, ITEMS_PER_MIN_DURATION)).toBe(6_000);
    expect(taskDurationMs(3_000, ITEMS_PER_MIN_DURATION / 2)).toBe(4_500);
    expect(taskDurationMs(0, 1_000_000)).toBe(0);
  });

  it('waits emulated ms / scale in scaled mode, real ms in manual mode', () => {
    expect(realWaitMs(3_000, 'scaled', 1)).toBe(3_000);
    expect(realWaitMs(3_000, 'scaled', 60)).toBe(50);
    expect(realWaitMs(3_000, 'manual', 1)).toBe(3_000);
    expect(realWaitMs(0, 'scaled', 1)).toBe(0);
  });

  it('paces progress from 0 to 99; 100 is for the end', () => {
    expect(pacedProgress(0, 1_000)).toBe(0);
    expect(pacedProgress(500, 1_000)).toBe(50);
    expect(pacedProgress(5_000, 1_000)).toBe(99);
  });
});

describe('task duration (emulator)', () => {
  let t: TestEmulator | undefined;
  afterEach(async () => {
    await t?.emulator.close();
    t = undefined;
  });

  it('defaults to a realistic minimum when the emulator is not told otherwise', async () => {
    const { createEmulator } = await import('./emulator.ts');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const emulator = await createEmulator({ dataDir: mkdtempSync(join(tmpdir(), 'cbbs-emu-')) });
    try {
      expect(emulator.taskDuration.minTaskDurationMs).toBe(DEFAULT_MIN_TASK_DURATION_MS);
      const res = await fetch(`${emulator.url}/_emulator/tasks/duration`);
      expect(await res.json()).toEqual({ minTaskDurationMs: DEFAULT_MIN_TASK_DURATION_MS });
    } finally {
      await emulator.close();
    }
  });

  it('a task running when the emulator closes is not completed: the next start reports it orphaned', async () => {
    t = await startEmulator({ minTaskDurationMs: 60_000 });
    const { call, archive, dir } = t;
    await call('POST', '/_emulator/buckets', { name: 'b1' });
    await call('POST', '/api/v1/plan/p', {
      tasks: [
        {
          name: 'w',
          task_type: 'BACKUP',
          schedule: { job_type: 'BACKUP', frequency: 1, period: 'WEEKS' },
        },
      ],
    });
    expect(
      (
        await call('POST', '/api/v1/cluster/self/repository/active/r1', {
          plan: 'p',
          archive,
          bucket_name: 'b1',
        })
      ).status,
    ).toBe(200);
    const trigger = await call('POST', '/api/v1/cluster/self/repository/active/r1/backup', {});
    const name = (trigger.json as { task_name: string }).task_name;
    await t.emulator.close();
    t = await startEmulator({ dataDir: dir, minTaskDurationMs: 0 });
    const history = await t.call('GET', '/api/v1/cluster/self/repository/active/r1/taskHistory');
    expect(history.json).toMatchObject([{ task_name: name, status: 'failed' }]);
    expect((history.json as Array<{ error: string }>)[0]?.error).toMatch(/orphaned/);
  });
});
