import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { parseNodeUrl } from '../backup-api/transport.ts';
import { BackupPlanSchema, BackupPlanSpecSchema } from './backup-plan.ts';
import {
  BackupRepositorySchema,
  BackupRepositorySpecSchema,
  BackupRepositoryStatusSchema,
} from './backup-repository.ts';
import { BackupRestoreSpecSchema } from './backup-restore.ts';
import { BackupRunSpecSchema } from './backup-run.ts';
import { BackupServiceSpecSchema, BackupServiceStatusSchema } from './backup-service.ts';

type Spec = Record<string, unknown>;
interface Row {
  name: string;
  spec: Spec;
  ok: boolean;
}

function table(schema: z.ZodType, rows: Row[]) {
  it.each(rows)('$name', ({ spec, ok }) => {
    const result = schema.safeParse(spec);
    expect(result.success, JSON.stringify(result.error?.issues)).toBe(ok);
  });
}

const serviceRef = { name: 'cb' };

describe('BackupService spec', () => {
  const good = { endpoints: ['http://cb:8097'], credentialsSecretRef: { name: 'cb-admin' } };
  table(BackupServiceSpecSchema, [
    { name: 'minimal', spec: good, ok: true },
    {
      name: 'proxy endpoint with path',
      spec: { ...good, endpoints: ['https://cb:18091/_p/backup'] },
      ok: true,
    },
    {
      name: 'config and TLS',
      spec: {
        ...good,
        config: { historyRotationSize: 5, nodesThreads: { abc: 0 } },
        tls: { caSecretRef: { name: 'ca' } },
      },
      ok: true,
    },
    { name: 'no endpoints', spec: { ...good, endpoints: [] }, ok: false },
    { name: 'endpoint without scheme', spec: { ...good, endpoints: ['cb:8097'] }, ok: false },
    ...[
      'http://cb:80970',
      'http://cb:0',
      'http://cb:65536',
      'http://cb:/',
      'https://[::1]:99999/_p/backup',
      'http://u:p@cb:8097',
      'http://user@cb:8097',
      'http://u:p@cb',
      'https://u:p@[::1]:18097',
    ].map((endpoint) => ({
      name: `endpoint ${endpoint}`,
      spec: { ...good, endpoints: [endpoint] },
      ok: false,
    })),
    ...[
      'http://cb',
      'http://cb:1',
      'http://cb:65535',
      'http://cb:8091/_p/backup',
      'https://[::1]:18097',
      'http://[fe80::1]',
      'http://cb.ns.svc:8097/path:with@colon',
    ].map((endpoint) => ({
      name: `endpoint ${endpoint}`,
      spec: { ...good, endpoints: [endpoint] },
      ok: true,
    })),
    { name: 'rotation size 4', spec: { ...good, config: { historyRotationSize: 4 } }, ok: false },
    { name: 'rotation size 201', spec: { ...good, config: { historyRotationSize: 201 } }, ok: false },
    { name: 'fractional rotation size', spec: { ...good, config: { historyRotationSize: 5.5 } }, ok: false },
    { name: 'negative node threads', spec: { ...good, config: { nodesThreads: { abc: -1 } } }, ok: false },
    { name: 'no credentials', spec: { endpoints: ['http://cb:8097'] }, ok: false },
    { name: 'bad poll interval', spec: { ...good, pollInterval: '30' }, ok: false },
    { name: 'poll interval 1m30s', spec: { ...good, pollInterval: '1m30s' }, ok: true },
    { name: 'poll interval below 1s', spec: { ...good, pollInterval: '500ms' }, ok: false },
  ]);

  it('names the problem of an endpoint with credentials without echoing them', () => {
    const result = BackupServiceSpecSchema.safeParse({
      ...good,
      endpoints: ['http://admin:s3cret@cb:80970'],
    });
    const messages = result.error?.issues.map((i) => i.message) ?? [];
    expect(messages).toEqual([
      expect.stringContaining('endpoints must not carry credentials'),
      'an endpoint port must be a number from 1 to 65535',
    ]);
    expect(JSON.stringify(result.error?.issues)).not.toContain('s3cret');
  });

  it('admits only endpoints the Backup Service client can parse', () => {
    for (const endpoint of [
      'http://cb:65535',
      'https://[::1]:18097',
      'http://cb.ns.svc:8097/path:with@colon',
    ]) {
      expect(BackupServiceSpecSchema.safeParse({ ...good, endpoints: [endpoint] }).success).toBe(true);
      expect(() => parseNodeUrl(endpoint), endpoint).not.toThrow();
    }
  });

  it('applies defaults', () => {
    const spec = BackupServiceSpecSchema.parse(good);
    expect(spec.credentialsSecretRef).toEqual({
      name: 'cb-admin',
      usernameKey: 'username',
      passwordKey: 'password',
    });
    // No default: an unset pollInterval follows the operator's --service-poll-interval.
    expect(spec.pollInterval).toBeUndefined();
    expect(BackupServiceSpecSchema.parse({ ...good, pollInterval: '2m' }).pollInterval).toBe('2m');
  });

  it('accepts a status with conditions', () => {
    const status = {
      observedGeneration: 2,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          lastTransitionTime: '2026-01-01T00:00:00Z',
          reason: 'Reachable',
          message: '',
        },
      ],
      repositories: { active: 1, paused: 0, archived: 2, imported: 0 },
    };
    expect(BackupServiceStatusSchema.safeParse(status).success).toBe(true);
    const bad = { conditions: [{ ...status.conditions[0], status: 'Yes' }] };
    expect(BackupServiceStatusSchema.safeParse(bad).success).toBe(false);
  });
});

