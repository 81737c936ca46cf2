import type { ControllerDeps } from '../operator.ts';

/**
 * The shortest time between two polls of one service, however many repositories ask for a fresh
 * look (each write to a repository does): a burst of N writes costs a poll per floor, not N polls.
 */
export const POLL_FLOOR_MS = 1_000;

/** How long a poll asked for now waits for the floor after the poll that started at `lastPollAt` (pure). */
export function pollRequestDelayMs(
  lastPollAt: number | undefined,
  nowMs: number,
  floorMs = POLL_FLOOR_MS,
): number {
  return lastPollAt === undefined ? 0 : Math.max(0, lastPollAt + floorMs - nowMs);
}

/**
 * Asks for a fresh poll of the BackupService at `serviceKey`, queued for when the floor lets it
 * through. Queued at once, each of a burst of writes started a reconcile of the service that its
 * gate turned away (about one per repository created in a cold sync); the delaying queue keeps one
 * pending entry per service instead.
 */
export function requestServicePoll(
  deps: Pick<ControllerDeps, 'kinds' | 'observations' | 'clock'>,
  serviceKey: string,
): void {
  const wait = pollRequestDelayMs(deps.observations.get(serviceKey)?.at, deps.clock.now());
  if (wait > 0) deps.kinds.services.enqueueAfter(serviceKey, wait);
  else deps.kinds.services.enqueue(serviceKey);
}
