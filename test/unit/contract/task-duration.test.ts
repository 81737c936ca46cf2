import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupClient, TaskRun } from '../../../src/backup-api/index.ts';
import { startTestEmulator, type TestEmulator } from '../../harness/emulator.ts';
import { clientFor, type EmulatorControl, emulatorControl, waitForTask } from './contract-support.ts';

// Tasks take time (docs/backup-service-api.md §6.5): a triggered task is seen running, with its
// progress moving, for at least the minimum duration, then lands in the history.

let t: TestEmulator;
let client: BackupClient;
let emu: EmulatorControl;
const MIN_MS = 600;

beforeAll(async () => {
  t = await startTestEmulator({ minTaskDurationMs: MIN_MS });
  client = clientFor(t.emulator.url);
  emu = emulatorControl(t.emulator.url);
  await emu.createBucket('b1');
  for (let i = 0; i < 5; i++) await emu.putDoc('b1', '_default', '_default', `k${i}`, { i });
  await client.createPlan('manual', {
    tasks: [
      {
        name: 'weekly',
        task_type: 'BACKUP',
        schedule: { job_type: 'BACKUP', frequency: 1, period: 'WEEKS' },
      },
    ],
  });
  await client.createRepository('r1', {
    plan: 'manual',
    archive: join(t.archiveDir, 'r1'),
    bucket_name: 'b1',
  });
});
afterAll(async () => {
  await client.close();
  await t.close();
});

/** Reads the one-off run of `name` while it is listed (undefined once it finished). */
const runningRun = async (name: string): Promise<TaskRun | undefined> =>
  (await client.getRepository('active', 'r1')).running_one_off?.[name];

describe('task duration', () => {
  it('a triggered backup is running right after the trigger, its progress moves, and it lasts the minimum', async () => {
    const { task_name } = await client.backup('r1', { full: true });
    const first = await runningRun(task_name);
    expect(first?.status).toBe('running');
    const seen = new Set<number>();
    for (let run = first; run !== undefined; run = await runningRun(task_name)) {
      for (const n of run.node_runs ?? []) seen.add(n.progress);
      await new Promise((r) => setTimeout(r, 40));
    }
    // More than one value below 100 while running: the progress moved, it did not jump.
    expect([...seen].filter((p) => p > 0 && p < 100).length).toBeGreaterThan(1);
    expect(Math.max(...seen)).toBeLessThan(100);
    const done = await waitForTask(client, 'active', 'r1', task_name);
    expect(done.status).toBe('done');
    expect(done.node_runs?.[0]?.progress).toBe(100);
    expect(Date.parse(done.end) - Date.parse(done.start)).toBeGreaterThanOrEqual(MIN_MS - 20);
  });

  it('the control API changes the duration for the next task (0 = at once) and reports it', async () => {
    expect(await emu.call('GET', '/tasks/duration')).toEqual({ minTaskDurationMs: MIN_MS });
    expect(await emu.call('PUT', '/tasks/duration', { minTaskDuration: '0s' })).toEqual({
      minTaskDurationMs: 0,
    });
    const { task_name } = await client.backup('r1');
    const done = await waitForTask(client, 'active', 'r1', task_name);
    expect(Date.parse(done.end) - Date.parse(done.start)).toBeLessThan(MIN_MS);
    await emu.call('PUT', '/tasks/duration', { minTaskDurationMs: MIN_MS });
  });

  it('a failing task is running for the minimum too, then fails with its reason', async () => {
    await emu.setFaults({ taskFailures: [{ repository: 'r1', error: 'disk full' }] });
    const { task_name } = await client.backup('r1');
    expect((await runningRun(task_name))?.status).toBe('running');
    const failed = await waitForTask(client, 'active', 'r1', task_name);
    expect(failed).toMatchObject({ status: 'failed', error: 'disk full' });
    expect(Date.parse(failed.end) - Date.parse(failed.start)).toBeGreaterThanOrEqual(MIN_MS - 20);
    await emu.clearFaults();
  });

  it('a malformed duration is refused with 400', async () => {
    await expect(emu.call('PUT', '/tasks/duration', { minTaskDuration: 'soon' })).rejects.toThrow(/400/);
    await expect(emu.call('PUT', '/tasks/duration', { minTaskDurationMs: -1 })).rejects.toThrow(/400/);
  });
});
