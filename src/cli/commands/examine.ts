import { isFull, selectRange } from '../backup-chain.ts';
import { defineCommand } from '../command.ts';
import { type DocumentVersion, documentVersions } from '../document-versions.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { compactJson, truncate } from '../format.ts';
import { type Column, paint, printResult } from '../output.ts';
import { type RepositoryArgs, repositoryArgs } from './repository-args.ts';

interface ExamineArgs extends RepositoryArgs {
  key: string;
  collection: string;
  from?: string | undefined;
  to?: string | undefined;
}

const changeColour = (c: DocumentVersion['change']) =>
  c === 'created' || c === 'changed'
    ? paint('green', c)
    : c === 'deleted'
      ? paint('red', c)
      : paint('gray', c);

const columns: Column<DocumentVersion>[] = [
  { header: 'BACKUP', value: (v) => v.backup },
  { header: 'CHANGE', value: (v) => changeColour(v.change) },
  { header: 'CAS', value: (v) => v.cas ?? '-' },
  { header: 'REVISION', value: (v) => (v.revision === undefined ? '-' : String(v.revision)) },
  { header: 'DELETED', value: (v) => String(v.deleted) },
  { header: 'EXPIRY', value: (v) => (v.expiry === undefined ? '-' : String(v.expiry)), wide: true },
  { header: 'FLAGS', value: (v) => (v.flags === undefined ? '-' : String(v.flags)), wide: true },
  { header: 'VALUE', value: (v) => (v.present ? truncate(compactJson(v.value), 60) : '-') },
];

/** `examine REPO --key K --collection b.s.c`: a document's versions across backups. */
export const examineCommand = defineCommand<ExamineArgs>({
  command: 'examine <repository>',
  describe: "A document's versions across backups (POST …/examine): value, CAS, revision, deleted or not",
  builder: (y) =>
    repositoryArgs(y)
      .option('key', { type: 'string', demandOption: true, describe: 'Document key' })
      .option('collection', {
        type: 'string',
        demandOption: true,
        describe: 'bucket.scope.collection (or a bucket, for collection-unaware backups)',
      })
      .option('from', { type: 'string', describe: 'Oldest backup to look at (name or latest)' })
      .option('to', { type: 'string', describe: 'Newest backup to look at (name or latest)' })
      .example(
        '$0 examine travel-sample-daily --key airline_10 --collection travel-sample.inventory.airline',
        '',
      ),
  run: async (ctx, args) => {
    if (args.key === '') throw new CliError(EXIT.usage, '--key must not be empty');
    const target = await ctx.repository(args);
    const svc = await ctx.service(target.namespace, target.serviceName);
    // The backup list tells incrementals (which hold only changed documents) and resolves the range.
    const info = await svc.call(`backups of repository ${target.repositoryId}`, (c) =>
      c.getRepositoryInfo(target.state, target.repositoryId),
    );
    let backups: string | undefined;
    if (args.from !== undefined || args.to !== undefined) {
      backups = selectRange(info.backups, args.from, args.to)
        .map((b) => b.date)
        .join(',');
    }
    const result = await svc.call(`examine ${args.key} in ${target.repositoryId}`, (c) =>
      c.examine(target.state, target.repositoryId, {
        key: args.key,
        data_path: args.collection,
        ...(backups ? { backups } : {}),
      }),
    );
    const incremental = new Set(info.backups.filter((b) => !isFull(b)).map((b) => b.date));
    const versions = documentVersions(result, (name) => incremental.has(name));
    if (!versions.some((v) => v.change !== 'absent')) {
      throw new CliError(
        EXIT.notFound,
        `document "${args.key}" is in no backup of ${target.repositoryId} (collection ${args.collection}, ${versions.length} backup${versions.length === 1 ? '' : 's'} examined)`,
      );
    }
    printResult(ctx.out, ctx.args.output, versions, columns, versions);
  },
});
