// § sections cited here are those of docs/backup-service-api.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simplePlan, startEmulator, type TestEmulator } from './test-support.ts';

let t: TestEmulator;
let counter = 0;
beforeAll(async () => {
  t = await startEmulator({ profile: '7.6' });
});
afterAll(async () => {
  await t.emulator.close();
});

const task = (overrides: Record<string, unknown> = {}, schedule: Record<string, unknown> = {}) => ({
  name: 't1',
  task_type: 'BACKUP',
  full_backup: true,
  schedule: { job_type: 'BACKUP', frequency: 1, period: 'DAYS', ...schedule },
  ...overrides,
});

const repeat = (n: number) => 'a'.repeat(n);

// §6.1, one row per rule: [reason, plan name, body, expected status]
const planCases: Array<[string, string, unknown, number]> = [
  ['valid 1-char name', 'a', simplePlan(), 200],
  ['valid 50-char name', repeat(50), simplePlan(), 200],
  ['51-char name', repeat(51), simplePlan(), 400],
  ['name with !', 'my_plan!', simplePlan(), 400],
  ['name starting with _ (reserved)', '_reserved', simplePlan(), 400],
  ['name with space', 'with%20space', simplePlan(), 400],
  ['name with dot', 'daily.random', simplePlan(), 400],
  ['description of 140 chars', 'desc140', simplePlan({ description: repeat(140) }), 200],
  ['description of 141 chars', 'desc141', simplePlan({ description: repeat(141) }), 400],
  ['description not a string', 'descnum', simplePlan({ description: 5 }), 400],
  [
    'all services',
    'svcall',
    simplePlan({ services: ['data', 'gsi', 'views', 'ft', 'eventing', 'cbas'] }),
    200,
  ],
  ['unknown service', 'svcbad', simplePlan({ services: ['data', 'kv'] }), 400],
  ['service as number', 'svcnum', simplePlan({ services: [1] }), 400],
  ['services as string', 'svcstr', simplePlan({ services: 'data' }), 400],
  ['0 tasks', 'tasks0', simplePlan({ tasks: [] }), 400],
  [
    '14 tasks',
    'tasks14',
    simplePlan({ tasks: Array.from({ length: 14 }, (_, i) => task({ name: `t${i}` })) }),
    200,
  ],
  [
    '15 tasks',
    'tasks15',
    simplePlan({ tasks: Array.from({ length: 15 }, (_, i) => task({ name: `t${i}` })) }),
    400,
  ],
  ['task name empty', 'tname0', simplePlan({ tasks: [task({ name: '' })] }), 400],
  ['task name missing', 'tname1', simplePlan({ tasks: [task({ name: undefined })] }), 400],
  ['task name 51 chars', 'tname2', simplePlan({ tasks: [task({ name: repeat(51) })] }), 400],
  ['duplicate task names', 'tdup', simplePlan({ tasks: [task(), task()] }), 400],
  ['task_type unknown', 'ttype0', simplePlan({ tasks: [task({ task_type: 'COPY' })] }), 400],
  ['task_type empty', 'ttype1', simplePlan({ tasks: [task({ task_type: '' })] }), 400],
  [
    'task_type PRUNE before 8.0',
    'ttype2',
    simplePlan({ tasks: [task({ task_type: 'PRUNE' }, { job_type: 'PRUNE' })] }),
    400,
  ],
  ['schedule missing', 'sched0', simplePlan({ tasks: [task({ schedule: undefined })] }), 400],
  ['job_type invalid', 'job0', simplePlan({ tasks: [task({}, { job_type: 'NOPE' })] }), 400],
  ['job_type differs from task_type', 'job1', simplePlan({ tasks: [task({}, { job_type: 'MERGE' })] }), 400],
  ['frequency 0', 'freq0', simplePlan({ tasks: [task({}, { frequency: 0 })] }), 400],
  ['frequency negative', 'freq1', simplePlan({ tasks: [task({}, { frequency: -1 })] }), 400],
  ['frequency string', 'freq2', simplePlan({ tasks: [task({}, { frequency: '1' })] }), 400],
  ['frequency 5000', 'freq4', simplePlan({ tasks: [task({}, { frequency: 5000 })] }), 200],
  ['frequency 5001', 'freq5', simplePlan({ tasks: [task({}, { frequency: 5001 })] }), 400],
  ['frequency 10000', 'freq6', simplePlan({ tasks: [task({}, { frequency: 10000 })] }), 400],
  ['period lower-case', 'per0', simplePlan({ tasks: [task({}, { period: 'hour' })] }), 400],
  ['period BAD', 'per1', simplePlan({ tasks: [task({}, { period: 'BAD' })] }), 400],
  ['weekday period', 'per2', simplePlan({ tasks: [task({}, { period: 'SUNDAY', time: '23:40' })] }), 200],
  ['time 22:00', 'time0', simplePlan({ tasks: [task({}, { time: '22:00' })] }), 200],
  ['time with seconds', 'time1', simplePlan({ tasks: [task({}, { time: '22:00:23' })] }), 400],
  ['time 25:00', 'time2', simplePlan({ tasks: [task({}, { time: '25:00' })] }), 400],
  ['time -4:00', 'time3', simplePlan({ tasks: [task({}, { time: '-4:00' })] }), 400],
  ['full_backup string', 'full0', simplePlan({ tasks: [task({ full_backup: 'true' })] }), 400],
];

