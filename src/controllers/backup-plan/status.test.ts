import { describe, expect, it } from 'vitest';
import { findCondition } from '../runtime/index.ts';
import { PLAN_REASONS, type PlanObservation, planStatus } from './status.ts';

const now = new Date('2025-01-01T00:00:00.123Z');
const later = new Date('2025-01-01T01:00:00Z');
const ctx = { planName: 'nightly', generation: 3, now };
const drift = { summary: 'description: "x" on server, "y" in spec', fields: ['description'] };

type Row = {
  reason: string;
  obs: PlanObservation;
  ready: 'True' | 'False';
  readyReason: string;
  synced: 'True' | 'False' | 'Unknown' | undefined;
  reconciling: boolean;
  stalled: boolean;
  drift?: boolean;
  synced_time?: boolean;
};

describe('planStatus', () => {
  const rows: Row[] = [
    {
      reason: 'created or replaced: Ready, Synced, lastSyncedTime set',
      obs: { kind: 'synced', wrote: true },
      ready: 'True',
      readyReason: PLAN_REASONS.available,
      synced: 'True',
      reconciling: false,
      stalled: false,
      synced_time: true,
    },
    {
      reason: 'already matching: Ready, Synced, no lastSyncedTime',
      obs: { kind: 'synced', wrote: false },
      ready: 'True',
      readyReason: PLAN_REASONS.available,
      synced: 'True',
      reconciling: false,
      stalled: false,
    },
    {
      reason: 'drift under Report: Ready but Synced=False with the diff',
      obs: { kind: 'drift', drift },
      ready: 'True',
      readyReason: PLAN_REASONS.driftDetected,
      synced: 'False',
      reconciling: false,
      stalled: false,
      drift: true,
    },
    {
      reason: 'server rejection: Stalled',
      obs: { kind: 'rejected', reason: 'PlanRejected', message: 'bad' },
      ready: 'False',
      readyReason: PLAN_REASONS.planRejected,
      synced: 'False',
      reconciling: false,
      stalled: true,
    },
    {
      reason: 'replace refused while in use: Stalled with the drift kept',
      obs: { kind: 'rejected', reason: 'PlanInUse', message: 'in use', drift },
      ready: 'False',
      readyReason: PLAN_REASONS.planInUse,
      synced: 'False',
      reconciling: false,
      stalled: true,
      drift: true,
    },
    {
      reason: 'service unreachable: Reconciling, not Stalled',
      obs: { kind: 'unreachable', message: 'ECONNREFUSED' },
      ready: 'False',
      readyReason: PLAN_REASONS.serviceUnreachable,
      synced: 'Unknown',
      reconciling: true,
      stalled: false,
    },
    {
      reason: 'service missing',
      obs: { kind: 'service-not-ready', reason: 'ServiceNotFound', message: 'no cb' },
      ready: 'False',
      readyReason: PLAN_REASONS.serviceNotFound,
      synced: 'Unknown',
      reconciling: true,
      stalled: false,
    },
    {
      reason: 'Observe: existing plan without drift',
      obs: { kind: 'observed', description: '1 task' },
      ready: 'True',
      readyReason: PLAN_REASONS.observed,
      synced: 'True',
      reconciling: false,
      stalled: false,
    },
    {
      reason: 'Observe: existing plan with drift',
      obs: { kind: 'observed', description: '1 task', drift },
      ready: 'True',
      readyReason: PLAN_REASONS.observed,
      synced: 'False',
      reconciling: false,
      stalled: false,
      drift: true,
    },
    {
      reason: 'Observe: missing plan is Ready=False, not Stalled',
      obs: { kind: 'observe-missing', message: 'no plan' },
      ready: 'False',
      readyReason: PLAN_REASONS.planNotFound,
      synced: 'Unknown',
      reconciling: true,
      stalled: false,
    },
    {
      reason: 'delete blocked by a repository',
      obs: { kind: 'delete-blocked', reason: 'PlanInUse', message: 'used by r1' },
      ready: 'False',
      readyReason: PLAN_REASONS.planInUse,
      synced: undefined,
      reconciling: true,
      stalled: false,
    },
  ];
  it.each(rows)('$reason', (row) => {
    const status = planStatus(undefined, row.obs, ctx);
    const ready = findCondition(status.conditions, 'Ready');
    expect(status.planName).toBe('nightly');
    expect(ready?.status).toBe(row.ready);
    expect(ready?.reason).toBe(row.readyReason);
    expect(ready?.observedGeneration).toBe(3);
    expect(findCondition(status.conditions, 'Synced')?.status).toBe(row.synced);
    expect(findCondition(status.conditions, 'Reconciling')?.status === 'True').toBe(row.reconciling);
    expect(findCondition(status.conditions, 'Stalled')?.status === 'True').toBe(row.stalled);
    expect(status.drift !== undefined).toBe(row.drift ?? false);
    expect(status.lastSyncedTime).toBe(row.synced_time ? '2025-01-01T00:00:00Z' : undefined);
  });

  it('computes the same status twice when nothing changed (no timestamps move)', () => {
    const first = planStatus(undefined, { kind: 'synced', wrote: true }, ctx);
    const second = planStatus(first, { kind: 'synced', wrote: false }, { ...ctx, now: later });
    expect(second).toEqual(first);
  });

  it('clears the drift once the plan matches again', () => {
    const drifted = planStatus(undefined, { kind: 'drift', drift }, ctx);
    const fixed = planStatus(drifted, { kind: 'synced', wrote: true }, { ...ctx, now: later });
    expect(fixed.drift).toBeUndefined();
    expect(fixed.lastSyncedTime).toBe('2025-01-01T01:00:00Z');
    expect(findCondition(fixed.conditions, 'Synced')?.lastTransitionTime).toBe('2025-01-01T01:00:00Z');
  });

  it('drops Stalled when a rejected plan is accepted after a spec change', () => {
    const stalled = planStatus(undefined, { kind: 'rejected', reason: 'PlanRejected', message: 'bad' }, ctx);
    const fixed = planStatus(stalled, { kind: 'synced', wrote: true }, { ...ctx, generation: 4, now: later });
    expect(findCondition(fixed.conditions, 'Stalled')).toBeUndefined();
    expect(findCondition(fixed.conditions, 'Ready')?.observedGeneration).toBe(4);
  });
});

