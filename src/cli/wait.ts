import { setTimeout as delay } from 'node:timers/promises';
import cliProgress from 'cli-progress';
import type { KindMeta } from '../crds/index.ts';
import type { Ctx } from './context.ts';
import { CliError, EXIT } from './exit-codes.ts';
import type { KubeObject } from './kube.ts';

/** The part of a one-shot object's status that `--wait` follows. */
export interface OneShotStatus {
  phase?: string;
  progress?: number;
  taskName?: string;
  error?: string;
  backupName?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

/** Whether a phase never changes again. */
export function isTerminal(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** One line about where a one-shot object stands (for logs without a terminal). */
export function describeProgress(kind: string, name: string, s: OneShotStatus | undefined): string {
  const phase = s?.phase ?? 'Pending';
  const parts = [`${kind} ${name}: ${phase}`];
  if (s?.progress !== undefined) parts.push(`${Math.round(s.progress)}%`);
  if (s?.taskName) parts.push(`task ${s.taskName}`);
  if (s?.backupName) parts.push(`backup ${s.backupName}`);
  if (s?.error) parts.push(`error: ${s.error}`);
  return parts.join(', ');
}

/**
 * Follows a BackupRun or BackupRestore until Succeeded or Failed: a progress bar on a terminal,
 * one line per change otherwise. Failed, or no end within `timeoutMs`, exits 6.
 */
export async function waitForOneShot(
  ctx: Ctx,
  meta: KindMeta,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<KubeObject> {
  const kube = ctx.kube();
  const deadline = Date.now() + timeoutMs;
  const bar = ctx.stderrIsTTY
    ? new cliProgress.SingleBar(
        {
          format: `${meta.kind} ${name} {bar} {percentage}% | {phase}`,
          stream: process.stderr,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(100, 0, { phase: 'Pending' });
  let lastLine = '';
  try {
    for (;;) {
      const obj = await kube.get(meta, namespace, name);
      const status = obj.status as OneShotStatus | undefined;
      if (bar) bar.update(Math.round(status?.progress ?? 0), { phase: status?.phase ?? 'Pending' });
      else if (!isTerminal(status?.phase)) {
        // The end state is the command's result on stdout; stderr only follows the way there.
        const line = describeProgress(meta.kind, name, status);
        if (line !== lastLine) ctx.out.stderr(`${line}\n`);
        lastLine = line;
      }
      if (isTerminal(status?.phase)) {
        bar?.stop();
        if (status?.phase === 'Failed') {
          throw new CliError(
            EXIT.taskFailed,
            `${meta.kind} ${namespace}/${name} Failed: ${status.error ?? failureReason(status)}`,
          );
        }
        return obj;
      }
      if (Date.now() > deadline) {
        throw new CliError(
          EXIT.taskFailed,
          `${meta.kind} ${namespace}/${name} not finished after ${Math.round(timeoutMs / 1000)} s (phase ${status?.phase ?? 'Pending'}); it keeps running, follow it with kubectl get`,
        );
      }
      await delay(500);
    }
  } finally {
    bar?.stop();
  }
}

function failureReason(s: OneShotStatus): string {
  const c = s.conditions?.find((x) => x.type === 'Ready' && x.status === 'False');
  return c ? `${c.reason}: ${c.message}` : 'no error recorded';
}