describe('BackupPlan spec', () => {
  const backup = {
    name: 'nightly',
    type: 'BACKUP',
    fullBackup: true,
    schedule: { frequency: 1, period: 'DAYS', time: '01:00' },
  };
  const merge = {
    name: 'merge_week',
    type: 'MERGE',
    merge: { offsetStart: 0, offsetEnd: 7 },
    schedule: { frequency: 1, period: 'SUNDAY', time: '23:40' },
  };
  const good = { serviceRef, tasks: [backup, merge] };
  const withTask = (task: Spec) => ({ ...good, tasks: [{ ...backup, ...task }] });
  const withSchedule = (schedule: Spec) => withTask({ schedule: { ...backup.schedule, ...schedule } });
  table(BackupPlanSpecSchema, [
    { name: 'backup and merge tasks', spec: good, ok: true },
    { name: 'PRUNE task', spec: withTask({ type: 'PRUNE', fullBackup: undefined }), ok: true },
    { name: 'services', spec: { ...good, services: ['data', 'gsi'] }, ok: true },
    { name: 'unknown service', spec: { ...good, services: ['kv'] }, ok: false },
    { name: 'no tasks', spec: { serviceRef }, ok: false },
    { name: 'empty tasks', spec: { ...good, tasks: [] }, ok: false },
    {
      name: '15 tasks',
      spec: { ...good, tasks: Array.from({ length: 15 }, (_, i) => ({ ...backup, name: `t${i}` })) },
      ok: false,
    },
    { name: 'Observe without tasks', spec: { serviceRef, managementPolicy: 'Observe' }, ok: true },
    { name: 'planName with underscore start', spec: { ...good, planName: '_daily' }, ok: false },
    { name: 'planName with a dot', spec: { ...good, planName: 'daily.random' }, ok: false },
    { name: 'planName of 50 chars', spec: { ...good, planName: 'a'.repeat(50) }, ok: true },
    { name: 'planName of 51 chars', spec: { ...good, planName: 'a'.repeat(51) }, ok: false },
    { name: 'description of 141 chars', spec: { ...good, description: 'x'.repeat(141) }, ok: false },
    {
      name: 'duplicate task names',
      spec: { ...good, tasks: [backup, { ...merge, name: backup.name }] },
      ok: false,
    },
    { name: 'task name with !', spec: withTask({ name: 'my_task!' }), ok: false },
    { name: 'lower-case type', spec: withTask({ type: 'backup' }), ok: false },
    { name: 'frequency 0', spec: withSchedule({ frequency: 0 }), ok: false },
    { name: 'frequency 5000', spec: withSchedule({ frequency: 5000 }), ok: true },
    { name: 'frequency 5001', spec: withSchedule({ frequency: 5001 }), ok: false },
    { name: 'frequency as string', spec: withSchedule({ frequency: '1' }), ok: false },
    { name: 'fractional frequency', spec: withSchedule({ frequency: 1.5 }), ok: false },
    { name: 'period hour', spec: withSchedule({ period: 'hour' }), ok: false },
    { name: 'time 25:00', spec: withSchedule({ time: '25:00' }), ok: false },
    { name: 'time with seconds', spec: withSchedule({ time: '22:00:23' }), ok: false },
    {
      name: 'fullBackup on a MERGE task',
      spec: { ...good, tasks: [{ ...merge, fullBackup: true }] },
      ok: false,
    },
    {
      name: 'merge options on a BACKUP task',
      spec: withTask({ merge: { offsetStart: 0, offsetEnd: 1 } }),
      ok: false,
    },
    {
      name: 'MERGE task without window',
      spec: { ...good, tasks: [{ ...merge, merge: undefined }] },
      ok: false,
    },
    {
      name: 'negative merge offset',
      spec: { ...good, tasks: [{ ...merge, merge: { offsetStart: -1, offsetEnd: 1 } }] },
      ok: false,
    },
    { name: 'unknown drift policy', spec: { ...good, driftPolicy: 'Ignore' }, ok: false },
    {
      name: 'deletionPolicy Archive (repositories only)',
      spec: { ...good, deletionPolicy: 'Archive' },
      ok: false,
    },
  ]);

  it('defaults the policies', () => {
    const spec = BackupPlanSpecSchema.parse(good);
    expect([spec.driftPolicy, spec.deletionPolicy, spec.managementPolicy]).toEqual([
      'Enforce',
      'Retain',
      'Manage',
    ]);
  });

  const object = (name: string, spec: Spec) => ({
    apiVersion: 'cbbs.dev/v1alpha1',
    kind: 'BackupPlan',
    metadata: { name },
    spec,
  });
  table(BackupPlanSchema, [
    { name: 'object named like a plan', spec: object('nightly', good), ok: true },
    { name: 'object with a dotted name and no planName', spec: object('nightly.v2', good), ok: false },
    {
      name: 'object with a dotted name and a planName',
      spec: object('nightly.v2', { ...good, planName: 'nightly_v2' }),
      ok: true,
    },
    { name: 'object with a 51-char name', spec: object('a'.repeat(51), good), ok: false },
    { name: 'wrong kind', spec: { ...object('nightly', good), kind: 'BackupRun' }, ok: false },
  ]);
});

