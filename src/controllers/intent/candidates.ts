import type { Repository, TaskRun } from '../../backup-api/index.ts';
import { normalizeClusterAddress } from '../one-shot/cluster-address.ts';
import { CLOCK_SKEW_MARGIN_MS } from './constants.ts';

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

/**
 * The candidates of an intent on one repository (pure): its running one-offs and history, minus
 * the names `claimed` by others and the repository's own plan tasks (scheduled or running).
 */
export function candidatesOn(args: {
  repository: Repository;
  history: readonly TaskRun[];
  matcher: TaskMatcher;
  sentAtMs: number;
  claimed: ReadonlySet<string>;
}): string[] {
  const { repository } = args;
  const excluded = new Set(args.claimed);
  for (const name of Object.keys(repository.scheduled ?? {})) excluded.add(name);
  for (const name of Object.keys(repository.running_tasks ?? {})) excluded.add(name);
  return findCandidates({
    matcher: args.matcher,
    sentAtMs: args.sentAtMs,
    running: Object.values(repository.running_one_off ?? {}),
    history: args.history,
    excluded,
  });
}

/** The history window to read for an intent recorded at `sentAtMs`: from the skew margin on. */
export function historyStart(sentAtMs: number): Date {
  return new Date(sentAtMs - CLOCK_SKEW_MARGIN_MS);
}
