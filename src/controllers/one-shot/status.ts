import type { BackupRunStatus } from '../../crds/backup-run.ts';
import type { PHASES } from '../../crds/one-shot.ts';
import { type Condition, KStatusState, setKStatus } from '../runtime/index.ts';

/** Phase of a one-shot resource. */
export type Phase = (typeof PHASES)[number];
/** Status fields both one-shot kinds share. */
export type OneShotStatus = Omit<BackupRunStatus, 'backupName'>;

/** Condition reasons of BackupRun and BackupRestore (machine-readable, never reworded). */
export const ONE_SHOT_REASONS = {
  triggering: 'Triggering',
  taskStarted: 'TaskStarted',
  waitingForService: 'WaitingForService',
  waitingForRepository: 'WaitingForRepository',
  repositoryNotFound: 'RepositoryNotFound',
  establishingOutcome: 'EstablishingTriggerOutcome',
  triggerOutcomeUnknown: 'TriggerOutcomeUnknown',
  triggerRetrying: 'TriggerRetrying',
  taskRunning: 'TaskRunning',
  succeeded: 'Succeeded',
  taskFailed: 'TaskFailed',
  taskVanished: 'TaskVanished',
  requestRejected: 'RequestRejected',
  backupNotFound: 'BackupNotFound',
  noBackups: 'NoBackups',
  repositoryNotActive: 'RepositoryNotActive',
  repositoryPaused: 'RepositoryPaused',
  repositoryDeleted: 'RepositoryDeleted',
  targetInvalid: 'TargetInvalid',
} as const;
export type OneShotReason = (typeof ONE_SHOT_REASONS)[keyof typeof ONE_SHOT_REASONS];

/** True for Succeeded and Failed, which never change again. */
export function isTerminal(phase: Phase | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

const ORDER: Record<Phase, number> = { Pending: 0, Running: 1, Succeeded: 2, Failed: 2 };

/**
 * The phase to record when the reconcile wants `wanted` (pure): phases only move forward, and a
 * terminal phase is final (Succeeded never becomes Failed or the other way round).
 */
export function nextPhase(current: Phase | undefined, wanted: Phase): Phase {
  if (current === undefined) return wanted;
  if (isTerminal(current)) return current;
  return ORDER[wanted] >= ORDER[current] ? wanted : current;
}

/** What one reconcile established about a one-shot resource. */
export type Situation =
  /** Not sent yet; waiting on something that resolves by itself (a dependency, the first poll, a grace period). */
  | { kind: 'waiting'; reason: OneShotReason | string; message: string }
  /** Not sent (or unknown whether sent); the user must act. */
  | { kind: 'blocked'; reason: OneShotReason | string; message: string }
  | { kind: 'running'; progress: number; startTime?: string | undefined; message: string }
  | { kind: 'succeeded'; startTime?: string | undefined; completionTime: string; message: string }
  | {
      kind: 'failed';
      reason: OneShotReason | string;
      message: string;
      error: string;
      startTime?: string | undefined;
      completionTime: string;
    };

/**
 * Computes phase, conditions, times, progress and error from a situation (pure). Other fields
 * (intent, taskName, repositoryId…) are the caller's and pass through. A terminal status is
 * returned unchanged.
 */
export function oneShotStatus<S extends OneShotStatus>(
  previous: S | undefined,
  situation: Situation,
  generation: number,
  now: Date,
): S {
  const base = { ...(previous ?? {}) } as S;
  if (isTerminal(base.phase)) return base;
  const conditions = (base.conditions ?? []) as Condition[];
  const kstatus = (state: KStatusState, reason: string, message: string) =>
    setKStatus(conditions, { state, reason, message, observedGeneration: generation }, now);

  switch (situation.kind) {
    case 'waiting':
      return {
        ...base,
        phase: nextPhase(base.phase, 'Pending'),
        conditions: kstatus(KStatusState.Reconciling, situation.reason, situation.message),
      };
    case 'blocked':
      return {
        ...base,
        phase: nextPhase(base.phase, 'Pending'),
        conditions: kstatus(KStatusState.Stalled, situation.reason, situation.message),
      };
    case 'running': {
      const next: S = {
        ...base,
        phase: nextPhase(base.phase, 'Running'),
        progress: Math.max(situation.progress, base.progress ?? 0),
        conditions: kstatus(KStatusState.Reconciling, ONE_SHOT_REASONS.taskRunning, situation.message),
      };
      if (situation.startTime) next.startTime = situation.startTime;
      return next;
    }
    case 'succeeded': {
      const next: S = {
        ...base,
        phase: 'Succeeded',
        progress: 100,
        completionTime: situation.completionTime,
        conditions: kstatus(KStatusState.Ready, ONE_SHOT_REASONS.succeeded, situation.message),
      };
      if (situation.startTime) next.startTime = situation.startTime;
      return next;
    }
    case 'failed': {
      const next: S = {
        ...base,
        phase: 'Failed',
        error: situation.error.slice(0, 4096),
        completionTime: situation.completionTime,
        conditions: kstatus(KStatusState.Stalled, situation.reason, situation.message),
      };
      if (situation.startTime) next.startTime = situation.startTime;
      return next;
    }
  }
}
