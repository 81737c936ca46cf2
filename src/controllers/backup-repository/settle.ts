import { createHash } from 'node:crypto';
import type { ObservedRepository } from '../cluster-observations.ts';
import { earliest } from '../engine/engine-core.ts';
import type { Settled } from '../engine/managed-kind.ts';
import type { ControllerDeps } from '../operator.ts';
import { repositoryIdTarget } from '../reference-index.ts';
import { readRepository } from '../repository-reads.ts';
import type { BackupRepositoryResource } from '../resources.ts';
import { rpoRequeueMs } from './backup-health.ts';
import { countDownFinished, FOLLOW_LOOKS, runningNames } from './memo.ts';
import type { RepositoryReconcile } from './reconcile-state.ts';
import { nextRequeueMs } from './requeue.ts';
import {
  mirrorRepository as mirroredFields,
  RECENT_TASKS_LIMIT,
  repositoryFingerprint,
  summarizeHistory,
} from './status.ts';
import type { RepositoryDetail } from './status-for.ts';
import { runTriggerTokens } from './trigger-tokens.ts';

type Repo = BackupRepositoryResource;
type Observed = ObservedRepository | undefined;

/**
 * Once nothing is left to write: trigger tokens (for a managed repository that is where the spec
 * wants it), and when to look again for the decision and the tokens.
 */
export async function settleRepository(
  r: RepositoryReconcile,
  initial: Observed,
  detail: RepositoryDetail,
): Promise<Settled<Repo, Observed, RepositoryDetail>> {
  let observed = initial;
  const result: RepositoryDetail = { ...detail };
  let triggerWaitMs: number | undefined;
  const { decision } = detail;
  if (
    r.obj.spec.managementPolicy !== 'Observe' &&
    observed &&
    (decision.kind === 'synced' || decision.kind === 'drifted')
  ) {
    const t = await runTriggerTokens({
      client: r.client(),
      repositories: r.deps.kinds.repositories.client,
      kinds: r.deps.kinds,
      obj: r.obj,
      id: r.id,
      observed,
      recorded: r.previous?.triggers,
      echoes: r.echoes,
      deps: r.deps,
      signal: r.ctx.signal,
    });
    r.obj = t.obj;
    result.triggerProblem = t.problem;
    result.triggerWaiting = t.waiting;
    triggerWaitMs = t.waitMs;
    for (const name of t.follow) r.memo.following.set(name, FOLLOW_LOOKS);
    if (t.recorded || t.sent) {
      r.forceFetch = true;
      r.memo.createdEmptyAt = undefined;
    }
    if (t.error !== undefined) throw t.error;
    if (t.sent) observed = r.remember(await readRepository(r.client(), 'active', r.id, r.ctx.signal));
  }
  const requeueAfterMs = nextRequeueMs({
    decision,
    following: false,
    fetchFailed: false,
    triggerWaitMs,
    taskPollIntervalMs: r.deps.timings.taskPollIntervalMs,
  });
  // Also without an observation (nothing on the server yet), time alone may miss the objective.
  return {
    observed,
    detail: result,
    obj: r.obj,
    requeueAfterMs: earliest(requeueAfterMs, rpoLookMs(r, observed)),
  };
}

/**
 * What status mirrors beyond the poll, whatever the reconcile decided (also while an action is
 * refused): followed tasks counted down, then task history and `/info` when they may have moved.
 * Resolves when to look again for them: soon while a started task is followed or a read failed.
 */
export async function mirrorRepository(
  r: RepositoryReconcile,
  observed: Observed,
): Promise<number | undefined> {
  if (countDownFinished(r.memo.following, runningNames(observed))) r.forceFetch = true;
  const fetchFailed = observed ? !(await readDetails(r, observed)) : false;
  const soonest = nextRequeueMs({
    decision: { kind: 'synced' },
    following: r.memo.following.size > 0,
    fetchFailed,
    taskPollIntervalMs: r.deps.timings.taskPollIntervalMs,
  });
  return earliest(soonest, rpoLookMs(r, observed));
}

