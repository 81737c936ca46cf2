import { describe, expect, it } from 'vitest';
import type { Repository } from '../../backup-api/index.ts';
import type { ObservedRepository } from '../cluster-observations.ts';
import type { BackupPlanResource, BackupRepositoryResource } from '../resources.ts';
import { decide, type PlanResolution, resolvePlan, specApplied } from './desired.ts';

type Spec = BackupRepositoryResource['spec'];

const spec = (over: Partial<Spec> = {}): Spec => ({
  serviceRef: { name: 'cb' },
  builtInPlan: '_hourly_backups',
  storage: { filesystem: { path: '/backups' } },
  state: 'Active',
  driftPolicy: 'Enforce',
  deletionPolicy: 'Retain',
  removeData: false,
  managementPolicy: 'Manage',
  ...over,
});

const repo = (over: Partial<Repository> = {}): Repository => ({
  id: 'r1',
  plan_name: '_hourly_backups',
  state: 'active',
  archive: '/backups',
  repo: 'uuid-1',
  creation_time: '2025-01-01T00:00:00Z',
  update_time: '2025-01-01T00:00:00Z',
  ...over,
});
const at = (state: ObservedRepository['state'], over: Partial<Repository> = {}): ObservedRepository => ({
  state,
  repository: repo(over),
});
const hourly: PlanResolution = { kind: 'named', name: '_hourly_backups', ready: true, message: '' };
const daily: PlanResolution = { kind: 'named', name: '_daily_backups', ready: true, message: '' };
const dailyNotReady: PlanResolution = { kind: 'named', name: 'daily', ready: false, message: 'not ready' };

