import type { Argv } from 'yargs';
import type { Ctx, GlobalArgs } from './context.ts';

/** One subcommand: its yargs definition and what it does with the parsed arguments. */
export interface CliCommand<A = object> {
  command: string;
  describe: string;
  builder: (y: Argv<GlobalArgs>) => Argv<unknown>;
  run: (ctx: Ctx, args: A & GlobalArgs) => Promise<void>;
}

/** Declares a command with its argument type (yargs' inferred types are not carried across modules). */
export function defineCommand<A>(c: CliCommand<A>): CliCommand<A> {
  return c;
}

/** A command of any argument type, as the program's command list holds them. */
// biome-ignore lint/suspicious/noExplicitAny: each command checks its own arguments; the list only dispatches
export type AnyCommand = CliCommand<any>;
