import yargs, { type Argv } from 'yargs';
import type { AnyCommand } from './command.ts';
import { backupsCommand } from './commands/backups.ts';
import { deleteBackupCommand } from './commands/delete-backup.ts';
import { examineCommand } from './commands/examine.ts';
import { historyCommand } from './commands/history.ts';
import { restoreCommand } from './commands/restore.ts';
import { backupCommand, mergeCommand } from './commands/run.ts';
import { statusCommand } from './commands/status.ts';
import { whyCommand } from './commands/why.ts';
import { type CtxOptions, createContext, type GlobalArgs, globalOptions } from './context.ts';
import { CliError, EXIT, type ExitCode } from './exit-codes.ts';

/** Every subcommand, in the order `--help` lists them. */
export const COMMANDS: readonly AnyCommand[] = [
  statusCommand,
  backupsCommand,
  historyCommand,
  examineCommand,
  deleteBackupCommand,
  backupCommand,
  mergeCommand,
  restoreCommand,
  whyCommand,
];

const EPILOGUE = `Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 forbidden, 5 unreachable, 6 task failed or --wait timed out, 7 not confirmed.
Docs: docs/cli.md`;

/** The yargs program; `run` receives the command that matched and its arguments. */
export function buildParser(
  argv: readonly string[],
  run: (command: AnyCommand, args: GlobalArgs) => Promise<void>,
): Argv<GlobalArgs> {
  // The completion script calls the executable by name, so it must not hold kubectl's space.
  const completing = argv[0] === 'completion' || argv.includes('--get-yargs-completions');
  let y = globalOptions(yargs([...argv]))
    .scriptName(completing ? 'kubectl-cbbs' : 'kubectl cbbs')
    .usage(
      '$0 <command> [flags]\n\nAsk the Couchbase Backup Service what kubectl cannot: backups, task history, document versions; delete a backup; run and restore through BackupRun/BackupRestore objects.',
    )
    .strict()
    .demandCommand(1, 'a command is required')
    .recommendCommands()
    .completion(
      'completion',
      'Print a bash/zsh completion script for kubectl-cbbs (source <(kubectl-cbbs completion))',
    )
    .help()
    .alias('help', 'h')
    .version(false)
    .epilogue(EPILOGUE)
    .wrap(Math.min(120, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new CliError(EXIT.usage, `${msg} (see --help)`);
    }) as unknown as Argv<GlobalArgs>;
  for (const c of COMMANDS) {
    y = y.command(c.command, c.describe, c.builder as never, (args) =>
      run(c, args as unknown as GlobalArgs),
    ) as Argv<GlobalArgs>;
  }
  return y;
}

/** One-line text for any failure; stack traces never reach the user. */
export function errorLine(err: unknown): { code: ExitCode; line: string } {
  if (err instanceof CliError) return { code: err.exitCode, line: err.message };
  if (err instanceof Error && err.name === 'YError')
    return { code: EXIT.usage, line: `${err.message} (see --help)` };
  const text = err instanceof Error ? err.message : String(err);
  return { code: EXIT.error, line: text.split('\n')[0] ?? text };
}

/** Runs the plugin with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], opts: CtxOptions = {}): Promise<ExitCode> {
  const stderr = opts.out?.stderr ?? ((t: string) => process.stderr.write(t));
  const parser = buildParser(argv, async (command, args) => {
    const ctx = createContext(args, opts);
    try {
      await command.run(ctx, args);
    } finally {
      await ctx.close();
    }
  });
  try {
    await parser.parseAsync();
    return EXIT.ok;
  } catch (err) {
    const { code, line } = errorLine(err);
    stderr(`error: ${line}\n`);
    return code;
  }
}

/**
 * kubectl's plugin completion (kubectl 1.26+) runs `kubectl_complete-cbbs ARGS... PARTIAL` and reads
 * Cobra's format: one candidate per line, then `:<directive>` (4 = no file completion).
 */
export async function cobraCompletions(argv: readonly string[]): Promise<string> {
  const args = argv[0] === '__complete' ? argv.slice(1) : [...argv];
  const partial = args.at(-1) ?? '';
  // yargs prints completions with console.log from its own --get-yargs-completions path (its
  // getCompletion() never settles once a subcommand matched), so they are collected from there.
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => {
    lines.push(parts.map(String).join(' '));
  };
  try {
    await buildParser(
      ['--get-yargs-completions', ...(args.length === 0 ? [''] : args)],
      async () => {},
    ).parseAsync();
  } catch {
    // A partial command line that does not parse yet still gets no candidates rather than an error.
  } finally {
    console.log = log;
  }
  const names = lines
    .flatMap((l) => l.split('\n'))
    .map((c) => c.split(':')[0] ?? '')
    .filter((c) => c !== '' && c.startsWith(partial));
  return `${names.join('\n')}${names.length ? '\n' : ''}:4\n`;
}
