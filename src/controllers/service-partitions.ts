import type { KindName, KindReflectors } from './kinds.ts';
import type { BackupRepositoryResource } from './resources.ts';
import { type ReadonlyStore, splitKey } from './runtime/index.ts';

/** A key's work-queue partition: the key (`namespace/name`) of the BackupService it talks to. */
export type PartitionOf = (key: string) => string | undefined;

/** Where a run or restore finds its repository: a service of its own or a BackupRepository. */
interface RepositorySource {
  readonly serviceRef?: { readonly name: string } | undefined;
  readonly repositoryRef?: { readonly name: string } | undefined;
}

/** The service key of a run's or restore's source, through its repository when it names one (pure). */
export function sourceServiceKey(
  namespace: string,
  source: RepositorySource,
  repositories: Pick<ReadonlyStore<BackupRepositoryResource>, 'get'>,
): string | undefined {
  if (source.serviceRef) return `${namespace}/${source.serviceRef.name}`;
  if (!source.repositoryRef) return undefined;
  const repository = repositories.get(`${namespace}/${source.repositoryRef.name}`);
  return repository ? `${namespace}/${repository.spec.serviceRef.name}` : undefined;
}

/**
 * The partition function of one kind's work queue: the BackupService its objects talk to, read
 * from the caches, so that a slow or unreachable service can hold only some of the kind's
 * workers. BackupServices themselves, and objects not cached (deleted, or whose repository is not
 * known yet), are not partitioned. The caches are read when a key is handed out, so `reflectors`
 * may be filled after this is called.
 */
export function servicePartitionOf(kind: KindName, reflectors: KindReflectors): PartitionOf | undefined {
  const own = (key: string, serviceName: string | undefined) =>
    serviceName === undefined ? undefined : `${splitKey(key).namespace}/${serviceName}`;
  switch (kind) {
    case 'services':
      return undefined;
    case 'plans':
      return (key) => own(key, reflectors.plans.store.get(key)?.spec.serviceRef.name);
    case 'repositories':
      return (key) => own(key, reflectors.repositories.store.get(key)?.spec.serviceRef.name);
    case 'runs':
      return (key) => {
        const run = reflectors.runs.store.get(key);
        return (
          run && sourceServiceKey(splitKey(key).namespace, run.spec.repository, reflectors.repositories.store)
        );
      };
    case 'restores':
      return (key) => {
        const restore = reflectors.restores.store.get(key);
        return (
          restore &&
          sourceServiceKey(splitKey(key).namespace, restore.spec.source, reflectors.repositories.store)
        );
      };
  }
}

/**
 * Keys of one BackupService a kind's controller may reconcile at once: half its workers, at
 * least one, so that one slow service never holds them all when there are two or more.
 */
export function perServiceBound(workers: number): number {
  return Math.max(1, Math.floor(workers / 2));
}
