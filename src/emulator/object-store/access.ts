/**
 * What the emulator keeps to reach an object-store archive: the location parsed from the
 * repository's `archive` and the cloud fields of create/import. Persisted with the repository
 * (the service stores them too) and never part of a public view.
 */

/** Credentials, region and addressing of one repository's object store. */
export interface ObjectStoreAccess {
  accessKeyId: string;
  /** Secret: never logged, never returned. */
  secretAccessKey: string;
  region: string;
  /** S3-compatible endpoint override, e.g. http://127.0.0.1:9000. */
  endpoint?: string;
  forcePathStyle: boolean;
  /** Local, non-shared directory where the emulator stages the repository's objects. */
  stagingDir: string;
}

/** An `s3://bucket/prefix` archive location. */
export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing slash; '' for the bucket root. */
  prefix: string;
}

/** Archive schemes the service recognises for object stores (couchbase-cli). */
export const CLOUD_SCHEMES = ['s3://', 'az://', 'gs://'] as const;

/** Whether an archive location names an object store rather than a filesystem path. */
export const isCloudArchive = (archive: string): boolean => CLOUD_SCHEMES.some((s) => archive.startsWith(s));

// AWS bucket naming rules: 3-63 lowercase letters, digits, dots and hyphens, alphanumeric at both ends.
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://bucket[/prefix]`; undefined when it is not a usable S3 location. */
export function parseS3Location(archive: string): S3Location | undefined {
  if (!archive.startsWith('s3://')) return undefined;
  const rest = archive.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
  if (!BUCKET_PATTERN.test(bucket)) return undefined;
  const segments = prefix === '' ? [] : prefix.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return undefined;
  return { bucket, prefix };
}

/** The object key of `rel` under the location's prefix. */
export const keyOf = (loc: S3Location, rel: string): string =>
  loc.prefix === '' ? rel : `${loc.prefix}/${rel}`;
