/**
 * Who already owns which task. Adoption never picks a task another resource or trigger token
 * recorded, so a crashed run cannot take over a trigger's backup (or another run's) as its own.
 */

/** One recorded task and its owner, e.g. `runs/<namespace>/<name>` or `repositories/<namespace>/<name>/backup`. */
export interface Claim {
  owner: string;
  taskName?: string | undefined;
}

/** The trigger echoes of a BackupRepository's status (the tasks its trigger tokens started). */
export interface TriggerEchoes {
  backup?: { taskName?: string | undefined; previousTaskName?: string | undefined } | undefined;
  merge?: { taskName?: string | undefined; previousTaskName?: string | undefined } | undefined;
}

interface Meta {
  metadata: { namespace?: string | undefined; name?: string | undefined };
}
type Listing<S> = { store: { list(): readonly (Meta & { status?: S | undefined })[] } };

/** The caches claims are read from (all namespaces: a claim elsewhere never hurts). */
export interface ClaimSources {
  runs: Listing<{ taskName?: string | undefined }>;
  restores: Listing<{ taskName?: string | undefined }>;
  repositories: Listing<{ triggers?: TriggerEchoes | undefined }>;
}

/** Owner key of a BackupRun (`runs`) or BackupRestore (`restores`). */
export function oneShotOwner(kind: 'runs' | 'restores', namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** Owner key of one trigger token of a BackupRepository. */
export function triggerOwner(namespace: string, name: string, kind: keyof TriggerEchoes): string {
  return `repositories/${namespace}/${name}/${kind}`;
}

/**
 * The claims of one BackupRepository's trigger echoes (pure): each token's task, and the task of
 * the token before it, which belongs to that earlier token (never adopted by the current one).
 */
export function triggerClaims(namespace: string, name: string, echoes: TriggerEchoes | undefined): Claim[] {
  return (['backup', 'merge'] as const).flatMap((kind) => [
    { owner: triggerOwner(namespace, name, kind), taskName: echoes?.[kind]?.taskName },
    { owner: `${triggerOwner(namespace, name, kind)}#previous`, taskName: echoes?.[kind]?.previousTaskName },
  ]);
}

/** Every recorded task in the caches, with its owner (pure over the cached objects). */
export function claimsOf(sources: ClaimSources): Claim[] {
  const claims: Claim[] = [];
  for (const kind of ['runs', 'restores'] as const) {
    for (const o of sources[kind].store.list()) {
      const owner = oneShotOwner(kind, o.metadata.namespace ?? '', o.metadata.name ?? '');
      claims.push({ owner, taskName: o.status?.taskName });
    }
  }
  for (const r of sources.repositories.store.list()) {
    claims.push(...triggerClaims(r.metadata.namespace ?? '', r.metadata.name ?? '', r.status?.triggers));
  }
  return claims;
}

/** The ONE claimed-task rule (pure): task names recorded by any owner other than `except`. */
export function claimedTaskNames(claims: Iterable<Claim>, except: string): Set<string> {
  const names = new Set<string>();
  for (const c of claims) if (c.owner !== except && c.taskName) names.add(c.taskName);
  return names;
}
