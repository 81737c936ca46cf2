import { describe, expect, it } from 'vitest';
import type { Plan, PlanBody } from '../../backup-api/index.ts';
import type { BackupPlanTask } from '../../crds/backup-plan.ts';
import {
  comparePlan,
  describePlan,
  observeScope,
  type PlanSpecContent,
  summarizeDifferences,
  toPlanBody,
  usesPrune,
} from './desired.ts';

const backup = (over: Partial<BackupPlanTask> = {}): BackupPlanTask => ({
  name: 'hourly',
  type: 'BACKUP',
  schedule: { frequency: 1, period: 'HOURS' },
  ...over,
});

describe('toPlanBody', () => {
  const cases: { reason: string; spec: PlanSpecContent; want: PlanBody }[] = [
    {
      reason: 'BACKUP task: full_backup defaults to false, job_type mirrors the type',
      spec: { tasks: [backup()] },
      want: {
        tasks: [
          {
            name: 'hourly',
            task_type: 'BACKUP',
            full_backup: false,
            schedule: { job_type: 'BACKUP', frequency: 1, period: 'HOURS' },
          },
        ],
      },
    },
    {
      reason: 'BACKUP task with fullBackup, time and startNow',
      spec: {
        tasks: [
          backup({
            fullBackup: true,
            schedule: { frequency: 2, period: 'DAYS', time: '02:30', startNow: true },
          }),
        ],
      },
      want: {
        tasks: [
          {
            name: 'hourly',
            task_type: 'BACKUP',
            full_backup: true,
            schedule: { job_type: 'BACKUP', frequency: 2, period: 'DAYS', time: '02:30', start_now: true },
          },
        ],
      },
    },
    {
      reason: 'MERGE task carries merge_options under the real key (not the docs "options")',
      spec: {
        tasks: [
          {
            name: 'weekly-merge',
            type: 'MERGE',
            schedule: { frequency: 1, period: 'SUNDAY', time: '23:40' },
            merge: { offsetStart: 4, offsetEnd: 3 },
          },
        ],
      },
      want: {
        tasks: [
          {
            name: 'weekly-merge',
            task_type: 'MERGE',
            merge_options: { offset_start: 4, offset_end: 3 },
            schedule: { job_type: 'MERGE', frequency: 1, period: 'SUNDAY', time: '23:40' },
          },
        ],
      },
    },
    {
      reason: 'PRUNE task has neither full_backup nor merge_options',
      spec: {
        tasks: [{ name: 'prune', type: 'PRUNE', schedule: { frequency: 1, period: 'DAYS', time: '22:00' } }],
      },
      want: {
        tasks: [
          {
            name: 'prune',
            task_type: 'PRUNE',
            schedule: { job_type: 'PRUNE', frequency: 1, period: 'DAYS', time: '22:00' },
          },
        ],
      },
    },
    {
      reason: 'description and services are sent when set',
      spec: { description: 'nightly', services: ['data', 'gsi'], tasks: [backup()] },
      want: {
        description: 'nightly',
        services: ['data', 'gsi'],
        tasks: [
          {
            name: 'hourly',
            task_type: 'BACKUP',
            full_backup: false,
            schedule: { job_type: 'BACKUP', frequency: 1, period: 'HOURS' },
          },
        ],
      },
    },
    {
      reason: 'empty description and empty services are omitted (server: none / all)',
      spec: {
        description: '',
        services: [],
        tasks: [backup({ schedule: { frequency: 3, period: 'MINUTES' } })],
      },
      want: {
        tasks: [
          {
            name: 'hourly',
            task_type: 'BACKUP',
            full_backup: false,
            schedule: { job_type: 'BACKUP', frequency: 3, period: 'MINUTES' },
          },
        ],
      },
    },
  ];
  it.each(cases)('$reason', ({ spec, want }) => {
    expect(toPlanBody(spec)).toEqual(want);
  });

  it.each([
    'MINUTES',
    'HOURS',
    'DAYS',
    'WEEKS',
    'MONDAY',
    'TUESDAY',
    'WEDNESDAY',
    'THURSDAY',
    'FRIDAY',
    'SATURDAY',
    'SUNDAY',
  ] as const)('passes period %s through to schedule.period', (period) => {
    const body = toPlanBody({ tasks: [backup({ schedule: { frequency: 5, period } })] });
    expect(body.tasks[0]?.schedule).toEqual({ job_type: 'BACKUP', frequency: 5, period });
  });
});

/** The server's GET answer for a plan created from `spec` (the emulator's storage rules). */
function serverPlan(name: string, body: PlanBody, over: Partial<Plan> = {}): Plan {
  return {
    name,
    services: body.services ?? null,
    ...(body.description ? { description: body.description } : {}),
    tasks: body.tasks.map((t) => ({ ...t, full_backup: t.task_type === 'BACKUP' && t.full_backup === true })),
    ...over,
  };
}

