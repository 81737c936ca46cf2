import { createHash } from 'node:crypto';
import { metaTime } from '../runtime/index.ts';

/**
 * An answer of the external API that the same request would get again: written to status as a
 * `Stalled` condition, never retried hot. `recheckAfterMs` is for refusals the user can fix outside
 * the spec (credentials, a role, a bucket created later): the action is tried once more after it.
 */
export interface Refusal {
  /** Condition reason (CamelCase, stable). */
  reason: string;
  message: string;
  recheckAfterMs?: number | undefined;
  /**
   * Nothing is wrong with the request: it waits for another object (whose change re-enqueues this
   * one), so the reconcile ends quietly instead of as a TerminalError.
   */
  waiting?: boolean | undefined;
}

/** The persisted form of a refusal (`status.refusal`): survives restarts and leader handover. */
export interface RefusalRecord {
  generation: number;
  action: string;
  observed: string;
  reason: string;
  message: string;
  time: string;
  recheckAt?: string | undefined;
}

/** What an action is decided from: the refusal of the same triple stands for the action. */
export interface RefusalKey {
  generation: number;
  action: string;
  /** Digest of the observation (see {@link observationDigest}). */
  observed: string;
}

/** A short, stable digest of what was observed; a change of it means "the world moved: try again". */
export function observationDigest(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(value ?? null))
    .digest('hex')
    .slice(0, 32);
}

/** The longest wait between two re-checks of a refusal that keeps being refused. */
export const MAX_RECHECK_MS = 60 * 60_000;

/**
 * The record of a refusal of `key` at `nowMs` (pure). A re-check refused again for the same key and
 * reason waits twice as long as the last one (up to an hour), so a refusal that stands costs a
 * logarithmic number of requests and status writes, not one per re-check interval.
 */
export function refusalRecord(
  key: RefusalKey,
  refusal: Refusal,
  nowMs: number,
  previous?: RefusalRecord | undefined,
): RefusalRecord {
  let recheckMs = refusal.recheckAfterMs;
  if (
    recheckMs !== undefined &&
    previous?.recheckAt &&
    sameKey(previous, key) &&
    previous.reason === refusal.reason
  ) {
    const last = Date.parse(previous.recheckAt) - Date.parse(previous.time);
    if (last > 0) recheckMs = Math.min(MAX_RECHECK_MS, Math.max(recheckMs, 2 * last));
  }
  return {
    ...key,
    reason: refusal.reason,
    message: refusal.message,
    time: metaTime(new Date(nowMs)),
    ...(recheckMs !== undefined ? { recheckAt: metaTime(new Date(nowMs + recheckMs)) } : {}),
  };
}

const sameKey = (record: RefusalRecord, key: RefusalKey) =>
  record.generation === key.generation && record.action === key.action && record.observed === key.observed;

/** What the memory says about sending the action of `key` now. */
export type RefusalVerdict =
  /** Nothing remembered for this generation, action and observation: send. */
  | { kind: 'send' }
  /** Refused before and nothing changed: do not send; look again after `recheckInMs` (or on a change). */
  | { kind: 'refused'; record: RefusalRecord; recheckInMs?: number };

/**
 * Whether a remembered refusal stands for `key` (pure). It stands for the same generation, action
 * and observation until its re-check time; a refusal without one stands until something changes.
 */
export function rememberedRefusal(
  record: RefusalRecord | undefined,
  key: RefusalKey,
  nowMs: number,
): RefusalVerdict {
  if (!record) return { kind: 'send' };
  if (
    record.generation !== key.generation ||
    record.action !== key.action ||
    record.observed !== key.observed
  )
    return { kind: 'send' };
  if (record.recheckAt === undefined) return { kind: 'refused', record };
  const at = Date.parse(record.recheckAt);
  if (Number.isNaN(at) || nowMs >= at) return { kind: 'send' };
  return { kind: 'refused', record, recheckInMs: at - nowMs };
}
