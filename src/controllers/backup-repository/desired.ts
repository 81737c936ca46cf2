import type { ObservedRepository } from '../cluster-observations.ts';
import type { BackupPlanResource, BackupRepositoryResource } from '../resources.ts';
import { findCondition, type ReadonlyDeep } from '../runtime/index.ts';

type Spec = BackupRepositoryResource['spec'];
type Obj = Pick<BackupRepositoryResource, 'spec' | 'metadata'> | ReadonlyDeep<BackupRepositoryResource>;

/** Condition reasons of BackupRepository (machine-readable, never reworded). */
export const REPOSITORY_REASONS = {
  available: 'Available',
  synced: 'Synced',
  drifted: 'Drifted',
  applying: 'Applying',
  planNotReady: 'PlanNotReady',
  notFound: 'RepositoryNotFound',
  adoptionConflict: 'AdoptionConflict',
  archivedOnServer: 'ArchivedOnServer',
  serverRejected: 'ServerRejected',
  planChangeUnsupported: 'PlanChangeUnsupported',
  waitingForService: 'WaitingForService',
  serviceUnavailable: 'ServiceUnavailable',
  serviceUnreachable: 'ServiceUnreachable',
  healthy: 'Healthy',
  unhealthy: 'Unhealthy',
  unknown: 'Unknown',
  triggerRejected: 'TriggerRejected',
  deletionRejected: 'DeletionRejected',
  /** Another BackupRepository owns the server repository (ownership.ts). */
  ownedByOther: 'OwnedByOther',
} as const;

/** Synced reasons that say the spec of their generation was applied (or found matching). */
const APPLIED_REASONS: readonly string[] = [
  REPOSITORY_REASONS.synced,
  REPOSITORY_REASONS.drifted,
  REPOSITORY_REASONS.triggerRejected,
];

/**
 * Whether the spec of `generation` was applied (pure): a Synced condition of that generation says it
 * matched or was made to match. A status written while waiting (plan not Ready, service down)
 * carries the generation too but applied nothing, so a change of spec stays a change, not drift.
 */
export function specApplied(
  conditions:
    | ReadonlyDeep<{ type: string; reason: string; observedGeneration?: number | undefined }[]>
    | undefined,
  generation: number,
): boolean {
  const synced = conditions?.find((c) => c.type === 'Synced');
  return synced?.observedGeneration === generation && APPLIED_REASONS.includes(synced.reason);
}

/** Repository id on the Backup Service: `spec.repositoryId`, else the object name. */
export function repositoryId(obj: Obj): string {
  return obj.spec.repositoryId ?? obj.metadata.name;
}

/** Archive location string the server stores: the filesystem path or the object-store URI. */
export function archiveLocation(spec: ReadonlyDeep<Spec> | Spec): string {
  return spec.storage.filesystem?.path ?? spec.storage.objectStore?.uri ?? '';
}

/** Which plan the repository should use, and whether it can be used yet. */
export type PlanResolution =
  | { kind: 'none' }
  | { kind: 'named'; name: string; ready: boolean; message: string };

/**
 * Resolves the plan (pure): a built-in plan is always usable; a BackupPlan must exist and be Ready
 * at its current generation. Its server-side name is the one its status publishes (`status.planName`:
 * `spec.planName ?? metadata.name`, or a newer version after a rollout), else `spec.planName ??
 * metadata.name`, known even before it is Ready so that an already matching repository is not held up.
 */
export function resolvePlan(
  spec: ReadonlyDeep<Spec> | Spec,
  namespace: string,
  plan: ReadonlyDeep<BackupPlanResource> | undefined,
): PlanResolution {
  if (spec.import) return { kind: 'none' };
  if (spec.builtInPlan) return { kind: 'named', name: spec.builtInPlan, ready: true, message: '' };
  const refName = spec.planRef?.name ?? '';
  if (!plan) {
    return {
      kind: 'named',
      name: refName,
      ready: false,
      message: `BackupPlan ${namespace}/${refName} does not exist yet`,
    };
  }
  // The version the plan publishes: an edit of a plan in use is rolled out as a new server plan.
  const name = plan.status?.planName ?? plan.spec.planName ?? plan.metadata.name;
  const ready = findCondition(plan.status?.conditions, 'Ready');
  const current =
    ready?.status === 'True' &&
    plan.status?.observedGeneration === plan.metadata.generation &&
    ready.observedGeneration === plan.metadata.generation;
  return {
    kind: 'named',
    name,
    ready: current,
    message: current ? '' : `BackupPlan ${namespace}/${plan.metadata.name} is not Ready yet`,
  };
}

const trimSlash = (s: string) => (s.length > 1 ? s.replace(/\/+$/, '') : s);

/**
 * Differences in fields the server never changes after creation (archive location, bucket,
 * imported repo name); any of them means the server object is not the one this spec describes.
 */
export function immutableMismatches(spec: ReadonlyDeep<Spec> | Spec, observed: ObservedRepository): string[] {
  const repo = observed.repository;
  const out: string[] = [];
  const archive = archiveLocation(spec);
  if (trimSlash(repo.archive) !== trimSlash(archive)) {
    out.push(`archive: server has "${repo.archive}", spec wants "${archive}"`);
  }
  const bucket = repo.bucket?.name;
  if ((bucket ?? '') !== (spec.bucket ?? '')) {
    out.push(
      `bucket: server has ${bucket ? `"${bucket}"` : 'all buckets'}, spec wants ${spec.bucket ? `"${spec.bucket}"` : 'all buckets'}`,
    );
  }
  if (spec.import && repo.repo !== spec.import.repo) {
    out.push(`repo: server has "${repo.repo}", spec wants "${spec.import.repo}"`);
  }
  return out;
}

