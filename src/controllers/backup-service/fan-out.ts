import type { Logger } from 'pino';
import type { BackupClient, ClusterInfo } from '../../backup-api/index.ts';
import { versionGeneration } from '../backup-plan/versions.ts';
import { repositoriesById } from '../cluster-observations.ts';
import type { ControllerDeps } from '../operator.ts';
import type { BackupServiceResource as Service } from '../resources.ts';

/**
 * What a BackupService's poll tells the objects that mirror it: which repositories to look at, and
 * the one plan listing of the service.
 */
export function createServiceFanOut(deps: ControllerDeps) {
  /** Repository ids of the BackupRepositories that use this service (cache only). */
  const declaredIds = (service: Service) =>
    deps.kinds.repositories.store
      .list(service.metadata.namespace ?? '')
      .filter((r) => r.spec.serviceRef.name === service.metadata.name)
      .map((r) => r.spec.repositoryId ?? r.metadata.name);

  /**
   * One `GET /plan` per poll for all BackupPlans of the service (none when it has none): the plans
   * read it from the shared observations, and those whose server plan changed are looked at.
   */
  const listPlans = async (
    service: Service,
    client: BackupClient,
    key: string,
    signal: AbortSignal,
    log: Logger,
  ) => {
    const ns = service.metadata.namespace ?? '';
    const mine = deps.kinds.plans.store
      .list(ns)
      .filter((p) => p.spec.serviceRef.name === service.metadata.name);
    if (mine.length === 0) return;
    let changed: string[];
    const startedAt = deps.clock.now();
    try {
      changed = deps.observations.recordPlans(key, await client.listPlans({ signal }), startedAt);
    } catch (err) {
      // The plans read their own plan while the list is missing or old; the poll itself stands.
      log.warn({ err }, 'could not list plans');
      return;
    }
    for (const p of mine) {
      // Its versions too: a rollout follows each of them appearing and going.
      const base = p.spec.planName ?? p.metadata.name;
      const retiring = p.status?.rollout?.retiring ?? [];
      if (changed.some((n) => versionGeneration(base, n) !== undefined || retiring.includes(n)))
        deps.kinds.plans.enqueue(`${ns}/${p.metadata.name}`);
    }
  };

  /** Every repository of the service, polled or declared (one created since the last poll too). */
  const announceAll = (key: string, info: ClusterInfo | undefined, service: Service) => {
    const polled = info ? [...repositoriesById(info).keys()] : [];
    deps.repositoriesChanged(key, [...new Set([...polled, ...declaredIds(service)])]);
  };

  return { declaredIds, listPlans, announceAll };
}