describe('BackupRepository spec', () => {
  const fs = { filesystem: { path: '/mnt/backups' } };
  const s3 = {
    objectStore: {
      uri: 's3://bucket/prefix',
      region: 'eu-west-1',
      stagingDir: '/staging',
      credentialsSecretRef: { name: 's3' },
    },
  };
  const good = { serviceRef, planRef: { name: 'nightly' }, storage: fs };
  table(BackupRepositorySpecSchema, [
    { name: 'filesystem with planRef', spec: good, ok: true },
    {
      name: 'object store with built-in plan',
      spec: { serviceRef, builtInPlan: '_hourly_backups', storage: s3 },
      ok: true,
    },
    { name: 'single bucket, paused', spec: { ...good, bucket: 'travel-sample', state: 'Paused' }, ok: true },
    { name: 'both plan forms', spec: { ...good, builtInPlan: '_daily_backups' }, ok: false },
    { name: 'no plan', spec: { serviceRef, storage: fs }, ok: false },
    {
      name: 'built-in plan without underscore',
      spec: { serviceRef, builtInPlan: 'daily', storage: fs },
      ok: false,
    },
    { name: 'both storage kinds', spec: { ...good, storage: { ...fs, ...s3 } }, ok: false },
    { name: 'no storage kind', spec: { ...good, storage: {} }, ok: false },
    { name: 'relative path', spec: { ...good, storage: { filesystem: { path: 'backups' } } }, ok: false },
    {
      name: 'provider/uri mismatch',
      spec: { ...good, storage: { objectStore: { ...s3.objectStore, provider: 'GCP' } } },
      ok: false,
    },
    {
      name: 'gs uri with GCP',
      spec: { ...good, storage: { objectStore: { ...s3.objectStore, provider: 'GCP', uri: 'gs://b' } } },
      ok: true,
    },
    {
      name: 'object store without staging dir',
      spec: { ...good, storage: { objectStore: { uri: 's3://b' } } },
      ok: false,
    },
    {
      name: 'S3 without region',
      spec: { ...good, storage: { objectStore: { ...s3.objectStore, region: undefined } } },
      ok: false,
    },
    {
      name: 'GCP without region',
      spec: {
        ...good,
        storage: { objectStore: { ...s3.objectStore, provider: 'GCP', uri: 'gs://b', region: undefined } },
      },
      ok: true,
    },
    {
      name: 'secret and stored credentials',
      spec: { ...good, storage: { objectStore: { ...s3.objectStore, credentialName: 'c' } } },
      ok: false,
    },
    { name: 'repositoryId of 50 chars', spec: { ...good, repositoryId: 'a'.repeat(50) }, ok: true },
    { name: 'repositoryId of 51 chars', spec: { ...good, repositoryId: 'a'.repeat(51) }, ok: false },
    { name: 'repositoryId with !', spec: { ...good, repositoryId: 'my_repo!' }, ok: false },
    { name: 'unknown state', spec: { ...good, state: 'Imported' }, ok: false },
    { name: 'import', spec: { serviceRef, storage: fs, import: { repo: '8b623987-9353' } }, ok: true },
    { name: 'import with a plan', spec: { ...good, import: { repo: 'r' } }, ok: false },
    {
      name: 'import paused',
      spec: { serviceRef, storage: fs, import: { repo: 'r' }, state: 'Paused' },
      ok: false,
    },
    {
      name: 'trigger tokens',
      spec: { ...good, triggers: { backup: '2026-11-27-a', fullBackup: true, merge: 'm1' } },
      ok: true,
    },
    { name: 'trigger token with a space', spec: { ...good, triggers: { backup: 'run now' } }, ok: false },
    {
      name: 'removeData with Delete',
      spec: { ...good, deletionPolicy: 'Delete', removeData: true },
      ok: true,
    },
    {
      name: 'removeData with Archive',
      spec: { ...good, deletionPolicy: 'Archive', removeData: true },
      ok: false,
    },
  ]);

  it('parses a full object and status', () => {
    const object = {
      apiVersion: 'cbbs.dev/v1alpha1',
      kind: 'BackupRepository',
      metadata: { name: 'repo1' },
      spec: good,
    };
    expect(BackupRepositorySchema.parse(object).spec.state).toBe('Active');
    const status = {
      state: 'Active',
      nextRuns: [{ taskName: 'nightly', type: 'BACKUP', time: '2025-01-02T01:00:00+01:00' }],
      backups: { count: 1, totalSize: 23806455, latestFull: { name: '2025-01-01T12_04_00.25Z' } },
      triggers: { backup: { token: '2026-11-27-a', taskName: 'BACKUP-0f8c' } },
    };
    expect(BackupRepositoryStatusSchema.safeParse(status).success).toBe(true);
    expect(BackupRepositoryStatusSchema.safeParse({ ...status, state: 'paused' }).success).toBe(false);
  });
});

