import { parseDurationMs } from '../../crds/duration.ts';
import type { BackupServiceResource } from '../resources.ts';
import type { ReadonlyDeep } from '../runtime/index.ts';

/** The shortest poll interval honoured, also for objects admitted before the CRD enforced it. */
const MIN_POLL_MS = 1_000;

/**
 * How often a BackupService is polled (pure): its spec.pollInterval, else `fallbackMs` (the
 * operator's --service-poll-interval), never under 1 s.
 */
export function servicePollIntervalMs(
  service: ReadonlyDeep<Pick<BackupServiceResource, 'spec'>> | Pick<BackupServiceResource, 'spec'>,
  fallbackMs: number,
): number {
  let ms = fallbackMs;
  const set = service.spec.pollInterval;
  if (set !== undefined) {
    try {
      ms = parseDurationMs(set);
    } catch {
      // A malformed value (an old object) polls at the operator's default.
    }
  }
  return Math.max(MIN_POLL_MS, ms);
}

/** The poll interval in effect for the BackupService at `key`; `fallbackMs` while it is not cached. */
export function servicePollIntervalAt(
  services: { get(key: string): ReadonlyDeep<Pick<BackupServiceResource, 'spec'>> | undefined },
  key: string,
  fallbackMs: number,
): number {
  const service = services.get(key);
  return service ? servicePollIntervalMs(service, fallbackMs) : fallbackMs;
}
