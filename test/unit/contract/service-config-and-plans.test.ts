import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BackupClient,
  BACKUP_API_ERROR_CODES as C,
  type PlanBody,
} from '../../../src/backup-api/index.ts';
import { startTestEmulator, type TestEmulator } from '../../harness/emulator.ts';
import { clientFor } from './contract-support.ts';

// Cluster, configuration, node threads and plans (docs/backup-service-api.md §3, §4) through the client.

let t: TestEmulator;
let client: BackupClient;

beforeAll(async () => {
  t = await startTestEmulator({ profile: '7.6' });
  client = clientFor(t.emulator.url);
});
afterAll(async () => {
  await client.close();
  await t.close();
});

const weekly: PlanBody = {
  description: 'weekly full',
  services: ['data'],
  tasks: [
    {
      name: 'full_sunday',
      task_type: 'BACKUP',
      full_backup: true,
      schedule: { job_type: 'BACKUP', frequency: 1, period: 'SUNDAY', time: '23:00' },
    },
  ],
};

describe('cluster and configuration', () => {
  it('getClusterInfo answers the empty cluster', async () => {
    expect(await client.getClusterInfo()).toEqual({ name: 'self', active: {}, archived: {}, imported: {} });
  });

  it('getConfig / updateConfig (POST and PATCH) round-trip history_rotation_size', async () => {
    expect((await client.getConfig()).history_rotation_size).toBe(50);
    await client.updateConfig({ history_rotation_size: 20 });
    expect((await client.getConfig()).history_rotation_size).toBe(20);
    await client.updateConfig({ history_rotation_size: 30 }, { method: 'PATCH' });
    expect((await client.getConfig()).history_rotation_size).toBe(30);
  });

  it.each([
    ['POST', 4],
    ['POST', 201],
    ['PATCH', 90_000],
  ] as const)(
    'updateConfig %s %i → BSVC_INVALID with the reference msg, config unchanged',
    async (method, size) => {
      await expect(client.updateConfig({ history_rotation_size: size }, { method })).rejects.toMatchObject({
        code: C.invalid,
        status: 400,
        endpoint: `${method} /config`,
        msg: 'Rotation size has to be between 5 and 200',
        retryable: false,
      });
      expect((await client.getConfig()).history_rotation_size).toBe(30);
    },
  );

  it('getNodesThreadsMap is BSVC_NOT_FOUND until set; POST replaces, PATCH merges', async () => {
    await expect(client.getNodesThreadsMap()).rejects.toMatchObject({
      code: C.notFound,
      msg: 'Could not find the Nodes Threads Map',
      extras: 'element not found',
    });
    await client.setNodesThreadsMap({ a1: 2, b2: 4 });
    expect(await client.getNodesThreadsMap()).toEqual({ a1: 2, b2: 4 });
    await client.patchNodesThreadsMap({ b2: 0, c3: 1 });
    expect(await client.getNodesThreadsMap()).toEqual({ a1: 2, b2: 0, c3: 1 });
    await client.setNodesThreadsMap({ c3: 8 });
    expect(await client.getNodesThreadsMap()).toEqual({ c3: 8 });
  });

  it('setNodesThreadsMap with a negative count → BSVC_INVALID', async () => {
    await expect(client.setNodesThreadsMap({ a1: -1 })).rejects.toMatchObject({
      code: C.invalid,
      status: 400,
    });
  });
});

describe('plans', () => {
  it('listPlans includes the two built-in 7.6 plans, marked default', async () => {
    const plans = await client.listPlans();
    expect(
      plans
        .filter((p) => p.default === true)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['_daily_backups', '_hourly_backups']);
  });

  it('createPlan → getPlan returns exactly what was stored', async () => {
    await client.createPlan('weekly', weekly);
    const plan = await client.getPlan('weekly');
    expect(plan).toMatchObject({ name: 'weekly', description: 'weekly full', services: ['data'] });
    expect(plan.default).toBeUndefined();
    expect(plan.tasks).toEqual([expect.objectContaining(weekly.tasks[0])]);
    expect((await client.listPlans()).map((p) => p.name)).toContain('weekly');
  });

  it('createPlan of an existing name → BSVC_INVALID, original unchanged', async () => {
    await expect(client.createPlan('weekly', { ...weekly, description: 'other' })).rejects.toMatchObject({
      code: C.invalid,
      msg: 'plan already exists',
    });
    expect((await client.getPlan('weekly')).description).toBe('weekly full');
  });

  it.each([
    ['a reserved name', '_mine', weekly],
    ['no tasks', 'empty', { ...weekly, tasks: [] }],
    [
      'frequency 0',
      'freq0',
      { tasks: [{ ...weekly.tasks[0], schedule: { job_type: 'BACKUP', frequency: 0, period: 'DAYS' } }] },
    ],
    [
      'a bad period',
      'badperiod',
      { tasks: [{ ...weekly.tasks[0], schedule: { job_type: 'BACKUP', frequency: 1, period: 'hour' } }] },
    ],
  ])('createPlan with %s → BSVC_INVALID "invalid plan"', async (_what, name, body) => {
    await expect(client.createPlan(name, body as PlanBody)).rejects.toMatchObject({
      code: C.invalid,
      status: 400,
      endpoint: 'POST /plan/{name}',
      msg: 'invalid plan',
    });
    await expect(client.getPlan(name)).rejects.toMatchObject({ code: C.notFound });
  });

  it('replacePlan replaces the whole plan', async () => {
    await client.replacePlan('weekly', { ...weekly, description: 'replaced', services: null });
    const plan = await client.getPlan('weekly');
    expect(plan.description).toBe('replaced');
    expect(plan.services).toBeNull();
  });

  it('getPlan of an unknown plan → BSVC_NOT_FOUND with the reference msg', async () => {
    await expect(client.getPlan('nope')).rejects.toMatchObject({
      code: C.notFound,
      status: 404,
      msg: 'requested plan not found',
    });
  });

  it('deletePlan of a plan in use → BSVC_INVALID naming the repository; after archiving it works', async () => {
    await client.createRepository('uses-weekly', { plan: 'weekly', archive: t.archiveDir });
    await expect(client.deletePlan('weekly')).rejects.toMatchObject({
      code: C.invalid,
      msg: 'cannot update plan as it is in use by repository: uses-weekly',
    });
    await client.archiveRepository('uses-weekly', 'uses-weekly');
    await client.deletePlan('weekly');
    await expect(client.getPlan('weekly')).rejects.toMatchObject({ code: C.notFound });
    await expect(client.deletePlan('weekly')).rejects.toMatchObject({ code: C.notFound });
  });

  it('a built-in plan cannot be deleted', async () => {
    await expect(client.deletePlan('_hourly_backups')).rejects.toMatchObject({ code: C.invalid });
  });
});
