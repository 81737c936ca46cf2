import { describe, expect, it } from 'vitest';
import type { Repository, TaskRun } from '../../backup-api/index.ts';
import type { BackupRepositoryResource } from '../resources.ts';
import { ObservationStaleError } from './refusals.ts';
import { repositoryStatusFor } from './status-for.ts';

type Repo = BackupRepositoryResource;

const obj = (status?: Repo['status']): Repo =>
  ({
    apiVersion: 'cbbs.dev/v1alpha1',
    kind: 'BackupRepository',
    metadata: { name: 'r1', namespace: 'prod', generation: 1, creationTimestamp: '2026-12-01T00:00:00Z' },
    spec: {
      serviceRef: { name: 'cb' },
      builtInPlan: '_daily_backups',
      storage: { filesystem: { path: '/backups' } },
      state: 'Active',
      driftPolicy: 'Enforce',
      deletionPolicy: 'Retain',
      removeData: false,
      managementPolicy: 'Manage',
      rpo: '1h',
    },
    ...(status ? { status } : {}),
  }) as Repo;
const repository = {
  id: 'r1',
  plan_name: '_daily_backups',
  state: 'active',
  archive: '/backups',
  repo: 'uuid-1',
} as Repository;
const failedTask = {
  task_name: 'BACKUP-2',
  status: 'failed',
  start: '2026-12-01T10:00:00Z',
  end: '2026-12-01T10:00:05Z',
  type: 'BACKUP',
  error: 'disk on fire',
} as TaskRun;
const cond = (o: Repo['status'] | undefined, type: string) => o?.conditions?.find((c) => c.type === type);

describe('repositoryStatusFor: backup health', () => {
  it('keeps Ready about reconciliation while the last backup failed; the echo records the outcome', () => {
    const status = repositoryStatusFor({
      obj: obj(),
      id: 'r1',
      previous: undefined,
      observed: { state: 'active', repository },
      result: { kind: 'done', detail: { decision: { kind: 'synced' } } },
      fetched: { history: [failedTask], info: { name: 'uuid-1', size: 0, count: 0, backups: [] } },
      echoes: { backup: { token: 't1', taskName: 'BACKUP-2', time: '2026-12-01T09:59:59Z' } },
      generation: 1,
      now: new Date('2026-12-01T00:30:00Z'),
    });
    expect(cond(status, 'Ready')?.status).toBe('True');
    expect(cond(status, 'BackupsSucceeding')).toMatchObject({ status: 'False', reason: 'NeverSucceeded' });
    expect(cond(status, 'RPOMet')).toMatchObject({ status: 'True', reason: 'WithinObjective' });
    expect(status?.triggers?.backup).toMatchObject({ outcome: 'Failed', error: 'disk on fire' });
  });

  it('is not Unknown for a create the service refused: the read found no repository', () => {
    const status = repositoryStatusFor({
      obj: obj(),
      id: 'r1',
      previous: undefined,
      observed: undefined,
      result: {
        kind: 'refused',
        refusal: { reason: 'ServerRejected', message: 'archive unusable' },
        action: { kind: 'create', plan: '_daily_backups' },
        remembered: false,
      },
      fetched: undefined,
      echoes: {},
      generation: 1,
      now: new Date('2026-12-01T02:00:00Z'),
    });
    expect(cond(status, 'Stalled')?.status).toBe('True');
    expect(cond(status, 'BackupsSucceeding')).toMatchObject({ status: 'Unknown', reason: 'NoBackupYet' });
    expect(cond(status, 'RPOMet')).toMatchObject({ status: 'False', reason: 'NeverSucceeded' });
  });

  it('says Unknown, with the last data kept, while the service cannot be read', () => {
    const previous: Repo['status'] = { state: 'Active', lastSuccessfulBackupTime: '2026-12-01T09:00:00Z' };
    const status = repositoryStatusFor({
      obj: obj(previous),
      id: 'r1',
      previous,
      observed: undefined,
      result: {
        kind: 'refused',
        refusal: { reason: 'ServiceUnreachable', message: 'stale' },
        action: undefined,
        remembered: false,
        error: new ObservationStaleError('stale'),
      },
      fetched: undefined,
      echoes: {},
      generation: 1,
      now: new Date('2026-12-01T12:00:00Z'),
    });
    expect(status?.lastSuccessfulBackupTime).toBe('2026-12-01T09:00:00Z');
    expect(cond(status, 'BackupsSucceeding')).toMatchObject({
      status: 'Unknown',
      reason: 'ServiceUnreadable',
    });
    expect(cond(status, 'RPOMet')).toMatchObject({ status: 'Unknown', reason: 'ServiceUnreadable' });
  });
});