describe('decide', () => {
  const rows: {
    reason: string;
    spec: Spec;
    plan?: PlanResolution;
    observed?: ObservedRepository;
    specChanged?: boolean;
    want: Record<string, unknown>;
  }[] = [
    {
      reason: 'absent → create',
      spec: spec(),
      want: { kind: 'act', action: { kind: 'create', plan: '_hourly_backups' } },
    },
    {
      reason: 'absent with a plan not Ready → wait',
      spec: spec(),
      plan: dailyNotReady,
      want: { kind: 'blocked', state: 'Reconciling', reason: 'PlanNotReady' },
    },
    {
      reason: 'absent, import → import',
      spec: spec({ builtInPlan: undefined, import: { repo: 'uuid-1' } }),
      plan: { kind: 'none' },
      want: { kind: 'act', action: { kind: 'import' } },
    },
    {
      reason: 'absent, Archived → never created',
      spec: spec({ state: 'Archived' }),
      want: { kind: 'blocked', state: 'Stalled', reason: 'RepositoryNotFound' },
    },
    {
      reason: 'absent, Observe → waits, never creates',
      spec: spec({ managementPolicy: 'Observe' }),
      want: { kind: 'blocked', state: 'Reconciling', reason: 'RepositoryNotFound' },
    },
    { reason: 'matching → synced', spec: spec(), observed: at('active'), want: { kind: 'synced' } },
    {
      reason: 'trailing slash is not a difference',
      spec: spec({ storage: { filesystem: { path: '/backups/' } } }),
      observed: at('active'),
      want: { kind: 'synced' },
    },
    {
      reason: 'different archive → conflict, never recreate',
      spec: spec(),
      observed: at('active', { archive: '/elsewhere' }),
      want: { kind: 'blocked', state: 'Stalled', reason: 'AdoptionConflict' },
    },
    {
      reason: 'different bucket → conflict',
      spec: spec({ bucket: 'travel' }),
      observed: at('active'),
      want: { kind: 'blocked', state: 'Stalled', reason: 'AdoptionConflict' },
    },
    {
      reason: 'paused but spec Active → resume',
      spec: spec(),
      observed: at('active', { state: 'paused' }),
      want: { kind: 'act', action: { kind: 'resume' } },
    },
    {
      reason: 'active but spec Paused → pause',
      spec: spec({ state: 'Paused' }),
      observed: at('active'),
      want: { kind: 'act', action: { kind: 'pause' } },
    },
    {
      reason: 'Report policy and no spec change → drift reported',
      spec: spec({ driftPolicy: 'Report' }),
      observed: at('active', { state: 'paused' }),
      specChanged: false,
      want: { kind: 'drifted' },
    },
    {
      reason: 'Report policy but a new spec → applied',
      spec: spec({ driftPolicy: 'Report' }),
      observed: at('active', { state: 'paused' }),
      specChanged: true,
      want: { kind: 'act', action: { kind: 'resume' } },
    },
    {
      reason: 'Observe never acts',
      spec: spec({ managementPolicy: 'Observe' }),
      observed: at('active', { state: 'paused' }),
      specChanged: true,
      want: { kind: 'drifted' },
    },
    {
      reason: 'plan differs → change plan, resume after',
      spec: spec({ builtInPlan: '_daily_backups' }),
      plan: daily,
      observed: at('active'),
      want: {
        kind: 'act',
        action: { kind: 'change-plan', from: '_hourly_backups', to: '_daily_backups', resume: true },
      },
    },
    {
      reason: 'plan differs while spec Paused → change plan, stay paused',
      spec: spec({ builtInPlan: '_daily_backups', state: 'Paused' }),
      plan: daily,
      observed: at('active', { state: 'paused' }),
      want: { kind: 'act', action: { kind: 'change-plan', resume: false } },
    },
    {
      reason: 'plan differs but the plan is not Ready → wait',
      spec: spec({ builtInPlan: undefined, planRef: { name: 'daily' } }),
      plan: dailyNotReady,
      observed: at('active'),
      want: { kind: 'blocked', reason: 'PlanNotReady' },
    },
    {
      reason: 'spec Archived, server active → archive',
      spec: spec({ state: 'Archived' }),
      observed: at('active'),
      want: { kind: 'act', action: { kind: 'archive' } },
    },
    {
      reason: 'spec Archived, server archived → synced',
      spec: spec({ state: 'Archived' }),
      observed: at('archived'),
      want: { kind: 'synced' },
    },
    {
      reason: 'server archived but spec Active → Stalled, archiving is final',
      spec: spec(),
      observed: at('archived'),
      want: { kind: 'blocked', state: 'Stalled', reason: 'ArchivedOnServer' },
    },
    {
      reason: 'import spec meets an active repository → conflict',
      spec: spec({ builtInPlan: undefined, import: { repo: 'uuid-1' } }),
      plan: { kind: 'none' },
      observed: at('active'),
      want: { kind: 'blocked', reason: 'AdoptionConflict' },
    },
    {
      reason: 'import with another repo uuid → conflict',
      spec: spec({ builtInPlan: undefined, import: { repo: 'uuid-2' } }),
      plan: { kind: 'none' },
      observed: at('imported', { plan_name: '' }),
      want: { kind: 'blocked', reason: 'AdoptionConflict' },
    },
    {
      reason: 'imported and matching → synced',
      spec: spec({ builtInPlan: undefined, import: { repo: 'uuid-1' } }),
      plan: { kind: 'none' },
      observed: at('imported', { plan_name: '' }),
      want: { kind: 'synced' },
    },
  ];
  it.each(rows)('$reason', (row) => {
    const got = decide({
      spec: row.spec,
      id: 'r1',
      plan: row.plan ?? hourly,
      observed: row.observed,
      specChanged: row.specChanged ?? false,
    });
    expect(got).toMatchObject(row.want);
  });
});

