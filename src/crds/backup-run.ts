import { z } from 'zod';
import { withRules } from './cel.ts';
import { BACKUP_NAME_PATTERN } from './common.ts';
import { ageColumn, type KindDefinition, kindMeta, resourceSchema } from './kind.ts';
import { oneShotStatusFields, runRepositorySchema } from './one-shot.ts';

/** Names of the BackupRun kind. */
export const backupRunKind = kindMeta('BackupRun', 'backupruns', ['cbrun']);

/**
 * What a BackupRun does, spelt as BackupPlan task types and the Backup Service spell them (upper
 * case), so that one vocabulary holds across the kinds and the service.
 */
export const RUN_TYPES = ['BACKUP', 'MERGE'] as const;

const backupNameSchema = z.string().max(64).regex(new RegExp(BACKUP_NAME_PATTERN));
const MAX_OFFSET_DAYS = 36500;

const mergeSchema = withRules(
  z
    .object({
      start: backupNameSchema
        .optional()
        .describe('Oldest backup to merge (backup name, e.g. 2026-01-20T09_16_13.79441759Z).'),
      end: backupNameSchema.optional().describe('Newest backup to merge (backup name).'),
      offsetStart: z
        .number()
        .int()
        .min(0)
        .max(MAX_OFFSET_DAYS)
        .optional()
        .describe('Merge window start in days back from today.'),
      offsetEnd: z
        .number()
        .int()
        .min(0)
        .max(MAX_OFFSET_DAYS)
        .optional()
        .describe('Merge window end in days further back from offsetStart.'),
    })
    .describe(
      'Merge range: start and end backup names, or offsetStart and offsetEnd in days. Empty: merge all backups.',
    ),
  [
    {
      rule: 'has(self.start) == has(self.end) && has(self.offsetStart) == has(self.offsetEnd) && !(has(self.start) && has(self.offsetStart))',
      message: 'set start and end together, or offsetStart and offsetEnd together, not both pairs',
      check: (m) =>
        (m.start === undefined) === (m.end === undefined) &&
        (m.offsetStart === undefined) === (m.offsetEnd === undefined) &&
        !(m.start !== undefined && m.offsetStart !== undefined),
    },
  ],
);

/** Desired state of a BackupRun (immutable). */
export const BackupRunSpecSchema = withRules(
  z
    .object({
      repository: runRepositorySchema,
      type: z.enum(RUN_TYPES).describe('BACKUP or MERGE (upper case, as the type of a BackupPlan task).'),
      backup: z
        .object({
          full: z.boolean().default(false).describe('Take a full backup instead of an incremental one.'),
        })
        .optional()
        .describe('Options of a BACKUP run.'),
      merge: mergeSchema.optional(),
    })
    .describe('BackupRunSpec is one immediate backup or merge on a repository. Immutable.'),
  [
    {
      rule: "self.type == 'BACKUP' || !has(self.backup)",
      message: 'backup options need type BACKUP',
      check: (s) => s.type === 'BACKUP' || s.backup === undefined,
    },
    {
      rule: "self.type == 'MERGE' || !has(self.merge)",
      message: 'merge options need type MERGE',
      check: (s) => s.type === 'MERGE' || s.merge === undefined,
    },
    { rule: 'self == oldSelf', message: 'spec is immutable; create a new BackupRun instead' },
  ],
);

/** Observed state of a BackupRun. */
export const BackupRunStatusSchema = z
  .object({
    ...oneShotStatusFields,
    backupName: z.string().max(64).optional().describe('Name of the backup the run produced.'),
  })
  .describe('BackupRunStatus follows the one task this run started.');

/** A BackupRun object. */
export const BackupRunSchema = resourceSchema(backupRunKind, BackupRunSpecSchema, BackupRunStatusSchema);

export type BackupRunSpec = z.infer<typeof BackupRunSpecSchema>;
export type BackupRunStatus = z.infer<typeof BackupRunStatusSchema>;
export type BackupRun = z.infer<typeof BackupRunSchema>;

/** CRD definition of BackupRun. */
export const backupRunDefinition: KindDefinition = {
  meta: backupRunKind,
  description:
    'BackupRun starts one immediate backup or merge on a repository, exactly once. Its spec is immutable; create a new object to run again.',
  spec: BackupRunSpecSchema,
  status: BackupRunStatusSchema,
  rootRules: [],
  printerColumns: [
    {
      name: 'Phase',
      type: 'string',
      jsonPath: '.status.phase',
      description: 'Pending, Running, Succeeded or Failed.',
    },
    { name: 'Type', type: 'string', jsonPath: '.spec.type', description: 'BACKUP or MERGE.' },
    {
      name: 'Repository',
      type: 'string',
      jsonPath: '.status.repositoryId',
      description: 'Repository id on the Backup Service.',
    },
    { name: 'Backup', type: 'string', jsonPath: '.status.backupName', description: 'Backup produced.' },
    {
      name: 'Progress',
      type: 'number',
      jsonPath: '.status.progress',
      description: 'Progress in percent.',
      priority: 1,
    },
    { name: 'Task', type: 'string', jsonPath: '.status.taskName', description: 'Task name.', priority: 1 },
    ageColumn,
  ],
};
