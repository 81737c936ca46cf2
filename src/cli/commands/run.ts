import { backupRunKind } from '../../crds/index.ts';
import { defineCommand } from '../command.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { backupRunManifest, objectName } from '../manifests.ts';
import { type CreateArgs, createOneShot, createOptions } from './create-one-shot.ts';
import { type RepositoryArgs, repositoryArgs } from './repository-args.ts';

interface BackupArgs extends RepositoryArgs, CreateArgs {
  full?: boolean | undefined;
}

interface MergeArgs extends RepositoryArgs, CreateArgs {
  from?: string | undefined;
  to?: string | undefined;
  offsetStart?: number | undefined;
  offsetEnd?: number | undefined;
}

/** `backup REPO`: creates a BackupRun of type BACKUP (never a direct REST call: exactly once, in status). */
export const backupCommand = defineCommand<BackupArgs>({
  command: 'backup <repository>',
  describe: 'Take a backup now by creating a BackupRun',
  builder: (y) =>
    createOptions(repositoryArgs(y))
      .option('full', { type: 'boolean', describe: 'Full backup (default: incremental)' })
      .example('$0 backup travel-sample-daily --full --wait', 'a full backup, followed to its end')
      .example('$0 backup travel-sample-daily -o yaml --dry-run=client', 'the manifest, for Git'),
  run: async (ctx, args) => {
    const target = await ctx.repository(args);
    if (target.state !== 'active')
      throw new CliError(
        EXIT.error,
        `repository ${target.repositoryId} is ${target.state}: only active repositories take backups`,
      );
    const manifest = backupRunManifest({
      target,
      name: args.name ?? objectName(args.repository, args.full ? 'full' : 'backup', ctx.now()),
      type: 'BACKUP',
      full: args.full,
    });
    await createOneShot(ctx, backupRunKind, manifest, args);
  },
});

/** `merge REPO`: creates a BackupRun of type MERGE. */
export const mergeCommand = defineCommand<MergeArgs>({
  command: 'merge <repository>',
  describe: 'Merge backups now by creating a BackupRun (all backups, a name range, or a day-offset window)',
  builder: (y) =>
    createOptions(repositoryArgs(y))
      .option('from', { type: 'string', describe: 'Oldest backup to merge (backup name)' })
      .option('to', { type: 'string', describe: 'Newest backup to merge (backup name)' })
      .option('offset-start', { type: 'number', describe: 'Merge window start, days back from today' })
      .option('offset-end', { type: 'number', describe: 'Merge window end, days further back' })
      .conflicts('from', ['offset-start', 'offset-end'])
      .conflicts('to', ['offset-start', 'offset-end'])
      .implies('from', 'to')
      .implies('to', 'from')
      .implies('offset-start', 'offset-end')
      .implies('offset-end', 'offset-start')
      .example('$0 merge travel-sample-daily --offset-start 0 --offset-end 7 --wait', 'the last week'),
  run: async (ctx, args) => {
    const target = await ctx.repository(args);
    if (target.state !== 'active')
      throw new CliError(
        EXIT.error,
        `repository ${target.repositoryId} is ${target.state}: only active repositories merge`,
      );
    const merge: { start?: string; end?: string; offsetStart?: number; offsetEnd?: number } = {};
    if (args.from !== undefined) merge.start = args.from;
    if (args.to !== undefined) merge.end = args.to;
    if (args.offsetStart !== undefined) merge.offsetStart = args.offsetStart;
    if (args.offsetEnd !== undefined) merge.offsetEnd = args.offsetEnd;
    const manifest = backupRunManifest({
      target,
      name: args.name ?? objectName(args.repository, 'merge', ctx.now()),
      type: 'MERGE',
      merge,
    });
    await createOneShot(ctx, backupRunKind, manifest, args);
  },
});