describe('comparePlan', () => {
  const spec: PlanSpecContent = {
    description: 'nightly',
    tasks: [
      backup(),
      {
        name: 'merge',
        type: 'MERGE',
        schedule: { frequency: 6, period: 'HOURS', time: '00:30' },
        merge: { offsetStart: 0, offsetEnd: 7 },
      },
      { name: 'prune', type: 'PRUNE', schedule: { frequency: 1, period: 'WEEKS' } },
    ],
  };
  const desired = toPlanBody(spec);
  const base = serverPlan('p', desired);

  const upToDate: { reason: string; observed: Plan }[] = [
    { reason: 'the server plan as stored', observed: base },
    { reason: 'services null equals unset', observed: { ...base, services: null } },
    { reason: 'services [] equals unset', observed: { ...base, services: [] } },
    {
      reason: 'all six services equal unset',
      observed: { ...base, services: ['gsi', 'data', 'views', 'ft', 'eventing', 'cbas'] },
    },
    { reason: 'tasks in another order', observed: { ...base, tasks: [...base.tasks].reverse() } },
    {
      reason: 'full_backup false on MERGE/PRUNE and start_now false are server defaults',
      observed: {
        ...base,
        tasks: base.tasks.map((t) => ({
          ...t,
          full_backup: false,
          schedule: { ...t.schedule, start_now: false },
        })),
      },
    },
    { reason: 'unknown extra keys (default: false) are ignored', observed: { ...base, default: false } },
  ];
  it.each(upToDate)('up to date: $reason', ({ observed }) => {
    const result = comparePlan(desired, observed);
    expect(result.differences).toEqual([]);
    expect(result.upToDate).toBe(true);
    expect(result.diff).toBeUndefined();
  });

  it('treats an omitted empty description as equal to an unset one', () => {
    const noDescription = toPlanBody({ ...spec, description: '' });
    const { description: _, ...observed } = serverPlan('p', noDescription);
    expect(comparePlan(noDescription, observed as Plan).upToDate).toBe(true);
  });

  it('treats a MERGE task without merge_options as a 0..0 window', () => {
    const want = toPlanBody({
      tasks: [
        {
          name: 'm',
          type: 'MERGE',
          schedule: { frequency: 1, period: 'DAYS' },
          merge: { offsetStart: 0, offsetEnd: 0 },
        },
      ],
    });
    const observed: Plan = {
      name: 'm',
      services: null,
      tasks: [
        { name: 'm', task_type: 'MERGE', schedule: { job_type: 'MERGE', frequency: 1, period: 'DAYS' } },
      ],
    };
    expect(comparePlan(want, observed).upToDate).toBe(true);
  });

  const mutate = (f: (tasks: Plan['tasks']) => Plan['tasks']): Plan => ({
    ...base,
    tasks: f(structuredClone(base.tasks)),
  });
  const drifted: { reason: string; observed: Plan; fields: string[]; summary: string }[] = [
    {
      reason: 'description edited in the Web Console',
      observed: { ...base, description: 'edited' },
      fields: ['description'],
      summary: 'description: "edited" on server, "nightly" in spec',
    },
    {
      reason: 'description removed',
      observed: (() => {
        const { description: _, ...rest } = base;
        return rest as Plan;
      })(),
      fields: ['description'],
      summary: 'description: absent on server, "nightly" in spec',
    },
    {
      reason: 'services narrowed',
      observed: { ...base, services: ['data'] },
      fields: ['services'],
      summary: 'services: "[data]" on server, "all" in spec',
    },
    {
      reason: 'frequency changed',
      observed: mutate((t) => {
        t[0]!.schedule.frequency = 2;
        return t;
      }),
      fields: ['tasks[hourly].schedule.frequency'],
      summary: 'tasks[hourly].schedule.frequency: 2 on server, 1 in spec',
    },
    {
      reason: 'period changed',
      observed: mutate((t) => {
        t[0]!.schedule.period = 'DAYS';
        return t;
      }),
      fields: ['tasks[hourly].schedule.period'],
      summary: 'tasks[hourly].schedule.period: "DAYS" on server, "HOURS" in spec',
    },
    {
      reason: 'time added',
      observed: mutate((t) => {
        t[0]!.schedule.time = '10:00';
        return t;
      }),
      fields: ['tasks[hourly].schedule.time'],
      summary: 'tasks[hourly].schedule.time: "10:00" on server, absent in spec',
    },
    {
      reason: 'full backup switched on',
      observed: mutate((t) => {
        t[0]!.full_backup = true;
        return t;
      }),
      fields: ['tasks[hourly].fullBackup'],
      summary: 'tasks[hourly].fullBackup: true on server, false in spec',
    },
    {
      reason: 'merge window changed',
      observed: mutate((t) => {
        t[1]!.merge_options = { offset_start: 1, offset_end: 7 };
        return t;
      }),
      fields: ['tasks[merge].merge.offsetStart'],
      summary: 'tasks[merge].merge.offsetStart: 1 on server, 0 in spec',
    },
    {
      reason: 'task type changed',
      observed: mutate((t) => {
        t[2]!.task_type = 'BACKUP';
        t[2]!.schedule.job_type = 'BACKUP';
        return t;
      }),
      fields: ['tasks[prune].type'],
      summary: 'tasks[prune].type: "BACKUP" on server, "PRUNE" in spec',
    },
    {
      reason: 'task removed on the server',
      observed: mutate((t) => t.slice(0, 2)),
      fields: ['tasks[prune]'],
      summary: 'tasks[prune]: absent on server, "present" in spec',
    },
    {
      reason: 'task added on the server',
      observed: mutate((t) => [
        ...t,
        {
          name: 'extra',
          task_type: 'BACKUP',
          schedule: { job_type: 'BACKUP', frequency: 1, period: 'DAYS' },
        },
      ]),
      fields: ['tasks[extra]'],
      summary: 'tasks[extra]: "present" on server, absent in spec',
    },
    {
      reason: 'start_now switched on',
      observed: mutate((t) => {
        t[0]!.schedule.start_now = true;
        return t;
      }),
      fields: ['tasks[hourly].schedule.startNow'],
      summary: 'tasks[hourly].schedule.startNow: true on server, false in spec',
    },
  ];
  it.each(drifted)('drift: $reason', ({ observed, fields, summary }) => {
    const result = comparePlan(desired, observed);
    expect(result.upToDate).toBe(false);
    expect(result.diff?.fields).toEqual(fields);
    expect(result.diff?.summary).toBe(summary);
  });

  it('lists several differences in a stable order', () => {
    const observed = { ...base, description: 'x', services: ['data' as const] };
    expect(comparePlan(desired, observed).diff?.fields).toEqual(['description', 'services']);
  });

  it('keeps the summary and the field list within the status limits', () => {
    const many = Array.from({ length: 14 }, (_, i) => backup({ name: `task-${i}-${'x'.repeat(40)}` }));
    const want = toPlanBody({ description: 'd'.repeat(140), tasks: many });
    const observed: Plan = {
      name: 'p',
      services: ['data'],
      description: 'e'.repeat(140),
      tasks: many.map((t) => ({
        name: t.name,
        task_type: 'MERGE',
        schedule: { job_type: 'MERGE', frequency: 9, period: 'DAYS', time: '01:00' },
      })),
    };
    const result = comparePlan(want, observed);
    expect(result.differences.length).toBeGreaterThan(32);
    expect(result.diff?.fields).toHaveLength(32);
    expect(result.diff?.summary.length).toBeLessThanOrEqual(1024);
    expect(result.diff?.summary.endsWith('...')).toBe(true);
  });
});

