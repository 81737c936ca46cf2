import type { TaskRun } from '../../backup-api/index.ts';
import { DURATION_PATTERN, parseDurationMs } from '../../crds/index.ts';
import { defineCommand } from '../command.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { taskDuration, truncate } from '../format.ts';
import { type Column, paint, printResult } from '../output.ts';
import { type RepositoryArgs, repositoryArgs } from './repository-args.ts';

interface HistoryArgs extends RepositoryArgs {
  since?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
  task?: string | undefined;
}

/** `--since`: an RFC 3339 time, or a Go duration back from now (`24h`, `90m`). */
export function sinceTime(since: string, now: Date): string {
  if (new RegExp(DURATION_PATTERN).test(since)) {
    return new Date(now.getTime() - parseDurationMs(since)).toISOString();
  }
  const t = new Date(since);
  if (Number.isNaN(t.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(since)) {
    throw new CliError(EXIT.usage, `--since wants an RFC 3339 time or a duration like 24h, got "${since}"`);
  }
  return since;
}

const statusColour = (s: string) =>
  s === 'done' ? paint('green', s) : s === 'failed' ? paint('red', s) : paint('yellow', s);

const columns: Column<TaskRun>[] = [
  { header: 'TASK', value: (t) => t.task_name },
  { header: 'TYPE', value: (t) => t.type },
  { header: 'STATUS', value: (t) => statusColour(t.status) },
  { header: 'START', value: (t) => t.start },
  { header: 'DURATION', value: (t) => taskDuration(t.start, t.end) },
  { header: 'ERROR', value: (t) => truncate(t.error ?? '', 60) },
  { header: 'NODES', value: (t) => String(t.node_runs?.length ?? 0), wide: true },
  { header: 'TARGET', value: (t) => t.target_cluster ?? '-', wide: true },
];

/** `history REPO`: the service's task history, newest first. */
export const historyCommand = defineCommand<HistoryArgs>({
  command: 'history <repository>',
  describe: "A repository's task history (GET …/taskHistory), newest first, with status, duration and error",
  builder: (y) =>
    repositoryArgs(y)
      .option('since', {
        type: 'string',
        describe: 'Only tasks started since this RFC 3339 time or this long ago (24h)',
      })
      .option('limit', { type: 'number', describe: 'At most this many tasks (0 = all)' })
      .option('offset', { type: 'number', describe: 'Skip this many of the newest tasks' })
      .option('task', { type: 'string', describe: 'Only tasks with this exact name' })
      .example('$0 history travel-sample-daily --since 24h', 'the last day'),
  run: async (ctx, args) => {
    for (const [flag, v] of [
      ['limit', args.limit],
      ['offset', args.offset],
    ] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 0))
        throw new CliError(EXIT.usage, `--${flag} must be a whole number ≥ 0`);
    }
    const first = args.since === undefined ? undefined : sinceTime(args.since, ctx.now());
    const target = await ctx.repository(args);
    const svc = await ctx.service(target.namespace, target.serviceName);
    const runs = await svc.call(`task history of repository ${target.repositoryId}`, (c) =>
      c.taskHistory(target.state, target.repositoryId, {
        ...(first ? { first } : {}),
        ...(args.limit !== undefined ? { limit: args.limit } : {}),
        ...(args.offset !== undefined ? { offset: args.offset } : {}),
        ...(args.task ? { taskName: args.task } : {}),
      }),
    );
    printResult(
      ctx.out,
      ctx.args.output,
      runs,
      columns,
      runs,
      `No tasks in the history of ${target.repositoryId}.`,
    );
  },
});
