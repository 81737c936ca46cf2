/**
 * The S3 API calls the emulator makes, through the official AWS SDK for JavaScript. The SDK is a
 * development dependency: it is imported on first use of an object-store repository only, so the
 * production image (which lacks it) starts and serves filesystem repositories without it.
 */
import { DATA_ERROR_CODES } from '../data/contract.ts';
import { DataError } from '../data/errors.ts';
import { keyOf, type ObjectStoreAccess, type S3Location } from './access.ts';

type Sdk = typeof import('@aws-sdk/client-s3');

/** A failed object-store request: the location is unreachable or refuses us. */
export class ObjectStoreError extends DataError {
  constructor(message: string) {
    super(DATA_ERROR_CODES.archiveUnusable, message);
    this.name = 'ObjectStoreError';
  }
}

/** One object as listed: its ETag (quotes stripped) and size. */
export interface ListedObject {
  etag: string;
  size: number;
}

/** The object-store operations of one archive location; keys are relative to its prefix. */
export interface ObjectStore {
  readonly uri: string;
  /** Every object under `rel` (a directory-like prefix ending in '/', or '' for the whole archive). */
  list(rel: string, limit?: number): Promise<Map<string, ListedObject>>;
  exists(rel: string): Promise<boolean>;
  get(rel: string): Promise<Buffer>;
  /** Stores `body`; returns its ETag. */
  put(rel: string, body: Buffer): Promise<string>;
  delete(rel: string): Promise<void>;
  /** Stops the client's connection pool. */
  close(): void;
}

let sdk: Promise<Sdk> | undefined;

async function loadSdk(): Promise<Sdk> {
  sdk ??= import('@aws-sdk/client-s3');
  try {
    return await sdk;
  } catch (err) {
    sdk = undefined;
    throw new ObjectStoreError(
      `object-store repositories need the package @aws-sdk/client-s3, which is not installed: ${(err as Error).message}`,
    );
  }
}

const stripQuotes = (etag: string | undefined): string => (etag ?? '').replace(/^"|"$/g, '');

/** Connects to the object store of an S3 location (no request is made yet). */
export async function connectObjectStore(loc: S3Location, access: ObjectStoreAccess): Promise<ObjectStore> {
  const s3 = await loadSdk();
  const uri = `s3://${loc.bucket}${loc.prefix === '' ? '' : `/${loc.prefix}`}`;
  let client: InstanceType<Sdk['S3Client']>;
  try {
    client = new s3.S3Client({
      region: access.region,
      ...(access.endpoint === undefined ? {} : { endpoint: access.endpoint }),
      forcePathStyle: access.forcePathStyle,
      credentials: { accessKeyId: access.accessKeyId, secretAccessKey: access.secretAccessKey },
      // cbbackupmgr retries too, but a task must fail in seconds, not minutes, when storage is gone.
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 30_000 },
      // S3-compatible stores do not all know the SDK's default CRC checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  } catch (err) {
    throw new ObjectStoreError(`cannot use object store for ${uri}: ${(err as Error).message}`);
  }
  const fail = (op: string, rel: string, err: unknown): ObjectStoreError =>
    new ObjectStoreError(`failed to ${op} s3://${loc.bucket}/${keyOf(loc, rel)}: ${describe(err)}`);
  const isNotFound = (err: unknown): boolean => {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
  };

  return {
    uri,
    async list(rel, limit) {
      const out = new Map<string, ListedObject>();
      const base = keyOf(loc, rel);
      // Listing the bucket root needs no prefix; a key prefix always ends with '/'.
      const prefix = loc.prefix === '' && rel === '' ? undefined : rel === '' ? `${loc.prefix}/` : base;
      let token: string | undefined;
      try {
        do {
          const page = await client.send(
            new s3.ListObjectsV2Command({
              Bucket: loc.bucket,
              ...(prefix === undefined ? {} : { Prefix: prefix }),
              ...(token === undefined ? {} : { ContinuationToken: token }),
              ...(limit === undefined ? {} : { MaxKeys: limit }),
            }),
          );
          for (const o of page.Contents ?? []) {
            if (o.Key === undefined) continue;
            const relKey = loc.prefix === '' ? o.Key : o.Key.slice(loc.prefix.length + 1);
            out.set(relKey, { etag: stripQuotes(o.ETag), size: o.Size ?? 0 });
          }
          token = page.IsTruncated && limit === undefined ? page.NextContinuationToken : undefined;
        } while (token !== undefined);
      } catch (err) {
        throw fail('list', rel, err);
      }
      return out;
    },
    async exists(rel) {
      try {
        await client.send(new s3.HeadObjectCommand({ Bucket: loc.bucket, Key: keyOf(loc, rel) }));
        return true;
      } catch (err) {
        if (isNotFound(err) && !isMissingBucket(err)) return false;
        throw fail('read', rel, err);
      }
    },
    async get(rel) {
      try {
        const res = await client.send(new s3.GetObjectCommand({ Bucket: loc.bucket, Key: keyOf(loc, rel) }));
        if (res.Body === undefined) return Buffer.alloc(0);
        return Buffer.from(await res.Body.transformToByteArray());
      } catch (err) {
        throw fail('read', rel, err);
      }
    },
    async put(rel, body) {
      try {
        const res = await client.send(
          new s3.PutObjectCommand({ Bucket: loc.bucket, Key: keyOf(loc, rel), Body: body }),
        );
        return stripQuotes(res.ETag);
      } catch (err) {
        throw fail('write', rel, err);
      }
    },
    async delete(rel) {
      try {
        await client.send(new s3.DeleteObjectCommand({ Bucket: loc.bucket, Key: keyOf(loc, rel) }));
      } catch (err) {
        throw fail('delete', rel, err);
      }
    },
    close: () => client.destroy(),
  };
}

// HEAD answers carry no body: a 404 may be the bucket rather than the key.
function isMissingBucket(err: unknown): boolean {
  return (err as { name?: string }).name === 'NoSuchBucket';
}

/** The reason of a failed request as cbbackupmgr would print it: the S3 error code and message, or the network error. */
export function describe(err: unknown): string {
  const e = err as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    errors?: unknown[];
  };
  const status = e.$metadata?.httpStatusCode;
  // Connection failures surface as Node system errors (ECONNREFUSED…), sometimes wrapped in an AggregateError.
  const inner = (e.errors?.[0] ?? err) as { code?: string; message?: string };
  if (status === undefined && (e.code !== undefined || inner.code !== undefined)) {
    return `${inner.code ?? e.code}: ${inner.message ?? e.message ?? 'request failed'}`;
  }
  const name = e.name && e.name !== 'Error' ? e.name : 'Error';
  const text = e.message && e.message !== name ? `: ${e.message}` : '';
  return `${name}${text}${status === undefined ? '' : ` (status code ${status})`}`;
}
