import { createInterface } from 'node:readline/promises';
import { CliError, EXIT } from './exit-codes.ts';

/** How a destructive command may proceed. */
export type ConfirmDecision = 'proceed' | 'ask' | 'refuse';

/** --yes proceeds; otherwise a terminal is asked and anything else refuses (never a silent yes). */
export function confirmDecision(yes: boolean, stdinIsTTY: boolean): ConfirmDecision {
  if (yes) return 'proceed';
  return stdinIsTTY ? 'ask' : 'refuse';
}

/** True for the answers that mean yes. */
export function isYes(answer: string): boolean {
  return /^(y|yes)$/i.test(answer.trim());
}

/** Asks on the terminal, or refuses with exit 7; resolves only when the user agreed. */
export async function confirm(
  question: string,
  what: string,
  yes: boolean,
  stdinIsTTY: boolean,
  io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream } = {
    input: process.stdin,
    output: process.stderr,
  },
): Promise<void> {
  const decision = confirmDecision(yes, stdinIsTTY);
  if (decision === 'proceed') return;
  if (decision === 'refuse') {
    throw new CliError(EXIT.notConfirmed, `refusing to ${what} without --yes: stdin is not a terminal`);
  }
  const rl = createInterface({ input: io.input, output: io.output });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!isYes(answer)) throw new CliError(EXIT.notConfirmed, `not confirmed: did not ${what}`);
  } finally {
    rl.close();
  }
}
