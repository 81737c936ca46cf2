import type { BackupInfo } from '../../backup-api/index.ts';
import { backupRestoreKind, SERVICES } from '../../crds/index.ts';
import { restoreRangeNotes, selectRange } from '../backup-chain.ts';
import { defineCommand } from '../command.ts';
import { bytes } from '../format.ts';
import { backupRestoreManifest, objectName, type RestoreOptions } from '../manifests.ts';
import { type Column, printResult } from '../output.ts';
import { type CreateArgs, createOneShot, createOptions } from './create-one-shot.ts';
import { type RepositoryArgs, repositoryArgs } from './repository-args.ts';

interface RestoreArgs extends RepositoryArgs, CreateArgs, RestoreOptions {
  plan?: boolean | undefined;
}

const planColumns: Column<BackupInfo>[] = [
  { header: 'BACKUP', value: (b) => b.date },
  { header: 'TYPE', value: (b) => b.type },
  { header: 'SIZE', value: (b) => bytes(b.size) },
  { header: 'BUCKETS', value: (b) => b.buckets.map((x) => x.name).join(',') || '-' },
  { header: 'COMPLETE', value: (b) => String(b.complete), wide: true },
];

const list = { type: 'string' as const, array: true as const };

/** `restore REPO`: creates a BackupRestore; `--plan` lists the backups it would read instead. */
export const restoreCommand = defineCommand<RestoreArgs>({
  command: 'restore <repository>',
  describe: 'Restore by creating a BackupRestore; --plan lists the backups the range would read',
  builder: (y) =>
    createOptions(repositoryArgs(y))
      .option('from', {
        type: 'string',
        describe: 'Oldest backup of the range (name or latest; default: the oldest)',
      })
      .option('to', {
        type: 'string',
        describe: 'Newest backup of the range (name or latest; default: the newest)',
      })
      .option('include', {
        ...list,
        describe: 'Restore only these keyspaces (bucket[.scope[.collection]]), repeatable',
      })
      .option('exclude', { ...list, describe: 'Restore all but these keyspaces, repeatable' })
      .option('map', { ...list, describe: 'Restore keyspace FROM into TO (FROM=TO), repeatable' })
      .option('filter-keys', {
        type: 'string',
        describe: 'Only documents whose key matches this regular expression',
      })
      .option('filter-values', {
        type: 'string',
        describe: 'Only documents whose value matches this regular expression',
      })
      .option('auto-create-buckets', { type: 'boolean', describe: 'Create missing target buckets' })
      .option('auto-remove-collections', {
        type: 'boolean',
        describe: 'Remove collections the backup deleted',
      })
      .option('enable-bucket-config', { type: 'boolean', describe: 'Also restore bucket settings' })
      .option('force-updates', { type: 'boolean', describe: 'Overwrite newer documents in the target' })
      .option('disable-services', {
        ...list,
        choices: SERVICES,
        describe: 'Services whose data is not restored',
      })
      .option('replace-ttl', { choices: ['none', 'all', 'expired'], describe: 'Replace document expiry' })
      .option('replace-ttl-with', { type: 'string', describe: 'New expiry: 0 or an RFC 3339 time' })
      .option('target', { type: 'string', describe: 'Cluster manager address of another target cluster' })
      .option('target-secret', { type: 'string', describe: 'Secret with username/password for --target' })
      .option('plan', { type: 'boolean', describe: 'Only list the backups the range would restore from' })
      .conflicts('include', 'exclude')
      .example('$0 restore travel-sample-daily --map travel-sample=ts-copy --auto-create-buckets --wait', '')
      .example(
        '$0 restore travel-sample-daily --from latest --plan',
        'what a restore of the newest backup reads',
      ),
  run: async (ctx, args) => {
    const target = await ctx.repository(args);
    if (args.plan) {
      const svc = await ctx.service(target.namespace, target.serviceName);
      const info = await svc.call(`backups of repository ${target.repositoryId}`, (c) =>
        c.getRepositoryInfo(target.state, target.repositoryId),
      );
      const selected = selectRange(info.backups, args.from, args.to);
      const notes = restoreRangeNotes(info.backups, selected);
      const data = {
        repository: target.repositoryId,
        from: selected[0]?.date,
        to: selected.at(-1)?.date,
        backups: selected,
        notes,
      };
      printResult(ctx.out, ctx.args.output, data, planColumns, selected, 'The range holds no backups.');
      if (ctx.args.output === 'table' || ctx.args.output === 'wide')
        for (const n of notes) ctx.out.stderr(`note: ${n}\n`);
      return;
    }
    const manifest = backupRestoreManifest({
      target,
      name: args.name ?? objectName(args.repository, 'restore', ctx.now()),
      options: args,
    });
    await createOneShot(ctx, backupRestoreKind, manifest, args);
  },
});
