import { describe, expect, it } from 'vitest';
import type { BackupInfo } from '../backup-api/index.ts';
import { dependentsOf, describeDependents, restoreRangeNotes, selectRange } from './backup-chain.ts';
import { CliError } from './exit-codes.ts';

const backup = (date: string, type: string, extra: Partial<BackupInfo> = {}): BackupInfo => ({
  date,
  type,
  source: 'cluster',
  events: 0,
  fts_alias: 0,
  size: 100,
  buckets: [],
  complete: true,
  source_cluster_uuid: 'u',
  ...extra,
});

const chain = [
  backup('b1', 'FULL'),
  backup('b2', 'INCR'),
  backup('b3', 'INCR'),
  backup('b4', 'FULL'),
  backup('b5', 'INCR'),
  backup('m1', 'MERGE - FULL', { range: ['x1', 'x2'] }),
];

describe('dependentsOf', () => {
  it('finds the later incrementals up to the next full backup', () => {
    expect(dependentsOf(chain, 'b1').incrementals).toEqual(['b2', 'b3']);
    expect(dependentsOf(chain, 'b2').incrementals).toEqual(['b3']);
    expect(dependentsOf(chain, 'b3').incrementals).toEqual([]);
    // A merged full backup starts a chain of its own.
    expect(dependentsOf(chain, 'b4').incrementals).toEqual(['b5']);
  });

  it('names what a merge combined', () => {
    const d = dependentsOf(chain, 'm1');
    expect(d.mergedFrom).toEqual(['x1', 'x2']);
    expect(describeDependents(d)).toEqual(['it is a merge of x1, x2: their data exists only in this backup']);
  });

  it('says nothing when nothing depends on the backup', () => {
    expect(describeDependents(dependentsOf(chain, 'b3'))).toEqual([]);
    expect(describeDependents(dependentsOf(chain, 'b4'))[0]).toMatch(
      /^1 later incremental backup builds on it/,
    );
  });

  it('refuses an unknown backup with exit 3 and names some known ones', () => {
    const err = (() => {
      try {
        dependentsOf(chain, 'nope');
      } catch (e) {
        return e;
      }
    })() as CliError;
    expect(err).toBeInstanceOf(CliError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('b5');
  });
});

describe('selectRange', () => {
  it('selects inclusive ranges with open ends and latest', () => {
    expect(selectRange(chain, undefined, undefined).map((b) => b.date)).toEqual(chain.map((b) => b.date));
    expect(selectRange(chain, 'b2', 'b4').map((b) => b.date)).toEqual(['b2', 'b3', 'b4']);
    expect(selectRange(chain, 'latest', undefined).map((b) => b.date)).toEqual(['m1']);
    expect(selectRange(chain, undefined, 'b1').map((b) => b.date)).toEqual(['b1']);
  });

  it('refuses a reversed range (exit 2) and unknown names (exit 3)', () => {
    expect(() => selectRange(chain, 'b4', 'b2')).toThrow(/range is empty/);
    expect(() => selectRange(chain, 'zz', undefined)).toThrow(/not found/);
    expect(() => selectRange([], 'latest', undefined)).toThrow(/no backups/);
  });

  it('warns when a restore range starts with an incremental backup', () => {
    const notes = restoreRangeNotes(chain, selectRange(chain, 'b3', 'b4'));
    expect(notes[0]).toContain('starts with an incremental backup');
    expect(notes[0]).toContain('b1');
    expect(restoreRangeNotes(chain, selectRange(chain, 'b1', 'b3'))).toEqual([]);
    expect(restoreRangeNotes(chain, [])).toEqual(['the range holds no backups: nothing would be restored']);
  });
});