describe('BackupRun spec', () => {
  const repository = { repositoryRef: { name: 'repo1' } };
  table(BackupRunSpecSchema, [
    { name: 'full backup', spec: { repository, type: 'BACKUP', backup: { full: true } }, ok: true },
    { name: 'merge everything', spec: { repository, type: 'MERGE' }, ok: true },
    {
      name: 'merge by names',
      spec: {
        repository,
        type: 'MERGE',
        merge: { start: '2020-09-29T21_00_36.511305+01_00', end: '2021-01-20T09_16_13.79441759Z' },
      },
      ok: true,
    },
    {
      name: 'merge by offsets',
      spec: { repository, type: 'MERGE', merge: { offsetStart: 0, offsetEnd: 7 } },
      ok: true,
    },
    {
      name: 'merge with start only',
      spec: { repository, type: 'MERGE', merge: { start: '2021-01-20T09_16_13Z' } },
      ok: false,
    },
    {
      name: 'merge with names and offsets',
      spec: {
        repository,
        type: 'MERGE',
        merge: { start: '2021-01-20T09_16_13Z', end: '2021-01-21T09_16_13Z', offsetStart: 0, offsetEnd: 1 },
      },
      ok: false,
    },
    {
      name: 'merge with a bad name',
      spec: { repository, type: 'MERGE', merge: { start: 'yesterday', end: 'today' } },
      ok: false,
    },
    {
      name: 'backup options on a merge',
      spec: { repository, type: 'MERGE', backup: { full: true } },
      ok: false,
    },
    {
      name: 'unmanaged repository',
      spec: { repository: { serviceRef, repositoryId: 'legacy' }, type: 'BACKUP' },
      ok: true,
    },
    {
      name: 'unmanaged without service',
      spec: { repository: { repositoryId: 'legacy' }, type: 'BACKUP' },
      ok: false,
    },
    {
      name: 'both repository forms',
      spec: { repository: { ...repository, serviceRef, repositoryId: 'x' }, type: 'BACKUP' },
      ok: false,
    },
    { name: 'unknown type', spec: { repository, type: 'Restore' }, ok: false },
  ]);
});

