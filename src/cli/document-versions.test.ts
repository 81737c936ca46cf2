import { describe, expect, it } from 'vitest';
import { documentVersions } from './document-versions.ts';

describe('documentVersions', () => {
  it('reads the timeline shape: created, unchanged, changed, deleted, absent', () => {
    const doc = (cas: string, value: unknown, deleted = false) => ({
      key: 'k',
      value,
      metadata: { cas, revseqno: Number(cas), flags: 0, expiry: 0 },
      deleted,
    });
    const versions = documentVersions({
      shape: 'timeline',
      entries: [
        { backup: 'b0', event_type: 'not_found' },
        { backup: 'b1', event_type: 'mutation', document: doc('1', { v: 1 }) },
        { backup: 'b2', event_type: 'mutation', document: doc('1', { v: 1 }) },
        { backup: 'b3', event_type: 'mutation', document: doc('2', { v: 2 }) },
        { backup: 'b4', event_type: 'deletion', document: doc('3', null, true) },
      ],
    });
    expect(versions.map((v) => [v.backup, v.change, v.present])).toEqual([
      ['b0', 'absent', false],
      ['b1', 'created', true],
      ['b2', 'unchanged', true],
      ['b3', 'changed', true],
      ['b4', 'deleted', false],
    ]);
    expect(versions[3]).toMatchObject({ cas: '2', revision: 2, value: { v: 2 } });
    expect(versions[4]?.value).toBeUndefined();
  });

  it('reads the documented shape and compares by value without CAS', () => {
    const versions = documentVersions({
      shape: 'documents',
      documents: [
        { backup: 'b1', key: 'k', value: 'a' },
        { backup: 'b2', key: 'k', value: 'a' },
        { backup: 'b3', key: 'k', value: 'b' },
        { backup: 'b4', key: 'k', deleted: true },
        { backup: 'b5', key: 'k', value: 'c' },
      ],
    });
    expect(versions.map((v) => v.change)).toEqual(['created', 'unchanged', 'changed', 'deleted', 'created']);
  });
});
