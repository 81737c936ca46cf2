import type { TaskRun } from '../../backup-api/index.ts';
import { normalizeClusterAddress } from './cluster-address.ts';

/**
 * How far the Backup Service's clock may be behind the operator's: a task whose start is this much
 * earlier than the recorded intent still counts as a candidate.
 */
export const CLOCK_SKEW_MARGIN_MS = 60_000;
/**
 * How long after an intent (`sentAt`) a request may still reach the service and show up as a task.
 * Before that, finding nothing proves nothing; after it, nothing found means the request never
 * arrived (the service registers a one-off task before it answers).
 *
 * Invariant this rests on: no trigger request is in flight later than `sentAt + DELIVERY_GRACE_MS / 2`
 * ({@link SEND_WINDOW_MS}, see `send-window.ts`): the send is aborted then, however many nodes and
 * connect timeouts the transport is still working through. The other half covers the network and
 * the service's registration of the task.
 */
export const DELIVERY_GRACE_MS = 20_000;
/** How long after `sentAt` a trigger request may be sent at all (half the delivery grace). */
export const SEND_WINDOW_MS = DELIVERY_GRACE_MS / 2;
/**
 * Beyond this age of an intent, an absent task may have rotated out of the task history, so
 * absence no longer proves the request was never delivered.
 */
export const HISTORY_TRUST_MS = 24 * 3_600_000;

/** What identifies our task among the tasks of a repository. */
export interface TaskMatcher {
  /** `BACKUP`, `MERGE` or `RESTORE`. */
  type: string;
  /** Restores: the target cluster address the request named. */
  target?: string | undefined;
}

/** Inputs of {@link findCandidates}. */
export interface CandidateInput {
  matcher: TaskMatcher;
  /** When the intent was recorded (ms). */
  sentAtMs: number;
  /** Running one-off tasks of the repository. */
  running: readonly TaskRun[];
  /** Task history entries (newest first). */
  history: readonly TaskRun[];
  /** Task names that belong to something else: plan tasks of the repository, names other resources recorded. */
  excluded: ReadonlySet<string>;
}

/** Names of the tasks that could be the one our intent sent (pure; deduplicated, in order). */
export function findCandidates(input: CandidateInput): string[] {
  const earliest = input.sentAtMs - CLOCK_SKEW_MARGIN_MS;
  const target =
    input.matcher.target === undefined ? undefined : normalizeClusterAddress(input.matcher.target);
  const names: string[] = [];
  for (const run of [...input.running, ...input.history]) {
    if (names.includes(run.task_name) || input.excluded.has(run.task_name)) continue;
    if (run.type.toUpperCase() !== input.matcher.type) continue;
    const start = Date.parse(run.start);
    if (Number.isNaN(start) || start < earliest) continue;
    if (target !== undefined && normalizeClusterAddress(run.target_cluster ?? '') !== target) continue;
    names.push(run.task_name);
  }
  return names;
}

/** What to do about an intent that has no task name yet. */
export type AdoptionDecision =
  | { kind: 'adopt'; taskName: string }
  | { kind: 'wait'; untilMs: number }
  | { kind: 'resend' }
  | { kind: 'unknown'; why: 'several-candidates' | 'history-too-old'; candidates: string[] };

/**
 * Decides about an intent without a task name (pure). One candidate is ours. Nothing yet, or
 * several, may still settle while the request can be in flight or its sender is about to record
 * the name, so wait out the delivery grace. After it: nothing means the request never arrived
 * (send again) unless the history may have rotated; several stay ambiguous and need the user.
 */
export function decideAdoption(args: {
  candidates: readonly string[];
  sentAtMs: number;
  nowMs: number;
}): AdoptionDecision {
  const { candidates, sentAtMs, nowMs } = args;
  const graceEnd = sentAtMs + DELIVERY_GRACE_MS;
  if (candidates.length === 1) return { kind: 'adopt', taskName: candidates[0] as string };
  if (nowMs < graceEnd) return { kind: 'wait', untilMs: graceEnd };
  if (candidates.length > 1)
    return { kind: 'unknown', why: 'several-candidates', candidates: [...candidates] };
  if (nowMs - sentAtMs > HISTORY_TRUST_MS) return { kind: 'unknown', why: 'history-too-old', candidates: [] };
  return { kind: 'resend' };
}