/** One write to the Backup Service. */
export type RepositoryAction =
  | { kind: 'create'; plan: string }
  | { kind: 'import' }
  | { kind: 'archive' }
  | { kind: 'change-plan'; from: string; to: string; resume: boolean }
  | { kind: 'pause' }
  | { kind: 'resume' };

/** What to do next, given spec and observation. */
export type Decision =
  | { kind: 'act'; action: RepositoryAction }
  | { kind: 'synced' }
  /** The server differs and the policy says not to correct it; `diff` says how. */
  | { kind: 'drifted'; diff: string[] }
  | { kind: 'blocked'; state: 'Stalled' | 'Reconciling'; reason: string; message: string };

/** Inputs of {@link decide}. */
export interface DecideInput {
  spec: ReadonlyDeep<Spec> | Spec;
  id: string;
  plan: PlanResolution;
  observed: ObservedRepository | undefined;
  /** True when the spec changed since status was last written (a new declaration, not drift). */
  specChanged: boolean;
}

const serverState = (o: ObservedRepository) => (o.state === 'active' ? o.repository.state : o.state);

/**
 * Decides the next single action (pure). The shell performs it, re-reads the repository and asks
 * again, so every step is decided from what the server says now.
 */
export function decide(input: DecideInput): Decision {
  const { spec, id, plan, observed } = input;
  const observe = spec.managementPolicy === 'Observe';
  const R = REPOSITORY_REASONS;
  const notFound = (message: string): Decision =>
    observe
      ? { kind: 'blocked', state: 'Reconciling', reason: R.notFound, message }
      : { kind: 'blocked', state: 'Stalled', reason: R.notFound, message };
  const conflict = (message: string): Decision => ({
    kind: 'blocked',
    state: 'Stalled',
    reason: R.adoptionConflict,
    message,
  });

  if (!observed) {
    if (observe)
      return notFound(`Repository ${id} does not exist on the Backup Service (Observe only mirrors it)`);
    if (spec.import) return { kind: 'act', action: { kind: 'import' } };
    if (spec.state === 'Archived') {
      return notFound(
        `Repository ${id} does not exist on the Backup Service; an Archived repository is never created`,
      );
    }
    if (plan.kind !== 'named' || !plan.ready) {
      return { kind: 'blocked', state: 'Reconciling', reason: R.planNotReady, message: planMessage(plan) };
    }
    return { kind: 'act', action: { kind: 'create', plan: plan.name } };
  }

  const state = serverState(observed);
  const mismatches = immutableMismatches(spec, observed);
  if (mismatches.length > 0) {
    return conflict(
      `Repository ${id} on the Backup Service differs in fields that cannot change (${mismatches.join('; ')}); it is left untouched: fix the spec or use another repositoryId`,
    );
  }

  if (spec.import) {
    if (state !== 'imported') {
      return conflict(
        `Repository ${id} exists on the Backup Service as ${state}, but spec.import expects an imported repository`,
      );
    }
    return { kind: 'synced' };
  }
  if (state === 'imported') {
    return conflict(
      `Repository ${id} is an imported repository on the Backup Service; set spec.import to adopt it`,
    );
  }

  if (spec.state === 'Archived') {
    if (state === 'archived') return { kind: 'synced' };
    if (observe) return { kind: 'drifted', diff: [`state: server ${state}, spec Archived`] };
    return { kind: 'act', action: { kind: 'archive' } };
  }
  if (state === 'archived') {
    return {
      kind: 'blocked',
      state: 'Stalled',
      reason: R.archivedOnServer,
      message: `Repository ${id} is archived on the Backup Service and archiving is final: set spec.state to Archived, or use another repositoryId`,
    };
  }

  const diff: string[] = [];
  const planDiffers = plan.kind === 'named' && observed.repository.plan_name !== plan.name;
  if (planDiffers) diff.push(`plan: server "${observed.repository.plan_name}", spec "${plan.name}"`);
  const wantPaused = spec.state === 'Paused';
  const stateDiffers = (state === 'paused') !== wantPaused;
  if (stateDiffers) diff.push(`state: server ${state}, spec ${spec.state}`);
  if (diff.length === 0) return { kind: 'synced' };
  if (observe || (spec.driftPolicy === 'Report' && !input.specChanged)) return { kind: 'drifted', diff };

  if (planDiffers && plan.kind === 'named') {
    if (!plan.ready) {
      return { kind: 'blocked', state: 'Reconciling', reason: R.planNotReady, message: planMessage(plan) };
    }
    return {
      kind: 'act',
      action: {
        kind: 'change-plan',
        from: observed.repository.plan_name,
        to: plan.name,
        resume: !wantPaused,
      },
    };
  }
  return { kind: 'act', action: { kind: wantPaused ? 'pause' : 'resume' } };
}

function planMessage(plan: PlanResolution): string {
  return plan.kind === 'named' ? plan.message || `Plan ${plan.name} is not ready` : 'No plan';
}