describe('BackupRestore spec', () => {
  const source = { repositoryRef: { name: 'repo1' } };
  table(BackupRestoreSpecSchema, [
    { name: 'everything to the own cluster', spec: { source }, ok: true },
    {
      name: 'all options',
      spec: {
        source: { serviceRef, repositoryId: 'old', state: 'Archived' },
        start: '2020-09-29T21_00_36.511305+01_00',
        end: 'latest',
        include: ['travel-sample.inventory'],
        filterKeys: '^airline_',
        mappings: [{ from: 'travel-sample', to: 'ts7' }],
        autoCreateBuckets: true,
        disableServices: ['gsi', 'ft'],
        replaceTTL: 'All',
        replaceTTLWith: '0',
        target: { address: 'https://other:18091', credentialsSecretRef: { name: 'other' } },
      },
      ok: true,
    },
    { name: 'include and exclude', spec: { source, include: ['a'], exclude: ['b'] }, ok: false },
    { name: 'keyspace with a comma', spec: { source, include: ['a,b'] }, ok: false },
    { name: 'replaceTTL without value', spec: { source, replaceTTL: 'Expired' }, ok: false },
    { name: 'replaceTTLWith without mode', spec: { source, replaceTTLWith: '0' }, ok: false },
    {
      name: 'replaceTTLWith a time',
      spec: { source, replaceTTL: 'All', replaceTTLWith: '2027-01-01T00:00:00Z' },
      ok: true,
    },
    { name: 'state with repositoryRef', spec: { source: { ...source, state: 'Imported' } }, ok: false },
    { name: 'start neither name nor latest', spec: { source, start: 'first' }, ok: false },
    { name: 'unknown disabled service', spec: { source, disableServices: ['query'] }, ok: false },
    { name: 'target without credentials', spec: { source, target: { address: 'http://x:8091' } }, ok: false },
  ]);
});
