import { describe, expect, it } from 'vitest';
import {
  clusterInfoSchema,
  examineResponseSchema,
  mergeBodySchema,
  planSchema,
  repositorySchema,
  restoreBodySchema,
  taskRunSchema,
} from './schemas.ts';

const repo = {
  id: 'r',
  plan_name: '',
  state: 'imported',
  archive: '/a',
  repo: 'uuid',
  creation_time: 't',
  update_time: 't',
};

describe('response schemas are lenient', () => {
  it('keeps unknown keys at every level', () => {
    const parsed = planSchema.parse({
      name: 'p',
      services: null,
      extra: 1,
      tasks: [
        {
          name: 't',
          task_type: 'PRUNE',
          extra: 2,
          schedule: { job_type: 'PRUNE', frequency: 1, period: 'DAYS', extra: 3 },
        },
      ],
    });
    expect(parsed.extra).toBe(1);
    expect(parsed.tasks[0]?.extra).toBe(2);
    expect(parsed.tasks[0]?.schedule.extra).toBe(3);
  });

  it.each([
    ['null tasks', { name: 'p', tasks: null }, []],
    ['missing services', { name: 'p', tasks: [] }, []],
  ])('plan with %s parses', (_reason, input, tasks) => {
    expect(planSchema.parse(input).tasks).toEqual(tasks);
  });

  it('maps Go null maps to {} but keeps absent maps absent', () => {
    const parsed = repositorySchema.parse({ ...repo, running_one_off: null });
    expect(parsed.running_one_off).toEqual({});
    expect(parsed.scheduled).toBeUndefined();
    expect(
      clusterInfoSchema.parse({ name: 'self', active: null, archived: {}, imported: { r: repo } }),
    ).toMatchObject({ active: {}, imported: { r: { id: 'r' } } });
  });

  it('accepts status values newer servers may add', () => {
    const run = taskRunSchema.parse({
      task_name: 'x',
      status: 'cancelled',
      start: 's',
      end: 'e',
      type: 'WORM',
    });
    expect(run.status).toBe('cancelled');
    expect(run.type).toBe('WORM');
  });

  it.each([
    ['repository without id', repositorySchema, { ...repo, id: undefined }],
    ['repository with numeric state', repositorySchema, { ...repo, state: 3 }],
    ['task run without task_name', taskRunSchema, { status: 'done', start: 's', end: 'e', type: 'BACKUP' }],
    ['plan with an unknown task type', planSchema, { name: 'p', tasks: [{ name: 't', task_type: 'X' }] }],
  ])('rejects a %s', (_reason, schema, input) => {
    expect(schema.safeParse(input).success).toBe(false);
  });
});

describe('examineResponseSchema', () => {
  it.each([
    ['no values', [], { shape: 'documents', documents: [] }],
    [
      'timeline lines are flattened',
      [[{ backup: 'b1', document: { value: 1 } }], [{ backup: 'b2', document: null }]],
      {
        shape: 'timeline',
        entries: [
          { backup: 'b1', document: { value: 1 } },
          { backup: 'b2', document: null },
        ],
      },
    ],
    [
      'document objects',
      [{ backup: 'b1', key: 'k', value: { a: 1 }, metadata: { cas: '123' } }],
      {
        shape: 'documents',
        documents: [{ backup: 'b1', key: 'k', value: { a: 1 }, metadata: { cas: '123' } }],
      },
    ],
  ])('%s', (_reason, input, expected) => {
    expect(examineResponseSchema.parse(input)).toEqual(expected);
  });

  it('rejects documents without a key', () => {
    expect(examineResponseSchema.safeParse([{ backup: 'b1' }]).success).toBe(false);
  });
});

describe('request schemas', () => {
  it.each([
    ['merge everything', {}, true],
    ['merge by names', { start: 'a', end: 'b' }, true],
    ['merge by offsets', { offset_start: 0, offset_end: 7 }, true],
    ['merge with half a range', { start: 'a' }, false],
    ['merge with mixed keys', { start: 'a', end: 'b', offset_start: 1 }, false],
  ])('%s → valid %s', (_reason, body, valid) => {
    expect(mergeBodySchema.safeParse(body).success).toBe(valid);
  });

  it('restore requires target, user and password and rejects unknown options', () => {
    expect(restoreBodySchema.safeParse({ target: 't', user: 'u' }).success).toBe(false);
    expect(restoreBodySchema.safeParse({ target: 't', user: 'u', password: 'p', typo: true }).success).toBe(
      false,
    );
    expect(
      restoreBodySchema.safeParse({ target: 't', user: 'u', password: 'p', replace_ttl: 'all' }).success,
    ).toBe(true);
  });
});
