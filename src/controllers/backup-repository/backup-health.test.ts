import { describe, expect, it } from 'vitest';
import type { BackupRepositoryResource } from '../resources.ts';
import {
  backupsSucceeding,
  BACKUP_HEALTH_REASONS as R,
  RPO_REQUEUE_MARGIN_MS,
  rpoMet,
  rpoRequeueMs,
  withBackupHealth,
} from './backup-health.ts';

type Status = NonNullable<BackupRepositoryResource['status']>;
type Task = NonNullable<Status['recentTasks']>[number];

const backup = (taskName: string, status: Task['status'], startTime: string, error?: string): Task => ({
  taskName,
  type: 'BACKUP',
  status,
  startTime,
  ...(error ? { error } : {}),
});
const merge: Task = { taskName: 'MERGE-1', type: 'MERGE', status: 'done', startTime: '2026-12-01T10:30:00Z' };

describe('backupsSucceeding', () => {
  it('is True when the newest finished backup succeeded (merges do not count)', () => {
    const status: Status = {
      recentTasks: [
        merge,
        backup('b2', 'done', '2026-12-01T10:00:00Z'),
        backup('b1', 'failed', '2026-12-01T09:00:00Z'),
      ],
      lastSuccessfulBackupTime: '2026-12-01T10:00:00Z',
    };
    expect(backupsSucceeding(status, true, 3)).toMatchObject({
      status: 'True',
      reason: R.lastBackupSucceeded,
      observedGeneration: 3,
    });
  });

  it('is False LastBackupFailed with the server error when it failed after an earlier success', () => {
    const status: Status = {
      recentTasks: [
        backup('b2', 'failed', '2026-12-01T11:00:00Z', 'disk on fire'),
        backup('b1', 'done', '2026-12-01T10:00:00Z'),
      ],
      lastSuccessfulBackupTime: '2026-12-01T10:00:00Z',
    };
    const c = backupsSucceeding(status, true, 1);
    expect(c).toMatchObject({ status: 'False', reason: R.lastBackupFailed });
    expect(c.message).toContain('disk on fire');
    expect(c.message).toContain('2026-12-01T10:00:00Z');
  });

  it('is False NeverSucceeded when backups failed and none ever succeeded', () => {
    const status: Status = { recentTasks: [backup('b1', 'failed', '2026-12-01T11:00:00Z', 'no space')] };
    expect(backupsSucceeding(status, true, 1)).toMatchObject({ status: 'False', reason: R.neverSucceeded });
  });

  it('ignores running, skipped and unknown tasks', () => {
    const status: Status = {
      recentTasks: [
        backup('b2', 'skipped', '2026-12-01T11:00:00Z'),
        backup('b1', 'failed', '2026-12-01T10:00:00Z'),
      ],
    };
    expect(backupsSucceeding(status, true, 1).reason).toBe(R.neverSucceeded);
  });

  it('keeps the last verdict when the history window holds no backup, else follows the last success', () => {
    const kept: Status = {
      recentTasks: [merge],
      conditions: [
        {
          type: 'BackupsSucceeding',
          status: 'False',
          reason: R.lastBackupFailed,
          message: 'm',
          lastTransitionTime: '2026-12-01T09:00:00Z',
        },
      ],
    };
    expect(backupsSucceeding(kept, true, 2)).toMatchObject({
      status: 'False',
      reason: R.lastBackupFailed,
      message: 'm',
    });
    expect(
      backupsSucceeding({ recentTasks: [merge], lastSuccessfulBackupTime: '2026-12-01T08:00:00Z' }, true, 2),
    ).toMatchObject({ status: 'True', reason: R.lastBackupSucceeded });
  });

  it('is Unknown before any backup finished and while the service cannot be read', () => {
    expect(backupsSucceeding({}, true, 1)).toMatchObject({ status: 'Unknown', reason: R.noBackupYet });
    const failed: Status = { recentTasks: [backup('b1', 'failed', '2026-12-01T11:00:00Z')] };
    expect(backupsSucceeding(failed, false, 1)).toMatchObject({
      status: 'Unknown',
      reason: R.serviceUnreadable,
    });
  });
});