describe('§6.1 plan validation', () => {
  it.each(planCases)('%s', async (_reason, name, body, status) => {
    const res = await t.call('POST', `/api/v1/plan/${name}`, body);
    expect(res.status).toBe(status);
    if (status === 400) {
      expect(res.json).toMatchObject({ status: 400, msg: expect.any(String) });
      expect((await t.call('GET', `/api/v1/plan/${name}`)).status).toBe(404);
    }
  });

  it('rejects frequency written as a float (1.0)', async () => {
    const raw = JSON.stringify(simplePlan()).replace('"frequency":1', '"frequency":1.0');
    expect(raw).toContain('1.0');
    expect((await t.call('POST', '/api/v1/plan/floatfreq', raw)).status).toBe(400);
  });
});

describe('§6.1 repository id', () => {
  it.each([
    ['a', 200],
    [repeat(50), 200],
    [repeat(51), 400],
    ['my_repo!', 400],
    ['_leading', 400],
    ['-leading', 400],
    ['ok-id_1', 200],
  ])('%s → %i', async (id, status) => {
    counter++;
    const res = await t.call('POST', `/api/v1/cluster/self/repository/active/${encodeURIComponent(id)}`, {
      plan: '_daily_backups',
      archive: `${t.archive}${counter}`,
    });
    expect(res.status).toBe(status);
    if (status === 400)
      expect((res.json as { msg: string }).msg).toBe(
        'repository id must follow the rules ^[0-9A-Za-z][0-9A-Za-z_-]{0,49}$',
      );
  });
});

describe('§3.3 config', () => {
  it.each([
    ['{}', '{}', 400],
    ['string', '{"history_rotation_size":"50"}', 400],
    ['negative', '{"history_rotation_size":-5}', 400],
    ['float', '{"history_rotation_size":5.1}', 400],
    ['float written 5.0', '{"history_rotation_size":5.0}', 400],
    ['above 200', '{"history_rotation_size":90000}', 400],
    ['object', '{"history_rotation_size":{}}', 400],
    ['4', '{"history_rotation_size":4}', 400],
    ['5', '{"history_rotation_size":5}', 200],
    ['200', '{"history_rotation_size":200}', 200],
  ])('%s → %i, config unchanged on 400', async (_r, body, status) => {
    const before = (await t.call('GET', '/api/v1/config')).json;
    for (const method of ['POST', 'PATCH']) {
      const res = await t.call(method, '/api/v1/config', body);
      expect(res.status).toBe(status);
      if (status === 400) {
        expect(res.json).toEqual({ status: 400, msg: 'Rotation size has to be between 5 and 200' });
        expect((await t.call('GET', '/api/v1/config')).json).toEqual(before);
      }
    }
  });
});

describe('query validation', () => {
  it.each(['-1', '1.5', 'abc'])('taskHistory and info reject limit=%s', async (v) => {
    await t.call('POST', '/api/v1/cluster/self/repository/active/qv', {
      plan: '_daily_backups',
      archive: `${t.archive}qv`,
    });
    for (const ep of ['taskHistory', 'info']) {
      for (const p of ['limit', 'offset']) {
        const res = await t.call('GET', `/api/v1/cluster/self/repository/active/qv/${ep}?${p}=${v}`);
        expect(res.status).toBe(400);
      }
    }
  });

  it('nodesThreadsMap: 404 before set, POST replaces, PATCH merges, bad values 400', async () => {
    expect((await t.call('GET', '/api/v1/nodesThreadsMap')).json).toEqual({
      status: 404,
      msg: 'Could not find the Nodes Threads Map',
      extras: 'element not found',
    });
    expect((await t.call('POST', '/api/v1/nodesThreadsMap', { nodes_threads_map: { a: 1 } })).status).toBe(
      200,
    );
    expect((await t.call('PATCH', '/api/v1/nodesThreadsMap', { nodes_threads_map: { b: 2 } })).status).toBe(
      200,
    );
    expect((await t.call('GET', '/api/v1/nodesThreadsMap')).json).toEqual({ a: 1, b: 2 });
    expect((await t.call('POST', '/api/v1/nodesThreadsMap', { nodes_threads_map: { a: -1 } })).status).toBe(
      400,
    );
  });
});
