import { describe, expect, it } from 'vitest';
import { createMemos } from './memo.ts';

describe('createMemos', () => {
  it('keeps the memo of an object across reconciles', () => {
    const memos = createMemos();
    const m = memos.of('ns/r', 'uid-1');
    m.detailsDigest = 'f';
    m.following.set('BACKUP-1', 3);
    expect(memos.of('ns/r', 'uid-1')).toBe(m);
  });

  it('a recreated object of the same name (new UID) starts afresh, even if its deletion was missed', () => {
    const memos = createMemos();
    const old = memos.of('ns/r', 'uid-1');
    old.detailsDigest = 'f';
    old.direct = { at: 1, observed: undefined };
    old.following.set('BACKUP-1', 3);
    const fresh = memos.of('ns/r', 'uid-2');
    expect(fresh).toEqual({ uid: 'uid-2', following: new Map() });
    expect(memos.of('ns/r', 'uid-2')).toBe(fresh);
  });

  it('forgets a key', () => {
    const memos = createMemos();
    const m = memos.of('ns/r', 'uid-1');
    m.detailsDigest = 'f';
    memos.forget('ns/r');
    expect(memos.of('ns/r', 'uid-1').detailsDigest).toBeUndefined();
  });
});
