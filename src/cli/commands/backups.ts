import type { BackupInfo } from '../../backup-api/index.ts';
import { defineCommand } from '../command.ts';
import { bytes } from '../format.ts';
import { type Column, printResult } from '../output.ts';
import { type RepositoryArgs, repositoryArgs } from './repository-args.ts';

const columns: Column<BackupInfo>[] = [
  { header: 'NAME', value: (b) => b.date },
  { header: 'TYPE', value: (b) => b.type },
  { header: 'SIZE', value: (b) => bytes(b.size) },
  { header: 'ITEMS', value: (b) => String(b.buckets.reduce((n, x) => n + x.items, 0)) },
  { header: 'BUCKETS', value: (b) => b.buckets.map((x) => x.name).join(',') || '-' },
  { header: 'COMPLETE', value: (b) => String(b.complete), wide: true },
  { header: 'SOURCE', value: (b) => b.source, wide: true },
  { header: 'EVENTS', value: (b) => String(b.events), wide: true },
  { header: 'MERGED', value: (b) => (b.range ?? []).join(',') || '-', wide: true },
];

/** `backups REPO`: the repository's backups from `…/info`, oldest first. */
export const backupsCommand = defineCommand<RepositoryArgs>({
  command: 'backups <repository>',
  describe: "A repository's backups (GET …/info): name, type, size, items, buckets",
  builder: (y) =>
    repositoryArgs(y)
      .example('$0 backups travel-sample-daily', 'backups of a BackupRepository')
      .example(
        '$0 backups old-repo --service couchbase --state archived',
        'an archived repository nobody manages',
      ),
  run: async (ctx, args) => {
    const target = await ctx.repository(args);
    const svc = await ctx.service(target.namespace, target.serviceName);
    const info = await svc.call(`backups of repository ${target.repositoryId}`, (c) =>
      c.getRepositoryInfo(target.state, target.repositoryId),
    );
    printResult(
      ctx.out,
      ctx.args.output,
      info,
      columns,
      info.backups,
      `Repository ${target.repositoryId} has no backups.`,
    );
  },
});
