import { describe, expect, it } from 'vitest';
import { BackupRunSpecSchema } from '../../crds/backup-run.ts';
import { runRequest } from './run-request.ts';

const repository = { serviceRef: { name: 'cb' }, repositoryId: 'r' };
const A = '2026-01-01T00_00_00Z';
const B = '2026-01-02T00_00_00Z';

describe('runRequest', () => {
  it.each([
    { reason: 'incremental by default', spec: { type: 'BACKUP' }, want: { type: 'BACKUP', full: false } },
    {
      reason: 'full backup',
      spec: { type: 'BACKUP', backup: { full: true } },
      want: { type: 'BACKUP', full: true },
    },
    { reason: 'merge everything', spec: { type: 'MERGE' }, want: { type: 'MERGE', body: {}, names: [] } },
    {
      reason: 'merge by names',
      spec: { type: 'MERGE', merge: { start: A, end: B } },
      want: { type: 'MERGE', body: { start: A, end: B }, names: [A, B] },
    },
    {
      reason: 'merge by day offsets',
      spec: { type: 'MERGE', merge: { offsetStart: 1, offsetEnd: 2 } },
      want: { type: 'MERGE', body: { offset_start: 1, offset_end: 2 }, names: [] },
    },
  ])('$reason', ({ spec, want }) => {
    expect(runRequest(BackupRunSpecSchema.parse({ repository, ...spec }))).toEqual(want);
  });
});
