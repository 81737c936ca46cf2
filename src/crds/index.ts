/**
 * The custom resources of cbbs-operator: zod schemas (single source of truth for types, runtime
 * validation and the generated CRDs in deploy/crds), inferred types and kind metadata.
 */
import { backupPlanDefinition } from './backup-plan.ts';
import { backupRepositoryDefinition } from './backup-repository.ts';
import { backupRestoreDefinition } from './backup-restore.ts';
import { backupRunDefinition } from './backup-run.ts';
import { backupServiceDefinition } from './backup-service.ts';
import type { KindDefinition } from './kind.ts';

export * from './backup-plan.ts';
export * from './backup-repository.ts';
export * from './backup-restore.ts';
export * from './backup-run.ts';
export * from './backup-service.ts';
export type { CelRule } from './cel.ts';
export * from './common.ts';
export { buildCrd, openApiSchema } from './crd.ts';
export { parseDurationMs } from './duration.ts';
export type { KindDefinition, KindMeta, PrinterColumn } from './kind.ts';
export * from './one-shot.ts';
export { findStaleFiles, type GeneratedFile, renderCrdFiles, toYaml } from './render.ts';
export { type JsonSchema, StructuralSchemaError, structuralize } from './structuralize.ts';

/** Every kind, in dependency order (a service before the plans and repositories that use it). */
export const allKinds: readonly KindDefinition[] = [
  backupServiceDefinition,
  backupPlanDefinition,
  backupRepositoryDefinition,
  backupRunDefinition,
  backupRestoreDefinition,
];
