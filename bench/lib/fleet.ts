/**
 * The bench's fleet: S BackupServices (one emulator each), P BackupPlans per service and N
 * BackupRepositories spread round-robin over services and their plans. Pure: names and manifests.
 */
import type { ResourceRef } from './kube-rest.ts';

const GROUP = 'cbbs.dev';
const VERSION = 'v1alpha1';

/** The kinds the bench creates or watches. */
export const KINDS = {
  services: { group: GROUP, version: VERSION, plural: 'backupservices' },
  plans: { group: GROUP, version: VERSION, plural: 'backupplans' },
  repositories: { group: GROUP, version: VERSION, plural: 'backuprepositories' },
  runs: { group: GROUP, version: VERSION, plural: 'backupruns' },
  restores: { group: GROUP, version: VERSION, plural: 'backuprestores' },
} as const satisfies Record<string, ResourceRef>;

export const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets' };
export const EVENTS: ResourceRef = { group: '', version: 'v1', plural: 'events' };

/** The kinds that get Ready (what cold sync waits for). */
export const READY_KINDS = ['services', 'plans', 'repositories'] as const;
export type ReadyKind = (typeof READY_KINDS)[number];

export const CREDENTIALS_SECRET = 'bench-credentials';
export const AUTH = { username: 'admin', password: 'password' };

/** Sizes of one fleet. */
export interface FleetShape {
  repositories: number;
  services: number;
  plansPerService: number;
}

/** One repository's place in the fleet. */
export interface RepositorySlot {
  name: string;
  service: number;
  plan: string;
}

export const serviceName = (s: number): string => `svc-${s}`;
export const planName = (s: number, p: number): string => `plan-${s}-${p}`;

/** Repository i goes to service i mod S and, within it, to plan (i div S) mod P. */
export function repositorySlots(shape: FleetShape, prefix = 'repo'): RepositorySlot[] {
  return Array.from({ length: shape.repositories }, (_, i) => {
    const service = i % shape.services;
    return {
      name: `${prefix}-${i}`,
      service,
      plan: planName(service, Math.floor(i / shape.services) % shape.plansPerService),
    };
  });
}

/** Every plan name of the fleet with its service index. */
export function planSlots(shape: FleetShape): { name: string; service: number }[] {
  return Array.from({ length: shape.services }, (_, s) =>
    Array.from({ length: shape.plansPerService }, (_, p) => ({ name: planName(s, p), service: s })),
  ).flat();
}

/** The plan's tasks, in CRD form (the manual emulator clock never reaches a schedule). */
export const PLAN_TASKS = [
  { name: 'daily-backup', type: 'BACKUP', schedule: { frequency: 1, period: 'DAYS', time: '01:30' } },
  {
    name: 'weekly-merge',
    type: 'MERGE',
    schedule: { frequency: 1, period: 'SUNDAY', time: '03:00' },
    merge: { offsetStart: 1, offsetEnd: 6 },
  },
];

/** The same tasks as the Backup Service's `POST /plan/{name}` body (for the floor). */
export const PLAN_BODY = {
  description: 'bench plan',
  tasks: [
    {
      name: 'daily-backup',
      task_type: 'BACKUP' as const,
      schedule: { job_type: 'BACKUP' as const, frequency: 1, period: 'DAYS' as const, time: '01:30' },
    },
    {
      name: 'weekly-merge',
      task_type: 'MERGE' as const,
      schedule: { job_type: 'MERGE' as const, frequency: 1, period: 'SUNDAY' as const, time: '03:00' },
      merge_options: { offset_start: 1, offset_end: 6 },
    },
  ],
};

const object = (kind: string, name: string, spec: object) => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind,
  metadata: { name },
  spec,
});

export const secretManifest = () => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: CREDENTIALS_SECRET },
  type: 'kubernetes.io/basic-auth',
  stringData: AUTH,
});

export const serviceManifest = (s: number, url: string, pollInterval: string) =>
  object('BackupService', serviceName(s), {
    endpoints: [url],
    clusterAddress: url,
    credentialsSecretRef: { name: CREDENTIALS_SECRET },
    pollInterval,
  });

/** The soak's plans: a backup every 10 minutes and an hourly merge, so that tasks run all the time. */
export const SOAK_PLAN_TASKS = [
  { name: 'frequent-backup', type: 'BACKUP', schedule: { frequency: 10, period: 'MINUTES' } },
  {
    name: 'hourly-merge',
    type: 'MERGE',
    schedule: { frequency: 1, period: 'HOURS' },
    merge: { offsetStart: 0, offsetEnd: 1 },
  },
];

export const planManifest = (name: string, s: number, tasks: readonly object[] = PLAN_TASKS) =>
  object('BackupPlan', name, {
    serviceRef: { name: serviceName(s) },
    description: 'bench plan',
    tasks,
  });

export const repositoryManifest = (slot: RepositorySlot, archiveDir: string) =>
  object('BackupRepository', slot.name, {
    serviceRef: { name: serviceName(slot.service) },
    planRef: { name: slot.plan },
    storage: { filesystem: { path: archiveDir } },
  });
