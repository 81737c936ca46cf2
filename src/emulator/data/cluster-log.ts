/**
 * Durable storage of the emulated cluster: one append-only JSON-lines file per cluster.
 *
 * Why a log and not a rewrite per write: an upsert must be durable when it is acknowledged (kill -9
 * keeps it), and rewriting every document on every write is quadratic. Appending one line with
 * `fs.appendFileSync` puts the write in the kernel's page cache before the call returns, which
 * survives the death of the process (not of the machine: no fsync, on purpose, for speed). A crash
 * in the middle of an append can only tear the last line, which loading ignores. The log is
 * compacted by writing a snapshot to a temporary file and renaming it over the log (atomic on POSIX),
 * once the log holds many more lines than live state.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DataError } from './errors.ts';

export const documentRecordSchema = z.object({
  bucket: z.string(),
  scope: z.string(),
  collection: z.string(),
  key: z.string(),
  value: z.unknown(),
  expiry: z.number(),
  flags: z.number(),
  cas: z.string(),
  revision: z.number(),
  deleted: z.boolean(),
});

const bucketTypeSchema = z.enum(['couchbase', 'ephemeral', 'memcached']);

export const logEntrySchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('meta'), uuid: z.string() }),
  z.object({
    op: z.literal('bucket'),
    name: z.string(),
    bucketType: bucketTypeSchema,
    ramQuotaMB: z.number(),
    uuid: z.string(),
    /** Highest CAS ever issued in the bucket (survives dropped collections). */
    lastCas: z.string(),
    nextUid: z.number(),
  }),
  z.object({ op: z.literal('dropBucket'), name: z.string() }),
  z.object({ op: z.literal('scope'), bucket: z.string(), name: z.string(), uid: z.number() }),
  z.object({
    op: z.literal('collection'),
    bucket: z.string(),
    scope: z.string(),
    name: z.string(),
    uid: z.number(),
    maxTTL: z.number(),
  }),
  z.object({ op: z.literal('dropCollection'), bucket: z.string(), scope: z.string(), name: z.string() }),
  z.object({ op: z.literal('doc'), record: documentRecordSchema }),
]);

export type LogEntry = z.infer<typeof logEntrySchema>;

/** The open log of one cluster directory. */
export interface ClusterLog {
  /** Lines appended since the last compaction (or load). */
  readonly lines: number;
  append(entry: LogEntry): void;
  /** Atomically replaces the log with `snapshot`. */
  compact(snapshot: Iterable<LogEntry>): void;
}

const LOG_FILE = 'cluster-data.jsonl';

/** Opens (creating when missing) the log in `dir` and returns its entries in write order. */
export function openClusterLog(dir: string): { entries: LogEntry[]; log: ClusterLog } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOG_FILE);
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { entries, validChars } = parseLog(text, path);
  let lines = entries.length;
  // Cut off a torn last line (crash mid-append) so that the next append starts on a clean line.
  if (validChars < text.length) truncateSync(path, Buffer.byteLength(text.slice(0, validChars)));

  const log: ClusterLog = {
    get lines() {
      return lines;
    },
    append(entry) {
      appendFileSync(path, `${JSON.stringify(entry)}\n`);
      lines += 1;
    },
    compact(snapshot) {
      const parts: string[] = [];
      for (const entry of snapshot) parts.push(JSON.stringify(entry));
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, parts.length > 0 ? `${parts.join('\n')}\n` : '');
      renameSync(tmp, path);
      lines = parts.length;
    },
  };
  return { entries, log };
}

/** Entries of the log text, and how many leading characters of it are whole, valid lines. */
function parseLog(text: string, path: string): { entries: LogEntry[]; validChars: number } {
  const rawLines = text.split('\n');
  // The piece after the last newline is a write cut short by a crash (never acknowledged): dropped.
  rawLines.pop();
  const entries: LogEntry[] = [];
  let validChars = 0;
  for (const [i, line] of rawLines.entries()) {
    validChars += line.length + 1;
    if (line.length === 0) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new DataError('INVALID_ARGUMENT', `corrupt cluster log ${path} at line ${i + 1}`);
    }
    const result = logEntrySchema.safeParse(parsed);
    if (!result.success)
      throw new DataError('INVALID_ARGUMENT', `corrupt cluster log ${path} at line ${i + 1}`);
    entries.push(result.data);
  }
  return { entries, validChars };
}
