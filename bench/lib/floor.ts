/**
 * The floor: the least work that turns a created fleet Ready, done by a plain client with the
 * operator's concurrency (W workers per kind). Per BackupService one `GET /cluster/self` and one
 * status merge-patch; per plan one `POST /plan/{name}` and one patch; per repository one
 * `POST /cluster/self/repository/active/{id}` and one patch. Plans and services go first (a
 * repository needs its plan), then the repositories. Objects are created before the clock starts,
 * as they are for the cold sync.
 */
import { createBackupClient } from '../../src/backup-api/index.ts';
import {
  AUTH,
  type FleetShape,
  KINDS,
  PLAN_BODY,
  planManifest,
  planSlots,
  type RepositorySlot,
  repositoryManifest,
  repositorySlots,
  serviceManifest,
  serviceName,
} from './fleet.ts';
import type { KubeRest } from './kube-rest.ts';

/** Floor timings in seconds. */
export interface FloorResult {
  workersPerKind: number;
  servicesAndPlansSeconds: number;
  repositoriesSeconds: number;
  totalSeconds: number;
  calls: { backupService: number; apiServerWrites: number };
}

/** Runs `task` over `items` with `workers` concurrent loops. */
export async function pooled<T>(items: readonly T[], workers: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const loop = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) await task(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, workers) }, loop));
}

/** A Ready status for generation 1, as the operator would write it. */
function readyStatus(): object {
  const now = new Date().toISOString();
  return {
    status: {
      observedGeneration: 1,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Synced',
          message: 'floor',
          lastTransitionTime: now,
          observedGeneration: 1,
        },
      ],
    },
  };
}

/** Creates the floor's objects (untimed) in `namespace`. */
export async function createFloorObjects(
  kube: KubeRest,
  namespace: string,
  shape: FleetShape,
  urls: readonly string[],
  archiveDirs: readonly string[],
  createConcurrency: number,
): Promise<RepositorySlot[]> {
  const slots = repositorySlots(shape, 'floor');
  await pooled(urls, createConcurrency, async (url) => {
    const s = urls.indexOf(url);
    await kube.create(KINDS.services, namespace, serviceManifest(s, url, '30s'));
  });
  await pooled(planSlots(shape), createConcurrency, async (p) => {
    await kube.create(KINDS.plans, namespace, planManifest(p.name, p.service));
  });
  await pooled(slots, createConcurrency, async (slot) => {
    await kube.create(KINDS.repositories, namespace, repositoryManifest(slot, archiveDirs[slot.service]!));
  });
  return slots;
}

/** Runs the floor against the emulators at `urls` and the objects in `namespace`. */
export async function runFloor(
  kube: KubeRest,
  namespace: string,
  shape: FleetShape,
  slots: readonly RepositorySlot[],
  urls: readonly string[],
  archiveDirs: readonly string[],
  workersPerKind: number,
): Promise<FloorResult> {
  const clients = urls.map((url) => createBackupClient({ urls: [url], auth: AUTH }));
  let backupService = 0;
  let apiServerWrites = 0;
  const patch = async (kind: (typeof KINDS)[keyof typeof KINDS], name: string): Promise<void> => {
    await kube.mergePatch(kind, namespace, name, readyStatus(), true);
    apiServerWrites++;
  };
  try {
    const started = performance.now();
    await Promise.all([
      pooled(
        urls.map((_, s) => s),
        workersPerKind,
        async (s) => {
          await clients[s]!.getClusterInfo();
          backupService++;
          await patch(KINDS.services, serviceName(s));
        },
      ),
      pooled(planSlots(shape), workersPerKind, async (p) => {
        await clients[p.service]!.createPlan(p.name, PLAN_BODY);
        backupService++;
        await patch(KINDS.plans, p.name);
      }),
    ]);
    const plansDone = performance.now();
    await pooled(slots, workersPerKind, async (slot) => {
      await clients[slot.service]!.createRepository(slot.name, {
        plan: slot.plan,
        archive: archiveDirs[slot.service]!,
      });
      backupService++;
      await patch(KINDS.repositories, slot.name);
    });
    const done = performance.now();
    return {
      workersPerKind,
      servicesAndPlansSeconds: (plansDone - started) / 1000,
      repositoriesSeconds: (done - plansDone) / 1000,
      totalSeconds: (done - started) / 1000,
      calls: { backupService, apiServerWrites },
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}
