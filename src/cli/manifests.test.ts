import { describe, expect, it } from 'vitest';
import { backupRestoreManifest, backupRunManifest, objectName } from './manifests.ts';
import type { RepositoryTarget } from './service-access.ts';

const managed = {
  namespace: 'ns',
  serviceName: 'cb',
  repositoryId: 'repo',
  state: 'active',
  object: { metadata: { name: 'repo-object' } },
} as unknown as RepositoryTarget;
const unmanaged: RepositoryTarget = {
  namespace: 'ns',
  serviceName: 'cb',
  repositoryId: 'legacy',
  state: 'archived',
};

describe('manifests', () => {
  it('names objects after the repository and the UTC time, within 253 characters', () => {
    const now = new Date('2026-12-01T09:39:00.123Z');
    expect(objectName('travel-sample-daily', 'backup', now)).toBe(
      'travel-sample-daily-backup-20261201-093900',
    );
    expect(objectName('Legacy_Repo', 'merge', now)).toBe('legacy-repo-merge-20261201-093900');
    expect(objectName('a'.repeat(300), 'restore', now).length).toBeLessThanOrEqual(253);
  });

  it('builds a BackupRun for a BackupRepository and for an unmanaged repository', () => {
    const run = backupRunManifest({ target: managed, name: 'r', type: 'BACKUP', full: true });
    expect(run).toMatchObject({
      apiVersion: 'cbbs.dev/v1alpha1',
      kind: 'BackupRun',
      metadata: { name: 'r', namespace: 'ns' },
      spec: {
        repository: { repositoryRef: { name: 'repo-object' } },
        type: 'BACKUP',
        backup: { full: true },
      },
    });
    const merge = backupRunManifest({
      target: { ...unmanaged, state: 'active' },
      name: 'm',
      type: 'MERGE',
      merge: { offsetStart: 0, offsetEnd: 7 },
    });
    expect(merge.spec).toEqual({
      repository: { serviceRef: { name: 'cb' }, repositoryId: 'legacy' },
      type: 'MERGE',
      merge: { offsetStart: 0, offsetEnd: 7 },
    });
  });

  it('checks the spec against the CRD schema (exit 2 on a bad one)', () => {
    expect(() =>
      backupRunManifest({
        target: managed,
        name: 'm',
        type: 'MERGE',
        merge: { start: 'not-a-backup-name', end: 'x' },
      }),
    ).toThrow(/invalid BackupRun: spec\.merge\.start/);
    expect(() =>
      backupRestoreManifest({ target: managed, name: 'x', options: { include: ['a'], exclude: ['b'] } }),
    ).toThrow(/include and exclude are mutually exclusive/);
    expect(() =>
      backupRestoreManifest({ target: managed, name: 'x', options: { map: ['nonsense'] } }),
    ).toThrow(/--map wants FROM=TO/);
  });

  it('puts only the given restore options in the spec, with the state of an unmanaged source', () => {
    const restore = backupRestoreManifest({
      target: unmanaged,
      name: 'x',
      options: {
        from: 'latest',
        map: ['app=app-copy'],
        autoCreateBuckets: true,
        forceUpdates: false,
        replaceTtl: 'all',
        replaceTtlWith: '0',
        target: 'http://other:8091',
        targetSecret: 'other-admin',
      },
    });
    expect(restore.spec).toEqual({
      source: { serviceRef: { name: 'cb' }, repositoryId: 'legacy', state: 'Archived' },
      start: 'latest',
      mappings: [{ from: 'app', to: 'app-copy' }],
      autoCreateBuckets: true,
      replaceTTL: 'All',
      replaceTTLWith: '0',
      target: { address: 'http://other:8091', credentialsSecretRef: { name: 'other-admin' } },
    });
  });
});