describe('rpoMet', () => {
  const created = '2026-12-01T00:00:00Z';
  const at = (iso: string) => new Date(iso);
  const input = (now: string, extra: Partial<Parameters<typeof rpoMet>[1]> = {}) => ({
    spec: { rpo: '1h' },
    createdAt: created,
    readable: true,
    generation: 1,
    now: at(now),
    ...extra,
  });

  it('holds until the objective has passed since the last successful backup, then NoSuccessSince', () => {
    const status: Status = { lastSuccessfulBackupTime: '2026-12-01T10:00:00Z' };
    const before = rpoMet(status, input('2026-12-01T10:59:59Z'));
    expect(before).toMatchObject({ status: 'True', reason: R.withinObjective });
    expect(before?.message).toContain('2026-12-01T11:00:00Z');
    expect(rpoMet(status, input('2026-12-01T11:00:00Z'))).toMatchObject({
      status: 'False',
      reason: R.noSuccessSince,
    });
  });

  it('counts from creation while no backup succeeded: NeverSucceeded once that passed', () => {
    expect(rpoMet({}, input('2026-12-01T00:30:00Z'))).toMatchObject({
      status: 'True',
      reason: R.withinObjective,
    });
    expect(rpoMet({}, input('2026-12-01T01:00:01Z'))).toMatchObject({
      status: 'False',
      reason: R.neverSucceeded,
    });
  });

  it('says the same thing at every moment on one side of the deadline (no heartbeat writes)', () => {
    const status: Status = { lastSuccessfulBackupTime: '2026-12-01T10:00:00Z' };
    expect(rpoMet(status, input('2026-12-01T10:01:00Z'))).toEqual(
      rpoMet(status, input('2026-12-01T10:59:00Z')),
    );
    expect(rpoMet(status, input('2026-12-01T11:01:00Z'))).toEqual(
      rpoMet(status, input('2026-12-02T11:00:00Z')),
    );
  });

  it('is Unknown while the service cannot be read, and absent without an RPO that applies', () => {
    expect(rpoMet({}, input('2026-12-01T05:00:00Z', { readable: false }))).toMatchObject({
      status: 'Unknown',
      reason: R.serviceUnreadable,
    });
    expect(rpoMet({}, input('2026-12-01T05:00:00Z', { spec: {} }))).toBeUndefined();
    expect(rpoMet({ state: 'Archived' }, input('2026-12-01T05:00:00Z'))).toBeUndefined();
  });
});

describe('rpoRequeueMs', () => {
  const nowMs = Date.parse('2026-12-01T10:30:00Z');
  it('asks for a look just after the deadline while the objective holds', () => {
    expect(rpoRequeueMs({ rpo: '1h' }, 'Active', '2026-12-01T10:00:00Z', undefined, nowMs)).toBe(
      30 * 60_000 + RPO_REQUEUE_MARGIN_MS,
    );
    expect(rpoRequeueMs({ rpo: '1h' }, undefined, undefined, '2026-12-01T10:15:00Z', nowMs)).toBe(
      45 * 60_000 + RPO_REQUEUE_MARGIN_MS,
    );
  });
  it('asks for nothing once missed, without an RPO, or for an archived repository', () => {
    expect(rpoRequeueMs({ rpo: '10m' }, 'Active', '2026-12-01T10:00:00Z', undefined, nowMs)).toBeUndefined();
    expect(rpoRequeueMs({}, 'Active', '2026-12-01T10:00:00Z', undefined, nowMs)).toBeUndefined();
    expect(rpoRequeueMs({ rpo: '1h' }, 'Archived', '2026-12-01T10:00:00Z', undefined, nowMs)).toBeUndefined();
  });
});

describe('withBackupHealth', () => {
  it('moves lastTransitionTime only on a flip', () => {
    const base = {
      spec: { rpo: '1h' },
      createdAt: '2026-12-01T00:00:00Z',
      readable: true,
      generation: 1,
    };
    const status: Status = { lastSuccessfulBackupTime: '2026-12-01T10:00:00Z' };
    const first = withBackupHealth(status, { ...base, now: new Date('2026-12-01T10:10:00Z') });
    const later = withBackupHealth(first, { ...base, now: new Date('2026-12-01T10:50:00Z') });
    expect(later).toEqual(first);
    const missed = withBackupHealth(later, { ...base, now: new Date('2026-12-01T11:00:01Z') });
    const rpo = missed.conditions?.find((c) => c.type === 'RPOMet');
    expect(rpo).toMatchObject({ status: 'False', lastTransitionTime: '2026-12-01T11:00:01Z' });
  });

  it('sets neither condition on an imported repository, and drops RPOMet when the RPO is removed', () => {
    const imported = withBackupHealth(
      {},
      {
        spec: { import: { repo: 'x' } },
        createdAt: undefined,
        readable: true,
        generation: 1,
        now: new Date(),
      },
    );
    expect(imported.conditions).toEqual([]);
    const withRpo = withBackupHealth(
      {},
      {
        spec: { rpo: '1h' },
        createdAt: new Date().toISOString(),
        readable: true,
        generation: 1,
        now: new Date(),
      },
    );
    expect(withRpo.conditions?.map((c) => c.type)).toEqual(['BackupsSucceeding', 'RPOMet']);
    const without = withBackupHealth(withRpo, {
      spec: {},
      createdAt: undefined,
      readable: true,
      generation: 2,
      now: new Date(),
    });
    expect(without.conditions?.map((c) => c.type)).toEqual(['BackupsSucceeding']);
  });
});
