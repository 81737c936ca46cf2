import {
  backupPlanKind,
  backupRepositoryKind,
  backupRestoreKind,
  backupRunKind,
  backupServiceKind,
  type KindMeta,
} from '../crds/index.ts';
import type {
  BackupPlanResource,
  BackupRepositoryResource,
  BackupRestoreResource,
  BackupRunResource,
  BackupServiceResource,
} from './resources.ts';
import type { Reflector, WorkQueue } from './runtime/index.ts';

/** The five kinds, by the name the operator uses for them internally. */
export const KIND_NAMES = ['services', 'plans', 'repositories', 'runs', 'restores'] as const;
export type KindName = (typeof KIND_NAMES)[number];

/** The resource type of each kind. */
export interface KindTypes {
  services: BackupServiceResource;
  plans: BackupPlanResource;
  repositories: BackupRepositoryResource;
  runs: BackupRunResource;
  restores: BackupRestoreResource;
}

/** The CRD metadata of each kind. */
export const KIND_META: Record<KindName, KindMeta> = {
  services: backupServiceKind,
  plans: backupPlanKind,
  repositories: backupRepositoryKind,
  runs: backupRunKind,
  restores: backupRestoreKind,
};

/** The operator's cache of each kind. */
export type KindReflectors = { [K in KindName]: Reflector<KindTypes[K]> };

/** The work queue of each kind. */
export type KindQueues = Record<KindName, WorkQueue>;
