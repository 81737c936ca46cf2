import type { ExamineResult } from '../backup-api/index.ts';

/** One backup's view of a document, whichever examine shape the server used. */
export interface DocumentVersion {
  backup: string;
  /** created, changed, unchanged, deleted, absent: compared with the backup before. */
  change: 'created' | 'changed' | 'unchanged' | 'deleted' | 'absent';
  present: boolean;
  deleted: boolean;
  cas?: string | undefined;
  revision?: number | undefined;
  expiry?: number | undefined;
  flags?: number | undefined;
  value?: unknown;
}

interface RawVersion {
  backup: string;
  found: boolean;
  deleted: boolean;
  metadata?:
    | {
        cas?: number | string | undefined;
        revseqno?: number | undefined;
        expiry?: number | undefined;
        flags?: number | undefined;
      }
    | undefined;
  value?: unknown;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function rawVersions(result: ExamineResult): RawVersion[] {
  if (result.shape === 'documents') {
    return result.documents.map((d) => ({
      backup: d.backup,
      found: true,
      deleted: d.deleted === true,
      metadata: d.metadata,
      value: d.value,
    }));
  }
  return result.entries.map((e) => {
    const doc = e.document ? asRecord(e.document) : undefined;
    const event = (e as Record<string, unknown>).event_type;
    const deleted = doc?.deleted === true || event === 'deletion';
    return {
      backup: e.backup ?? '?',
      found: doc !== undefined && event !== 'not_found',
      deleted,
      metadata: asRecord(doc?.metadata) as RawVersion['metadata'],
      value: doc?.value,
    };
  });
}

/**
 * The document's versions across backups, oldest first, each marked with how it differs from the
 * backup before (by CAS, else revision, else value): the answer to "when did this document change".
 * An incremental backup holds only what changed, so a document missing from one is unchanged
 * (`isIncremental` tells which backups are incremental; unknown backups count as full).
 */
export function documentVersions(
  result: ExamineResult,
  isIncremental: (backup: string) => boolean = () => false,
): DocumentVersion[] {
  const out: DocumentVersion[] = [];
  let previous: RawVersion | undefined;
  for (const raw of rawVersions(result)) {
    if (!raw.found && previous?.found && isIncremental(raw.backup)) {
      out.push({
        ...carried(previous),
        backup: raw.backup,
        change: previous.deleted ? 'absent' : 'unchanged',
      });
      continue;
    }
    const cas = raw.metadata?.cas === undefined ? undefined : String(raw.metadata.cas);
    let change: DocumentVersion['change'];
    if (!raw.found) change = 'absent';
    else if (raw.deleted) change = 'deleted';
    else if (!previous?.found || previous.deleted) change = 'created';
    else change = sameVersion(previous, raw) ? 'unchanged' : 'changed';
    out.push({
      backup: raw.backup,
      change,
      present: raw.found && !raw.deleted,
      deleted: raw.deleted,
      cas,
      revision: raw.metadata?.revseqno,
      expiry: raw.metadata?.expiry,
      flags: raw.metadata?.flags,
      ...(raw.found && !raw.deleted ? { value: raw.value } : {}),
    });
    previous = raw;
  }
  return out;
}

function sameVersion(a: RawVersion, b: RawVersion): boolean {
  if (a.metadata?.cas !== undefined && b.metadata?.cas !== undefined)
    return String(a.metadata.cas) === String(b.metadata.cas);
  if (a.metadata?.revseqno !== undefined && b.metadata?.revseqno !== undefined)
    return a.metadata.revseqno === b.metadata.revseqno;
  return JSON.stringify(a.value) === JSON.stringify(b.value);
}

/** The state an incremental backup without the document leaves in place (the value is not repeated). */
function carried(previous: RawVersion): Omit<DocumentVersion, 'backup' | 'change'> {
  return {
    present: !previous.deleted,
    deleted: previous.deleted,
    cas: previous.metadata?.cas === undefined ? undefined : String(previous.metadata.cas),
    revision: previous.metadata?.revseqno,
    expiry: previous.metadata?.expiry,
    flags: previous.metadata?.flags,
  };
}
