/**
 * The decisions of a managed plan across its server-side versions (pure). An edit of a plan that no
 * repository uses is a PUT in place; an edit of a plan in use creates the version of the current
 * generation, publishes it in status (repositories read their plan name from there), switches every
 * repository on an older version to it through the repository plan-change endpoint, and deletes each
 * older version once nothing uses it. The server refuses to delete a plan in use, so no repository
 * is ever left without a plan.
 */
import type { Plan, PlanBody } from '../../backup-api/index.ts';
import { comparePlan, type PlanDrift } from './desired.ts';
import { versionGeneration, versionName } from './versions.ts';

/** One version of the plan on the server and the repositories (active or paused) using it. */
export interface ServerVersion {
  name: string;
  plan: Plan | PlanBody;
  users: readonly string[];
}

/** One write of a plan. */
export type PlanAction =
  | { kind: 'create'; name: string }
  | { kind: 'replace'; name: string; drift: PlanDrift }
  | { kind: 'switch'; repository: string; from: string; to: string }
  | { kind: 'retire'; name: string };

/** Inputs of {@link decideVersions}. */
export interface VersionsInput {
  base: string;
  generation: number;
  /** The version status published (`status.planName`), else the base. */
  current: string;
  desired: PlanBody;
  /** The plan's versions that exist on the server. */
  versions: readonly ServerVersion[];
  /** driftPolicy Report: a differing plan is reported, never written. */
  report: boolean;
}

/** What a managed plan's versions call for. */
export type VersionsDecision =
  | { kind: 'act'; action: PlanAction }
  | { kind: 'synced' }
  | { kind: 'drift'; drift: PlanDrift }
  /** A new version exists and is not published yet: status first, so repositories follow it. */
  | { kind: 'publish'; target: string };

/** How far a rollout got (pure), for `status.rollout`; undefined when no older version remains. */
export interface RolloutProgress {
  serverPlanName: string;
  retiring: string[];
  switched: string[];
  pending: string[];
}

const matches = (desired: PlanBody, v: ServerVersion) => comparePlan(desired, v.plan).diff === undefined;

/**
 * The version repositories should use (pure): an existing one whose content is the spec's,
 * preferring the published one, then the current generation's, then the newest.
 */
export function targetVersion(input: Omit<VersionsInput, 'report'>): string | undefined {
  const matching = input.versions.filter((v) => matches(input.desired, v)).map((v) => v.name);
  if (matching.includes(input.current)) return input.current;
  const own = versionName(input.base, input.generation);
  if (matching.includes(own)) return own;
  const newest = (n: string) => versionGeneration(input.base, n) ?? -1;
  return matching.sort((a, b) => newest(b) - newest(a))[0];
}

/** The write that makes a version match the spec when none does (pure). */
function writeDecision(input: VersionsInput): VersionsDecision {
  const { desired, versions, current } = input;
  const byName = (name: string) => versions.find((v) => v.name === name);
  const cur = byName(current);
  if (!cur) return { kind: 'act', action: { kind: 'create', name: current } };
  const drift = comparePlan(desired, cur.plan).diff as PlanDrift;
  if (input.report) return { kind: 'drift', drift };
  if (cur.users.length === 0) return { kind: 'act', action: { kind: 'replace', name: current, drift } };
  const next = versionName(input.base, input.generation);
  const nv = byName(next);
  if (!nv) return { kind: 'act', action: { kind: 'create', name: next } };
  if (nv.users.length === 0) {
    const nextDrift = comparePlan(desired, nv.plan).diff as PlanDrift;
    return { kind: 'act', action: { kind: 'replace', name: next, drift: nextDrift } };
  }
  // Both in use and differing (the current generation's version was edited on the server): the
  // server refuses this, and the refusal says which repositories hold it.
  return { kind: 'act', action: { kind: 'replace', name: current, drift } };
}

/** Decides the next write of a managed plan across its versions (pure). */
export function decideVersions(input: VersionsInput): VersionsDecision {
  const target = targetVersion(input);
  if (target === undefined) return writeDecision(input);
  const older = input.versions.filter((v) => v.name !== target);
  if (target !== input.current && older.some((v) => v.users.length > 0)) return { kind: 'publish', target };
  for (const v of older) {
    const [repository] = v.users;
    if (repository !== undefined)
      return { kind: 'act', action: { kind: 'switch', repository, from: v.name, to: target } };
  }
  const [unused] = older;
  if (unused) return { kind: 'act', action: { kind: 'retire', name: unused.name } };
  return { kind: 'synced' };
}

/** The rollout as status shows it (pure): the target, what is left to retire and to switch. */
export function rolloutProgress(
  target: string | undefined,
  versions: readonly ServerVersion[],
): RolloutProgress | undefined {
  if (target === undefined) return undefined;
  const older = versions.filter((v) => v.name !== target);
  if (older.length === 0) return undefined;
  const on = versions.find((v) => v.name === target);
  return {
    serverPlanName: target,
    retiring: older.map((v) => v.name).sort(),
    switched: [...(on?.users ?? [])].sort(),
    pending: older.flatMap((v) => v.users).sort(),
  };
}