describe('resolvePlan', () => {
  const plan = (over: { ready?: boolean; stale?: boolean; planName?: string } = {}) =>
    ({
      metadata: { name: 'daily', generation: 2 },
      spec: { serviceRef: { name: 'cb' }, ...(over.planName ? { planName: over.planName } : {}) },
      status: {
        observedGeneration: over.stale ? 1 : 2,
        conditions: [
          {
            type: 'Ready',
            status: over.ready === false ? 'False' : 'True',
            reason: 'X',
            message: '',
            lastTransitionTime: '2025-01-01T00:00:00Z',
            observedGeneration: over.stale ? 1 : 2,
          },
        ],
      },
    }) as unknown as BackupPlanResource;
  const ref = spec({ builtInPlan: undefined, planRef: { name: 'daily' } });
  it.each([
    {
      reason: 'built-in plans are always ready',
      s: spec(),
      p: undefined,
      want: { name: '_hourly_backups', ready: true },
    },
    { reason: 'missing BackupPlan', s: ref, p: undefined, want: { name: 'daily', ready: false } },
    { reason: 'Ready BackupPlan', s: ref, p: plan(), want: { name: 'daily', ready: true } },
    {
      reason: 'spec.planName is the server name',
      s: ref,
      p: plan({ planName: 'Daily_1' }),
      want: { name: 'Daily_1', ready: true },
    },
    { reason: 'not Ready', s: ref, p: plan({ ready: false }), want: { ready: false } },
    { reason: 'Ready for an older generation', s: ref, p: plan({ stale: true }), want: { ready: false } },
  ])('$reason', ({ s, p, want }) => {
    expect(resolvePlan(s, 'ns', p)).toMatchObject({ kind: 'named', ...want });
  });
  it('an import has no plan', () => {
    expect(resolvePlan(spec({ builtInPlan: undefined, import: { repo: 'x' } }), 'ns', undefined)).toEqual({
      kind: 'none',
    });
  });
});

describe('specApplied', () => {
  const synced = (reason: string, observedGeneration: number | undefined = 3) => [
    { type: 'Ready', reason: 'Available', observedGeneration },
    { type: 'Synced', reason, observedGeneration },
  ];

  it.each(['Synced', 'Drifted', 'TriggerRejected'])('a Synced %s of this generation applied it', (reason) => {
    expect(specApplied(synced(reason), 3)).toBe(true);
  });

  it.each([
    'PlanNotReady',
    'ServerRejected',
    'ServiceUnreachable',
    'ServiceUnavailable',
    'WaitingForService',
    'Applying',
    'AdoptionConflict',
  ])('a Synced %s of this generation waited or failed: nothing applied', (reason) => {
    expect(specApplied(synced(reason), 3)).toBe(false);
  });

  it('a Synced of another generation, or none, applied nothing of this one', () => {
    expect(specApplied(synced('Synced', 2), 3)).toBe(false);
    expect(specApplied([{ type: 'Synced', reason: 'Synced' }], 3)).toBe(false);
    expect(specApplied([{ type: 'Ready', reason: 'Available', observedGeneration: 3 }], 3)).toBe(false);
    expect(specApplied([], 3)).toBe(false);
    expect(specApplied(undefined, 3)).toBe(false);
  });

  it('under driftPolicy Report, a change that waited is applied once it can be, not reported', () => {
    const observed = { state: 'active', repository: repo({ plan_name: 'plan-a' }) } as ObservedRepository;
    const input = {
      spec: spec({ builtInPlan: undefined, planRef: { name: 'plan-b' }, driftPolicy: 'Report' }),
      id: 'r1',
      plan: { kind: 'named', name: 'plan-b', ready: true, message: '' } as PlanResolution,
      observed,
    };
    // The status of generation 3 was written while plan-b was not Ready.
    const waited = !specApplied(synced('PlanNotReady'), 3);
    expect(decide({ ...input, specChanged: waited })).toEqual({
      kind: 'act',
      action: { kind: 'change-plan', from: 'plan-a', to: 'plan-b', resume: true },
    });
    // Once applied, the same difference is drift, reported and left alone.
    const applied = !specApplied(synced('Synced'), 3);
    expect(decide({ ...input, specChanged: applied })).toMatchObject({ kind: 'drifted' });
  });
});
