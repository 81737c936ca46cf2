import type { KubernetesObject, V1ObjectMeta } from '@kubernetes/client-node';
import type { BackupPlan, BackupRepository, BackupRestore, BackupRun, BackupService } from '../crds/index.ts';

/**
 * A custom resource as the API server returns it: the zod-inferred shape, intersected with
 * client-node's object type (zod's optional fields carry `| undefined`, which client-node's
 * metadata type does not accept under exactOptionalPropertyTypes).
 */
export type Resource<T> = T & KubernetesObject & { metadata: V1ObjectMeta & { name: string } };

export type BackupServiceResource = Resource<BackupService>;
export type BackupPlanResource = Resource<BackupPlan>;
export type BackupRepositoryResource = Resource<BackupRepository>;
export type BackupRunResource = Resource<BackupRun>;
export type BackupRestoreResource = Resource<BackupRestore>;

/** The finalizer every kind with server-side state carries. */
export const FINALIZER = 'cbbs.dev/finalizer';
