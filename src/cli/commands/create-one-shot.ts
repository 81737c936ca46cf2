import type { Argv } from 'yargs';
import { type KindMeta, parseDurationMs } from '../../crds/index.ts';
import type { Ctx } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import type { Manifest } from '../manifests.ts';
import { renderData } from '../output.ts';
import { describeProgress, type OneShotStatus, waitForOneShot } from '../wait.ts';

/** Flags shared by the commands that create a BackupRun or BackupRestore. */
export interface CreateArgs {
  name?: string | undefined;
  wait?: boolean | undefined;
  timeout: string;
  dryRun: 'none' | 'client' | 'server';
}

/** Adds --name, --wait, --timeout and --dry-run. */
export function createOptions<T>(y: Argv<T>) {
  return y
    .option('name', { type: 'string', describe: 'Object name (default: <repository>-<what>-<UTC time>)' })
    .option('wait', {
      type: 'boolean',
      describe: 'Follow the task until it ends, with a progress bar; exit 6 if it fails',
    })
    .option('timeout', { type: 'string', default: '30m', describe: 'How long --wait waits (Go duration)' })
    .option('dry-run', {
      choices: ['none', 'client', 'server'] as const,
      default: 'none' as const,
      describe:
        'client: print the manifest (with -o yaml|json) without creating it; server: let the API server check it',
    });
}

/** Creates (or prints) the manifest and, with --wait, follows the object to its end. */
export async function createOneShot(
  ctx: Ctx,
  meta: KindMeta,
  manifest: Manifest,
  args: CreateArgs,
): Promise<void> {
  const format = ctx.args.output;
  const ref = `${meta.plural}.${meta.group}/${manifest.metadata.name}`;
  if (args.dryRun === 'client') {
    if (args.wait) throw new CliError(EXIT.usage, '--wait cannot be used with --dry-run');
    if (format === 'json' || format === 'yaml') ctx.out.stdout(renderData(format, manifest));
    else ctx.out.stdout(`${ref} created (dry run)\n`);
    return;
  }
  let timeoutMs: number;
  try {
    timeoutMs = parseDurationMs(args.timeout);
  } catch {
    throw new CliError(EXIT.usage, `--timeout wants a Go duration like 10m, got "${args.timeout}"`);
  }
  const kube = ctx.kube();
  const created =
    args.dryRun === 'server'
      ? await kube.createDryRun(meta, manifest.metadata.namespace, manifest)
      : await kube.create(meta, manifest.metadata.namespace, manifest);
  if (args.dryRun === 'server' || !args.wait) {
    if (format === 'json' || format === 'yaml') ctx.out.stdout(renderData(format, created));
    else ctx.out.stdout(`${ref} created${args.dryRun === 'server' ? ' (server dry run)' : ''}\n`);
    return;
  }
  ctx.out.stderr(`${ref} created\n`);
  const done = await waitForOneShot(
    ctx,
    meta,
    manifest.metadata.namespace,
    manifest.metadata.name,
    timeoutMs,
  );
  if (format === 'json' || format === 'yaml') ctx.out.stdout(renderData(format, done));
  else
    ctx.out.stdout(`${describeProgress(meta.kind, manifest.metadata.name, done.status as OneShotStatus)}\n`);
}
