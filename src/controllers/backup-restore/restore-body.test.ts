import { describe, expect, it } from 'vitest';
import { BackupRestoreSpecSchema } from '../../crds/backup-restore.ts';
import { describeBackups, resolveRange, restoreBody } from './restore-body.ts';

const source = { serviceRef: { name: 'cb' }, repositoryId: 'r' };
const spec = (extra: Record<string, unknown>) => BackupRestoreSpecSchema.parse({ source, ...extra });
const TARGET = { target: 'http://cb:8091', user: 'admin', password: 'pw' };

describe('restoreBody', () => {
  it.each([
    { reason: 'defaults send only target and credentials', extra: {}, want: {} },
    {
      reason: 'keyspace lists become comma strings',
      extra: { include: ['a', 'b.s', 'b.s.c'] },
      want: { include_data: 'a,b.s,b.s.c' },
    },
    { reason: 'exclude list', extra: { exclude: ['x.y'] }, want: { exclude_data: 'x.y' } },
    {
      reason: 'mappings become map_data',
      extra: {
        mappings: [
          { from: 'travel-sample', to: 'ts7' },
          { from: 'a.s', to: 'b.s' },
        ],
      },
      want: { map_data: 'travel-sample=ts7,a.s=b.s' },
    },
    {
      reason: 'filters',
      extra: { filterKeys: '^user::', filterValues: 'x' },
      want: { filter_keys: '^user::', filter_values: 'x' },
    },
    {
      reason: 'booleans only when set',
      extra: {
        autoCreateBuckets: true,
        autoRemoveCollections: true,
        enableBucketConfig: true,
        forceUpdates: true,
      },
      want: {
        auto_create_buckets: true,
        auto_remove_collections: true,
        enable_bucket_config: true,
        force_updates: true,
      },
    },
    {
      reason: 'services map to their disable flags',
      extra: { disableServices: ['data', 'gsi', 'views', 'ft', 'eventing', 'cbas'] },
      want: {
        disable_data: true,
        disable_gsi_indexes: true,
        disable_views: true,
        disable_ft: true,
        disable_eventing: true,
        disable_analytics: true,
      },
    },
    {
      reason: 'TTL replacement in lower case',
      extra: { replaceTTL: 'Expired', replaceTTLWith: '0' },
      want: { replace_ttl: 'expired', replace_ttl_with: '0' },
    },
  ])('$reason', ({ extra, want }) => {
    expect(restoreBody(spec(extra), TARGET)).toEqual({ ...TARGET, ...want });
  });

  it('carries the resolved range', () => {
    expect(restoreBody(spec({}), { ...TARGET, start: 'a', end: 'b' })).toEqual({
      ...TARGET,
      start: 'a',
      end: 'b',
    });
  });
});

describe('resolveRange', () => {
  const B = ['2026-01-01T00_00_00Z', '2026-01-02T00_00_00Z', '2026-01-03T00_00_00Z'];
  it.each([
    { reason: 'no range', range: {}, backups: B, want: { kind: 'ok', start: undefined, end: undefined } },
    {
      reason: 'latest resolves to the newest',
      range: { start: 'latest', end: 'latest' },
      backups: B,
      want: { kind: 'ok', start: B[2], end: B[2] },
    },
    {
      reason: 'known names pass',
      range: { start: B[0], end: B[1] },
      backups: B,
      want: { kind: 'ok', start: B[0], end: B[1] },
    },
    {
      reason: 'unknown start',
      range: { start: '2025-01-01T00_00_00Z' },
      backups: B,
      want: { kind: 'unknown-backup', field: 'start', name: '2025-01-01T00_00_00Z' },
    },
    {
      reason: 'unknown end',
      range: { start: B[0], end: '2027-01-01T00_00_00Z' },
      backups: B,
      want: { kind: 'unknown-backup', field: 'end', name: '2027-01-01T00_00_00Z' },
    },
    { reason: 'empty repository', range: {}, backups: [], want: { kind: 'no-backups' } },
  ])('$reason', ({ range, backups, want }) => {
    expect(resolveRange(range, backups)).toEqual(want);
  });

  it('describes backups briefly', () => {
    expect(describeBackups([])).toBe('none');
    expect(describeBackups(B.slice(0, 2))).toBe(`${B[0]}, ${B[1]}`);
    expect(describeBackups([...B, '2026-01-04T00_00_00Z'])).toBe(
      `${B[0]} … 2026-01-04T00_00_00Z (4 backups)`,
    );
  });
});
