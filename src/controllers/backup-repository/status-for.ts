import type { RepositoryInfo, TaskRun } from '../../backup-api/index.ts';
import { serverText } from '../../backup-api/index.ts';
import type { ObservedRepository } from '../cluster-observations.ts';
import type { Result } from '../engine/managed-kind.ts';
import type { BackupRepositoryResource } from '../resources.ts';
import { KStatusState } from '../runtime/index.ts';
import { withBackupHealth } from './backup-health.ts';
import { type Decision, REPOSITORY_REASONS as R, type RepositoryAction } from './desired.ts';
import { WaitingForPollError } from './refusals.ts';
import { assembleStatus, blockedOutcome, type RepositoryOutcome, withConditions } from './status.ts';
import { withTriggerOutcomes } from './triggers.ts';

type Repo = BackupRepositoryResource;
type Status = NonNullable<Repo['status']>;

/** What a reconcile that wrote nothing more decided, with the notes of its trigger tokens. */
export interface RepositoryDetail {
  decision: Exclude<Decision, { kind: 'act' }>;
  triggerProblem?: string | undefined;
  triggerWaiting?: string | undefined;
}

/** kstatus and Synced from the final decision (pure); `triggerWaiting` notes a token held back. */
export function outcomeOf(
  decision: Decision,
  id: string,
  status: Status,
  driftPolicy: Repo['spec']['driftPolicy'],
  managementPolicy: Repo['spec']['managementPolicy'],
  triggerProblem: string | undefined,
  triggerWaiting?: string,
): RepositoryOutcome {
  const note = (message: string) =>
    triggerWaiting ? `${message.replace(/\.$/, '')}; ${triggerWaiting}` : message;
  const readyMessage = `Repository ${id} is ${status.state ?? 'present'} on the Backup Service`;
  switch (decision.kind) {
    case 'synced':
      return {
        state: KStatusState.Ready,
        reason: R.available,
        message: readyMessage,
        synced: triggerProblem
          ? { status: 'False', reason: R.triggerRejected, message: triggerProblem }
          : { status: 'True', reason: R.synced, message: note('The repository matches the spec.') },
      };
    case 'drifted': {
      const why =
        managementPolicy === 'Observe'
          ? 'managementPolicy Observe: not corrected'
          : driftPolicy === 'Report'
            ? 'driftPolicy Report: not corrected'
            : 'not corrected';
      return {
        state: KStatusState.Ready,
        reason: R.available,
        message: readyMessage,
        synced: { status: 'False', reason: R.drifted, message: note(`${decision.diff.join('; ')} (${why})`) },
      };
    }
    case 'blocked':
      return blockedOutcome(
        decision.state === 'Stalled' ? KStatusState.Stalled : KStatusState.Reconciling,
        decision.reason,
        decision.message,
      );
    case 'act':
      return blockedOutcome(KStatusState.Reconciling, R.applying, `Applying: ${decision.action.kind}`);
  }
}

/** Inputs of {@link repositoryStatusFor}: how the reconcile ended and what it read. */
export interface RepositoryStatusInput {
  obj: Repo;
  id: string;
  previous: Status | undefined;
  observed: ObservedRepository | undefined;
  result: Result<RepositoryAction, RepositoryDetail>;
  fetched: { history: readonly TaskRun[]; info: RepositoryInfo; digest?: string } | undefined;
  echoes: Status['triggers'];
  generation: number;
  now: Date;
}

/**
 * The whole status of a BackupRepository after one reconcile of the engine (pure). Before anything
 * was observed (no poll yet, a stale poll, no connection) the last known data is kept; right after
 * an operator restart, before the first poll, nothing is written (undefined).
 */
export function repositoryStatusFor(input: RepositoryStatusInput): Status | undefined {
  const { obj, id, previous, observed, result, generation, now } = input;
  const error = result.kind === 'refused' || result.kind === 'unavailable' ? result.error : undefined;
  // No write at all: rewriting the last status would stamp observedGeneration on an unapplied spec.
  if (error instanceof WaitingForPollError && error.keepStatus && previous) return undefined;
  const data =
    observed || result.kind === 'done'
      ? assembleStatus({ previous, id, observed, fetched: input.fetched, triggers: input.echoes })
      : {
          ...previous,
          ...(input.echoes && (input.echoes.backup || input.echoes.merge) ? { triggers: input.echoes } : {}),
        };
  if (data.triggers) data.triggers = withTriggerOutcomes(data.triggers, data.recentTasks);
  const status = withConditions(data, outcomeFor(obj, id, data, result), generation, now);
  return withBackupHealth(status, {
    spec: obj.spec,
    createdAt: obj.metadata.creationTimestamp,
    // Only a reconcile that observed nothing and failed before deciding a write could not read the
    // service; a write decided (even if refused) came from a read that found no repository.
    readable:
      observed !== undefined ||
      result.kind === 'done' ||
      ((result.kind === 'refused' || result.kind === 'unavailable') && result.action !== undefined),
    generation,
    now,
  });
}

function outcomeFor(
  obj: Repo,
  id: string,
  data: Status,
  result: Result<RepositoryAction, RepositoryDetail>,
): RepositoryOutcome {
  switch (result.kind) {
    case 'done': {
      const { decision, triggerProblem, triggerWaiting } = result.detail;
      return outcomeOf(
        decision,
        id,
        data,
        obj.spec.driftPolicy,
        obj.spec.managementPolicy,
        triggerProblem,
        triggerWaiting,
      );
    }
    case 'refused': {
      const { reason, message } = result.refusal;
      const waiting = reason === R.waitingForService || reason === R.serviceUnreachable;
      return blockedOutcome(waiting ? KStatusState.Reconciling : KStatusState.Stalled, reason, message);
    }
    case 'unavailable': {
      return blockedOutcome(
        KStatusState.Reconciling,
        R.serviceUnavailable,
        `The Backup Service did not answer as expected: ${serverText(result.error)}`,
      );
    }
    case 'acting':
      return blockedOutcome(KStatusState.Reconciling, R.applying, `Applying: ${result.action.kind}`);
    case 'deleting':
      return blockedOutcome(KStatusState.Reconciling, result.reason, result.message);
  }
}