describe('planStatus during a rollout', () => {
  const rollout = { serverPlanName: 'nightly-v4', retiring: ['nightly'], switched: ['a'], pending: ['b'] };
  it('stays Ready (the new version is usable), Synced=False RollingOut, with the progress', () => {
    const s = planStatus(
      undefined,
      { kind: 'synced', wrote: false },
      { ...ctx, planName: 'nightly-v4', rollout },
    );
    expect(s.planName).toBe('nightly-v4');
    expect(s.rollout).toEqual(rollout);
    expect(findCondition(s.conditions, 'Ready')).toMatchObject({
      status: 'True',
      reason: PLAN_REASONS.rollingOut,
    });
    const synced = findCondition(s.conditions, 'Synced');
    expect(synced).toMatchObject({ status: 'False', reason: PLAN_REASONS.rollingOut });
    expect(synced?.message).toContain('1 of 2 repositories switched; pending: b');
  });
  it('drops status.rollout once no older version remains', () => {
    const during = planStatus(undefined, { kind: 'synced', wrote: false }, { ...ctx, rollout });
    const after = planStatus(during, { kind: 'synced', wrote: false }, ctx);
    expect(after.rollout).toBeUndefined();
    expect(findCondition(after.conditions, 'Synced')).toMatchObject({
      status: 'True',
      reason: PLAN_REASONS.upToDate,
    });
  });
  it('says Stalled OwnedByOther for a plan another BackupPlan owns', () => {
    const s = planStatus(
      undefined,
      { kind: 'rejected', reason: 'OwnedByOther', message: 'managed by BackupPlan a/nightly' },
      ctx,
    );
    expect(findCondition(s.conditions, 'Stalled')).toMatchObject({
      status: 'True',
      reason: PLAN_REASONS.ownedByOther,
    });
  });
});
