import type { BackupClient } from '../../backup-api/index.ts';
import { readRepository } from '../repository-reads.ts';
import type { ReadonlyDeep, ReconcileContext, ReconcileOutcome } from '../runtime/index.ts';
import { taskOutcome, taskProgress, taskTime } from '../task-runs.ts';
import type { OneShotResource } from './kind.ts';
import type { ObjectMemory } from './memory.ts';
import type { ResolvedRepository } from './repository-source.ts';
import { ONE_SHOT_REASONS } from './status.ts';
import type { OneShotTools } from './tools.ts';
import { hasVanished } from './vanished.ts';

/** A task that is neither running nor in history this long is declared lost. */
export const VANISHED_AFTER_MS = 30_000;

/** Follows a task whose name is recorded until it ends. */
export async function followTask<T extends OneShotResource>(
  tools: OneShotTools<T>,
  args: {
    obj: ReadonlyDeep<T>;
    memory: ObjectMemory;
    client: BackupClient;
    serviceKey: string;
    repo: ResolvedRepository;
    ctx: ReconcileContext;
  },
): Promise<ReconcileOutcome | undefined> {
  const { deps, kind, settle, event } = tools;
  const { obj, memory, client, repo, ctx } = args;
  const taskName = obj.status?.taskName as string;
  let state = repo.state;
  let repository = (await readRepository(client, state, repo.id, ctx.signal))?.repository;
  if (!repository) {
    // Archived (or imported) while the task ran: the history moves along with the repository.
    const elsewhere = deps.observations.findRepository(args.serviceKey, repo.id);
    if (elsewhere && elsewhere.state !== state) {
      state = elsewhere.state;
      repository = (await readRepository(client, state, repo.id, ctx.signal))?.repository;
    }
  }
  const running = repository?.running_one_off?.[taskName] ?? repository?.running_tasks?.[taskName];
  if (running) {
    memory.missingSince = undefined;
    deps.crashPoint(`${kind.name}:following`);
    await settle(obj, {
      kind: 'running',
      progress: taskProgress(running),
      startTime: taskTime(running.start),
      message: `Task ${taskName} is ${running.status} on repository ${repo.id}.`,
    });
    return { requeueAfterMs: deps.timings.taskPollIntervalMs };
  }
  const history = repository
    ? await client.taskHistory(state, repo.id, { taskName, signal: ctx.signal })
    : [];
  const entry = history[0];
  if (entry) {
    memory.missingSince = undefined;
    const outcome = taskOutcome(entry);
    const times = {
      startTime: taskTime(entry.start),
      completionTime: taskTime(entry.end) ?? tools.now().toISOString(),
    };
    if (outcome.kind === 'succeeded') {
      const extra = kind.onSucceeded
        ? await kind.onSucceeded({
            obj,
            run: entry,
            client,
            repository: { id: repo.id, state },
            signal: ctx.signal,
          })
        : {};
      const message = `Task ${taskName} succeeded.`;
      await settle(obj, { kind: 'succeeded', ...times, message }, extra);
      event(obj, 'Normal', ONE_SHOT_REASONS.succeeded, 'Follow', message);
      return undefined;
    }
    const hint = kind.failureHint?.(obj) ?? '';
    const message = `Task ${taskName} failed on the Backup Service: ${outcome.error}${hint ? ` ${hint}` : ''}`;
    await settle(obj, {
      kind: 'failed',
      reason: ONE_SHOT_REASONS.taskFailed,
      message,
      error: outcome.error,
      ...times,
    });
    event(obj, 'Warning', ONE_SHOT_REASONS.taskFailed, 'Follow', message);
    return undefined;
  }
  const since = memory.missingSince ?? deps.clock.now();
  memory.missingSince = since;
  if (!hasVanished(since, deps.clock.now(), VANISHED_AFTER_MS)) {
    return { requeueAfterMs: deps.timings.taskPollIntervalMs };
  }
  memory.missingSince = undefined;
  const where = repository
    ? `neither running on repository ${repo.id} nor in its task history`
    : `gone together with repository ${repo.id}`;
  const message = `Task ${taskName} vanished: it is ${where} for ${VANISHED_AFTER_MS / 1000} s. The operator does not know how it ended; check the Backup Service and create a new ${tools.label} if needed.`;
  await settle(obj, tools.failNow(ONE_SHOT_REASONS.taskVanished, message, `task ${taskName} vanished`));
  event(obj, 'Warning', ONE_SHOT_REASONS.taskVanished, 'Follow', message);
  return undefined;
}
