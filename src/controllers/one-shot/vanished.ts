/**
 * True once a followed task has been missing (neither running nor in history) since
 * `missingSinceMs` for at least `limitMs` (pure). A task can be absent from both for a moment
 * while it moves from running to history, so a single miss is not enough.
 */
export function hasVanished(missingSinceMs: number, nowMs: number, limitMs: number): boolean {
  return nowMs - missingSinceMs >= limitMs;
}
