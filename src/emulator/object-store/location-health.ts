/**
 * Location checks of object-store repositories. The service's leader checks that repository
 * locations stay reachable (docs/backup-service-api.md §1.5, the `backup_location_check` stat) and
 * reports a failing one in the repository's health; here every object-store request is such a
 * check, and a prober repeats it for repositories nobody uses.
 */
import type { OpenArchiveOptions } from '../data/contract.ts';
import type { RepositoryRecord } from '../model.ts';
import type { ServiceStore } from '../store.ts';
import { checkCloudLocation } from './cloud-archive.ts';

/** The health a failed location check gives. */
export const locationHealth = (issue: string): { healthy: false; health_issue: string } => ({
  healthy: false,
  health_issue: `cannot access archive location: ${issue}`,
});

/** Records the outcome of a location check on the repository (persisted only when it changes). */
export function recordLocationCheck(store: ServiceStore, key: string, issue: string | undefined): void {
  const rec = store.repositories.get(key);
  if (rec === undefined || rec.cloud_access === undefined || rec.location_issue === issue) return;
  if (issue === undefined) delete rec.location_issue;
  else rec.location_issue = issue;
  store.saveRepository(rec);
}

/** The object-store part of opening a repository's archive: access, and checks reported on the record. */
export function cloudOpenOptions(
  rec: RepositoryRecord,
  store: ServiceStore,
): Pick<OpenArchiveOptions, 'cloud' | 'onLocationCheck'> {
  if (rec.cloud_access === undefined) return {};
  const key = rec.key;
  return { cloud: rec.cloud_access, onLocationCheck: (issue) => recordLocationCheck(store, key, issue) };
}

export interface LocationProber {
  /** Checks every object-store repository once. */
  checkAll(): Promise<void>;
  stop(): void;
}

/** Checks the locations of object-store repositories every `intervalMs` real milliseconds (0 = never). */
export function startLocationProber(store: ServiceStore, intervalMs: number): LocationProber {
  let running: Promise<void> | undefined;
  const checkAll = (): Promise<void> => {
    running ??= (async () => {
      for (const rec of [...store.repositories.values()]) {
        if (rec.cloud_access === undefined) continue;
        const issue = await checkCloudLocation({
          archive: rec.archive,
          repo: rec.repo,
          create: false,
          cloud: rec.cloud_access,
        });
        recordLocationCheck(store, rec.key, issue);
      }
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = intervalMs > 0 ? setInterval(() => void checkAll().catch(() => {}), intervalMs) : undefined;
  timer?.unref();
  return {
    checkAll,
    stop: () => {
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
