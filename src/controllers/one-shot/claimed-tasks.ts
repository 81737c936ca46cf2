/** What a one-shot resource contributes: its key (`runs/<name>`, `restores/<name>`) and recorded task. */
export interface OneShotClaim {
  key: string;
  taskName?: string | undefined;
}

/** The trigger echoes of a BackupRepository's status (the tasks its trigger tokens started). */
export interface TriggerEchoes {
  backup?: { taskName?: string | undefined } | undefined;
  merge?: { taskName?: string | undefined } | undefined;
}

/**
 * Task names that belong to something other than the resource `except` (pure): recorded by another
 * BackupRun or BackupRestore, or echoed by a BackupRepository trigger token. Adoption never picks
 * one of these, so a crashed run cannot take over a trigger's backup (or another run's) as its own.
 */
export function claimedTaskNames(
  oneShots: Iterable<OneShotClaim>,
  repositoryTriggers: Iterable<TriggerEchoes | undefined>,
  except: string,
): Set<string> {
  const names = new Set<string>();
  for (const o of oneShots) if (o.key !== except && o.taskName) names.add(o.taskName);
  for (const t of repositoryTriggers) {
    for (const echo of [t?.backup, t?.merge]) if (echo?.taskName) names.add(echo.taskName);
  }
  return names;
}