describe('summarizeDifferences', () => {
  it('truncates long values', () => {
    const text = summarizeDifferences([
      { path: 'description', desired: 'a'.repeat(200), observed: undefined },
    ]);
    expect(text.length).toBeLessThan(150);
    expect(text).toContain('absent on server');
  });
});

describe('observeScope', () => {
  const observed: Plan = {
    name: 'p',
    description: 'theirs',
    services: ['data'],
    tasks: [
      {
        name: 'hourly',
        task_type: 'BACKUP',
        full_backup: false,
        schedule: { job_type: 'BACKUP', frequency: 1, period: 'HOURS' },
      },
    ],
  };
  const cases: { reason: string; spec: PlanSpecContent; upToDate: boolean }[] = [
    { reason: 'an empty Observe spec never reports drift', spec: {}, upToDate: true },
    { reason: 'matching tasks only', spec: { tasks: [backup()] }, upToDate: true },
    {
      reason: 'tasks that differ are drift',
      spec: { tasks: [backup({ schedule: { frequency: 2, period: 'HOURS' } })] },
      upToDate: false,
    },
    { reason: 'a description that differs is drift', spec: { description: 'mine' }, upToDate: false },
    { reason: 'services set to the server value', spec: { services: ['data'] }, upToDate: true },
  ];
  it.each(cases)('$reason', ({ spec, upToDate }) => {
    expect(comparePlan(observeScope(spec, observed), observed).upToDate).toBe(upToDate);
  });
});

describe('describePlan and usesPrune', () => {
  it('describes tasks and services', () => {
    const text = describePlan({
      name: 'p',
      services: null,
      tasks: [
        {
          name: 'a',
          task_type: 'BACKUP',
          schedule: { job_type: 'BACKUP', frequency: 1, period: 'DAYS', time: '01:00' },
        },
      ],
    });
    expect(text).toBe('1 task: a (BACKUP every 1 DAYS at 01:00); services all');
  });

  it.each([
    { reason: 'no tasks', spec: {}, want: false },
    { reason: 'backup only', spec: { tasks: [backup()] }, want: false },
    {
      reason: 'a prune task',
      spec: {
        tasks: [
          backup(),
          { name: 'p', type: 'PRUNE' as const, schedule: { frequency: 1, period: 'DAYS' as const } },
        ],
      },
      want: true,
    },
  ])('usesPrune: $reason', ({ spec, want }) => {
    expect(usesPrune(spec)).toBe(want);
  });
});
