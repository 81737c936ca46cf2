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

  it('counts a document missing from an incremental backup as unchanged, not absent', () => {
    const doc = (cas: string, deleted = false) => ({ key: 'k', value: { cas }, metadata: { cas }, deleted });
    const versions = documentVersions(
      {
        shape: 'timeline',
        entries: [
          { backup: 'full', event_type: 'mutation', document: doc('1') },
          { backup: 'incr-1', event_type: 'not_found' },
          { backup: 'incr-2', event_type: 'mutation', document: doc('2') },
          { backup: 'incr-3', event_type: 'deletion', document: doc('3', true) },
          { backup: 'incr-4', event_type: 'not_found' },
          { backup: 'full-2', event_type: 'not_found' },
        ],
      },
      (b) => b.startsWith('incr'),
    );
    expect(versions.map((v) => [v.backup, v.change, v.present, v.cas])).toEqual([
      ['full', 'created', true, '1'],
      ['incr-1', 'unchanged', true, '1'],
      ['incr-2', 'changed', true, '2'],
      ['incr-3', 'deleted', false, '3'],
      ['incr-4', 'absent', false, '3'],
      ['full-2', 'absent', false, undefined],
    ]);
  });
});