/** When RPOMet flips by time alone, from what this reconcile knows of the last successful backup. */
function rpoLookMs(r: RepositoryReconcile, observed: Observed): number | undefined {
  const lastSuccess = r.fetched
    ? summarizeHistory(r.fetched.history, r.previous).lastSuccessfulBackupTime
    : r.previous?.lastSuccessfulBackupTime;
  const state = observed ? mirroredFields(observed).state : r.previous?.state;
  return rpoRequeueMs(r.obj.spec, state, lastSuccess, r.obj.metadata.creationTimestamp, r.deps.clock.now());
}

/** Reads history and info when they may have moved; false when the read failed (status keeps the last). */
async function readDetails(r: RepositoryReconcile, observed: ObservedRepository): Promise<boolean> {
  // Runs finishing on this repository add backups that a poll may never show running.
  const fingerprint = `${repositoryFingerprint(observed)}|${finishedRunsOn(r.deps, r.obj, r.id)}`;
  const { memo } = r;
  const digest = detailsDigest(fingerprint, r.generation);
  // What this process read last, else (after a restart) what status says was read.
  const readFor = memo.detailsDigest ?? r.previous?.detailsDigest;
  if (!r.forceFetch && readFor === digest) {
    memo.detailsDigest = digest;
    return true;
  }
  const client = r.client();
  const { signal } = r.ctx;
  try {
    // Known without asking: a repository this process created, with nothing running since, has no
    // task history and no backups (so their total size is 0): two requests fewer per repository in
    // a cold sync. Its first task changes the fingerprint and both are read then.
    const knownEmpty =
      memo.createdEmptyAt !== undefined &&
      r.deps.clock.now() - memo.createdEmptyAt < CREATED_EMPTY_TRUST_MS &&
      runningNames(observed).size === 0;
    const [history, info] = knownEmpty
      ? [[], { name: observed.repository.repo, size: 0, count: 0, backups: [] }]
      : await Promise.all([
          client.taskHistory(observed.state, r.id, { limit: RECENT_TASKS_LIMIT, signal }),
          client.getRepositoryInfo(observed.state, r.id, { signal }),
        ]);
    r.fetched = { history, info, digest };
    memo.createdEmptyAt = undefined;
    for (const t of history) memo.following.delete(t.task_name);
    memo.detailsDigest = digest;
    return true;
  } catch (err) {
    r.ctx.log.warn({ err }, 'could not read task history or info');
    return false;
  }
}

/**
 * How long after its create a repository is known to have no history and no backups when nothing
 * runs on it: long enough for the first poll to show it in a cold sync of thousands, short enough
 * that no scheduled task could have run and finished unseen (a service unreachable meanwhile).
 */
const CREATED_EMPTY_TRUST_MS = 60_000;

/** A short digest of what history and info were read for, kept in status across restarts. */
function detailsDigest(fingerprint: string, generation: number): string {
  return createHash('sha256').update(`${generation}|${fingerprint}`).digest('base64url').slice(0, 22);
}

/** Task names of the finished BackupRuns on this repository (reference index and cache, no request). */
function finishedRunsOn(deps: ControllerDeps, obj: Repo, id: string): string {
  const namespace = obj.metadata.namespace ?? '';
  const names = new Set([
    ...deps.references.referrers('runs', namespace, `repositories:${obj.metadata.name}`),
    ...deps.references.referrers('runs', namespace, repositoryIdTarget(obj.spec.serviceRef.name, id)),
  ]);
  const finished: string[] = [];
  for (const name of names) {
    const run = deps.kinds.runs.store.get(`${namespace}/${name}`);
    if (run?.status?.phase === 'Succeeded' || run?.status?.phase === 'Failed')
      finished.push(run.status?.taskName ?? run.metadata.name);
  }
  return finished.sort().join(',');
}
