import { dependentsOf, describeDependents } from '../backup-chain.ts';
import { defineCommand } from '../command.ts';
import { confirm } from '../confirm.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { bytes } from '../format.ts';
import { renderData } from '../output.ts';
import { type RepositoryArgs, repositoryArgs } from './repository-args.ts';

interface DeleteBackupArgs extends RepositoryArgs {
  backup: string;
  yes?: boolean | undefined;
}

/** `delete-backup REPO BACKUP`: says what depends on the backup, asks, then deletes it. */
export const deleteBackupCommand = defineCommand<DeleteBackupArgs>({
  command: 'delete-backup <repository> <backup>',
  describe: 'Delete one backup (DELETE …/active/{id}/backups/{name}) after saying what depends on it',
  builder: (y) =>
    repositoryArgs(y)
      .positional('backup', { type: 'string', demandOption: true, describe: 'Backup name (see `backups`)' })
      .option('yes', { alias: 'y', type: 'boolean', describe: 'Do not ask for confirmation' })
      .example('$0 delete-backup travel-sample-daily 2026-12-01T09_00_00.123Z --yes', ''),
  run: async (ctx, args) => {
    const target = await ctx.repository(args);
    if (target.state !== 'active') {
      throw new CliError(
        EXIT.error,
        `repository ${target.repositoryId} is ${target.state}: the Backup Service deletes backups only from active repositories (its archived and imported repositories are read-only)`,
      );
    }
    const svc = await ctx.service(target.namespace, target.serviceName);
    const info = await svc.call(`backups of repository ${target.repositoryId}`, (c) =>
      c.getRepositoryInfo('active', target.repositoryId),
    );
    const deps = dependentsOf(info.backups, args.backup);
    const notes = describeDependents(deps);
    const head = `Backup ${deps.backup.date} (${deps.backup.type}, ${bytes(deps.backup.size)}) of repository ${target.repositoryId}`;
    if (notes.length === 0) ctx.out.stderr(`${head}: no other backup depends on it.\n`);
    else ctx.out.stderr(`${head}:\n${notes.map((n) => `  - ${n}\n`).join('')}`);
    await confirm(
      `Delete backup ${deps.backup.date} from ${target.repositoryId}?`,
      `delete backup ${deps.backup.date}`,
      args.yes === true,
      ctx.stdinIsTTY,
    );
    await svc.call(`delete backup ${deps.backup.date}`, (c) =>
      c.deleteBackup(target.repositoryId, deps.backup.date),
    );
    const result = {
      repository: target.repositoryId,
      deleted: deps.backup.date,
      dependents: { incrementals: deps.incrementals, mergedFrom: deps.mergedFrom },
    };
    if (ctx.args.output === 'json' || ctx.args.output === 'yaml')
      ctx.out.stdout(renderData(ctx.args.output, result));
    else ctx.out.stdout(`backup ${deps.backup.date} deleted from repository ${target.repositoryId}\n`);
  },
});
