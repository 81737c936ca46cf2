import { describe, expect, it } from 'vitest';
import { isCloudArchive, keyOf, parseS3Location } from './access.ts';

describe('parseS3Location', () => {
  it.each([
    ['s3://bucket', { bucket: 'bucket', prefix: '' }],
    ['s3://bucket/', { bucket: 'bucket', prefix: '' }],
    ['s3://my.bucket-1/couchbase/prod', { bucket: 'my.bucket-1', prefix: 'couchbase/prod' }],
    ['s3://bucket/a/b/', { bucket: 'bucket', prefix: 'a/b' }],
  ])('%s → %o', (uri, want) => {
    expect(parseS3Location(uri)).toEqual(want);
  });

  it.each([
    ['another scheme', 'gs://bucket/p'],
    ['a too short bucket', 's3://ab/p'],
    ['upper case', 's3://Bucket/p'],
    ['an empty segment', 's3://bucket/a//b'],
    ['a parent segment', 's3://bucket/a/../b'],
    ['no bucket', 's3:///p'],
  ])('rejects %s', (_what, uri) => {
    expect(parseS3Location(uri)).toBeUndefined();
  });

  it('keys live under the prefix, or at the root without one', () => {
    expect(keyOf({ bucket: 'b', prefix: 'p/q' }, 'r/x')).toBe('p/q/r/x');
    expect(keyOf({ bucket: 'b', prefix: '' }, 'r/x')).toBe('r/x');
  });

  it('cloud archives are told from paths by their scheme', () => {
    expect(['s3://b', 'az://c', 'gs://d', '/mnt/b'].map(isCloudArchive)).toEqual([true, true, true, false]);
  });
});
