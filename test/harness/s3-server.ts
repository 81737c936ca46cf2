import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const script = fileURLToPath(new URL('../../scripts/s3-server.sh', import.meta.url));

let binary: Promise<string> | undefined;

/** The S3 server executable (built once from the Go module proxy by scripts/s3-server.sh). */
export function s3ServerBinary(): Promise<string> {
  binary ??= promisify(execFile)('bash', [script], { env: process.env, maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout }) => {
      const path = stdout.trim().split('\n').at(-1);
      if (!path) throw new Error(`${script} printed no path`);
      return path;
    },
  );
  return binary;
}

/** Credentials the test S3 server accepts (its access key check) and the region tests use. */
export const S3_ACCESS = {
  accessKeyId: 'cbbs-test-key',
  secretAccessKey: 'cbbs-test-secret',
  region: 'us-east-1',
};

/** A real S3 implementation (gofakes3) on a loopback port. */
export interface TestS3Server {
  /** http://127.0.0.1:<port>, the `cloud_endpoint` of repositories. */
  readonly url: string;
  readonly port: number;
  /** An SDK client with {@link S3_ACCESS}, path-style. */
  readonly client: S3Client;
  createBucket(name: string): Promise<void>;
  /** Keys under `prefix` in `bucket`. */
  keys(bucket: string, prefix?: string): Promise<string[]>;
  /** Stops the server: the storage becomes unreachable (connection refused). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same objects (when started with `dbFile`). */
  start(): Promise<void>;
  /** Stores an object (e.g. to make a prefix non-empty). */
  put(bucket: string, key: string, body: string): Promise<void>;
  /** Stops the server and the client. */
  close(): Promise<void>;
}

/**
 * Starts the S3 server. `dbFile` keeps objects across stop/start (bolt file); without it they live
 * in memory and a stop loses them.
 */
export async function startS3Server(opts: { dbFile?: string; port?: number } = {}): Promise<TestS3Server> {
  const bin = await s3ServerBinary();
  let child: ChildProcess | undefined;
  let port = opts.port ?? 0;
  const launch = async (): Promise<void> => {
    const args = ['-addr', `127.0.0.1:${port}`, '-access-key', S3_ACCESS.accessKeyId];
    if (opts.dbFile !== undefined) args.push('-db', opts.dbFile);
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`s3-server did not start: ${stderr}`)), 10_000);
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`s3-server exited (${code ?? signal}): ${stderr}`));
      });
    });
  };
  await launch();
  const url = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: S3_ACCESS.region,
    endpoint: url,
    forcePathStyle: true,
    credentials: { accessKeyId: S3_ACCESS.accessKeyId, secretAccessKey: S3_ACCESS.secretAccessKey },
  });
  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  };
  return {
    url,
    port,
    client,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    keys: async (bucket, prefix) => {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            ...(prefix ? { Prefix: prefix } : {}),
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const o of page.Contents ?? []) if (o.Key) out.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out.sort();
    },
    stop,
    start: async () => {
      if (child === undefined) await launch();
    },
    put: async (bucket, key, body) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    close: async () => {
      await stop();
      client.destroy();
    },
  };
}
