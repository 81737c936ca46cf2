import type { ObservedRepository } from '../cluster-observations.ts';

/** How many finished-but-not-yet-in-history looks a started task gets before we stop following it. */
export const FOLLOW_LOOKS = 20;

/**
 * In-memory knowledge of one object, tied to its UID (a recreated object with the same name starts
 * afresh). Losing it (restart) costs one extra history/info read and, for a repository created a
 * moment before the restart and not yet in a poll, an `Adopted` Event beside its `Created` one;
 * refusals live in status.refusal, trigger intents in status.triggers.
 */
export interface RepositoryMemo {
  uid: string;
  /** What history/info were last read for (generation and repository entry; see status.detailsDigest). */
  detailsDigest?: string;
  /** Our own read after a write, newer than the shared observation until the next poll. */
  direct?: { at: number; observed: ObservedRepository | undefined };
  /** When this process last sent a write for the repository (its answer may have been lost). */
  lastWriteAt?: number;
  /**
   * When this process created the repository, if it started nothing on it since: until history
   * and info are first read (or something is started), and for a minute at most, both are known
   * empty without asking.
   */
  createdEmptyAt?: number | undefined;
  /** When this process created the repository, until a poll shows it. */
  awaitingPollSince?: number | undefined;
  /** This process created the repository (the first status that shows it is no adoption). */
  createdHere?: boolean;
  /** One-off tasks this process started and has not yet seen in task history, with looks left. */
  following: Map<string, number>;
}

/** Memos by object key, reset when the key's UID changes. */
export function createMemos() {
  const memos = new Map<string, RepositoryMemo>();
  return {
    /** The memo of `key` for the object with `uid` (a fresh one for a new UID). */
    of(key: string, uid: string): RepositoryMemo {
      let m = memos.get(key);
      if (!m || m.uid !== uid) {
        m = { uid, following: new Map() };
        memos.set(key, m);
      }
      return m;
    },
    forget(key: string): void {
      memos.delete(key);
    },
  };
}

/** Names of the tasks running on a repository entry (pure). */
export const runningNames = (o: ObservedRepository | undefined): Set<string> =>
  new Set([
    ...Object.keys(o?.repository.running_tasks ?? {}),
    ...Object.keys(o?.repository.running_one_off ?? {}),
  ]);

/**
 * Counts down the followed tasks that no longer run (pure on the map): a task that left the running
 * set has finished and shows in history a moment later; returns whether any did.
 */
export function countDownFinished(following: Map<string, number>, running: ReadonlySet<string>): boolean {
  let finished = false;
  for (const [name, looks] of following) {
    if (running.has(name)) continue;
    finished = true;
    if (looks <= 1) following.delete(name);
    else following.set(name, looks - 1);
  }
  return finished;
}
