import { z } from 'zod';
import { withRules } from './cel.ts';
import { localRef, REPOSITORY_ID_PATTERN, statusBase, timestampSchema } from './common.ts';

/** Phases of BackupRun and BackupRestore; they only move forward. */
export const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;
/** Phases that never change again. */
export const TERMINAL_PHASES = ['Succeeded', 'Failed'] as const;
/** Server-side states a restore source can be in (path segment of the restore endpoint). */
export const SOURCE_STATES = ['Active', 'Archived', 'Imported'] as const;

const repositoryIdSchema = z
  .string()
  .max(50)
  .regex(new RegExp(REPOSITORY_ID_PATTERN))
  .describe('Id of a repository on the Backup Service that no BackupRepository manages.');

const refFields = {
  repositoryRef: localRef('BackupRepository', 'BackupRepository to act on.').optional(),
  serviceRef: localRef(
    'BackupService',
    'BackupService holding the repository given by repositoryId.',
  ).optional(),
  repositoryId: repositoryIdSchema.optional(),
};

const refRule = {
  rule: 'has(self.repositoryRef) ? !has(self.serviceRef) && !has(self.repositoryId) : has(self.serviceRef) && has(self.repositoryId)',
  message: 'set either repositoryRef, or serviceRef and repositoryId',
  check: (r: { repositoryRef?: unknown; serviceRef?: unknown; repositoryId?: unknown }) =>
    r.repositoryRef !== undefined
      ? r.serviceRef === undefined && r.repositoryId === undefined
      : r.serviceRef !== undefined && r.repositoryId !== undefined,
};

/** Repository a BackupRun acts on: a BackupRepository, or an unmanaged active repository by id. */
export const runRepositorySchema = withRules(
  z
    .object(refFields)
    .describe(
      'Repository to run the task on: repositoryRef, or serviceRef plus repositoryId of an active repository no BackupRepository manages.',
    ),
  [refRule],
);

/** Repository a BackupRestore reads from, in any state. */
export const restoreSourceSchema = withRules(
  z
    .object({
      ...refFields,
      state: z
        .enum(SOURCE_STATES)
        .optional()
        .describe(
          'State of the unmanaged repository (Active, Archived or Imported); only with repositoryId. Default Active. With repositoryRef the state is taken from the BackupRepository.',
        ),
    })
    .describe(
      'Repository to restore from: repositoryRef, or serviceRef plus repositoryId (and state) of a repository no BackupRepository manages.',
    ),
  [
    refRule,
    {
      rule: '!has(self.state) || has(self.repositoryId)',
      message: 'state is only used with repositoryId',
      check: (r) => r.state === undefined || r.repositoryId !== undefined,
    },
  ],
);

/** Status fields shared by the one-shot kinds. */
export const oneShotStatusFields = {
  ...statusBase,
  phase: z
    .enum(PHASES)
    .optional()
    .describe('Pending, Running, Succeeded or Failed. Moves only forward; Succeeded and Failed are final.'),
  intent: z
    .object({
      token: z.string().max(64).describe('Unique token recorded before the request was sent.'),
      sentAt: timestampSchema.describe('When the operator was about to send the request.'),
    })
    .optional()
    .describe(
      'Written before the task request is sent, so that a restarted or competing operator finds the task instead of starting a second one.',
    ),
  taskName: z.string().max(128).optional().describe('Name of the task on the Backup Service.'),
  repositoryId: z.string().max(64).optional().describe('Repository id the task ran on.'),
  startTime: timestampSchema.optional().describe('When the task started.'),
  completionTime: timestampSchema.optional().describe('When the task reached Succeeded or Failed.'),
  progress: z.number().min(0).max(100).optional().describe('Progress in percent (0..100).'),
  error: z.string().max(4096).optional().describe('Why the task failed, from the Backup Service.'),
};
