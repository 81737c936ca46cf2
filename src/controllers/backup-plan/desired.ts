import type { Plan, PlanBody, PlanTask } from '../../backup-api/index.ts';
import type { BackupPlanSpec, BackupPlanTask } from '../../crds/backup-plan.ts';
import { SERVICES } from '../../crds/common.ts';

/** Longest drift summary the status schema accepts. */
const MAX_SUMMARY = 1024;
/** Most drift field paths the status schema accepts. */
const MAX_FIELDS = 32;
/** Longest drift field path the status schema accepts. */
const MAX_FIELD_LENGTH = 256;
/** Longest rendering of one value inside a summary, so that one big field cannot hide the others. */
const MAX_VALUE_LENGTH = 80;

/** The parts of a spec that make up the plan on the server. */
export type PlanSpecContent = Pick<BackupPlanSpec, 'description' | 'services' | 'tasks'>;

function taskBody(task: BackupPlanTask): PlanTask {
  const schedule: PlanTask['schedule'] = {
    job_type: task.type,
    frequency: task.schedule.frequency,
    period: task.schedule.period,
  };
  if (task.schedule.time !== undefined) schedule.time = task.schedule.time;
  if (task.schedule.startNow) schedule.start_now = true;
  const body: PlanTask = { name: task.name, task_type: task.type, schedule };
  if (task.type === 'BACKUP') body.full_backup = task.fullBackup ?? false;
  if (task.type === 'MERGE' && task.merge) {
    body.merge_options = { offset_start: task.merge.offsetStart, offset_end: task.merge.offsetEnd };
  }
  return body;
}

/**
 * The `POST|PUT /plan/{name}` body for a spec (pure). Unset description and services are omitted,
 * which the server stores as "no description" and "all services".
 */
export function toPlanBody(spec: PlanSpecContent): PlanBody {
  const body: PlanBody = { tasks: (spec.tasks ?? []).map(taskBody) };
  if (spec.description !== undefined && spec.description !== '') body.description = spec.description;
  if (spec.services !== undefined && spec.services.length > 0) body.services = [...spec.services];
  return body;
}

/** A task with every server default spelled out, so that equal plans compare equal. */
interface CanonicalTask {
  type: string;
  frequency: number;
  period: string;
  time: string | null;
  startNow: boolean;
  fullBackup: boolean;
  mergeOffsetStart: number | null;
  mergeOffsetEnd: number | null;
}

interface CanonicalPlan {
  description: string;
  /** Sorted and deduplicated; every service when the server means "all". */
  services: string[];
  tasks: Map<string, CanonicalTask>;
}

const ALL_SERVICES = [...SERVICES].sort();

function canonicalServices(services: readonly string[] | null | undefined): string[] {
  // null, [] and the full list all mean "back up every service".
  if (!services || services.length === 0) return ALL_SERVICES;
  return [...new Set(services)].sort();
}

function canonicalTask(task: PlanTask): CanonicalTask {
  const merge = task.task_type === 'MERGE';
  return {
    type: task.task_type,
    frequency: task.schedule.frequency,
    period: task.schedule.period,
    // The server drops an empty time, so "" and absent are the same schedule.
    time: task.schedule.time ? task.schedule.time : null,
    startNow: task.schedule.start_now === true,
    // GET shows full_backup: false on tasks that are not BACKUP; only a true BACKUP flag matters.
    fullBackup: task.task_type === 'BACKUP' && task.full_backup === true,
    // A MERGE without options merges today only (offsets 0, the server's default).
    mergeOffsetStart: merge ? (task.merge_options?.offset_start ?? 0) : null,
    mergeOffsetEnd: merge ? (task.merge_options?.offset_end ?? 0) : null,
  };
}

function canonicalPlan(plan: PlanBody | Plan): CanonicalPlan {
  return {
    description: plan.description ?? '',
    services: canonicalServices(plan.services),
    tasks: new Map((plan.tasks ?? []).map((t) => [t.name, canonicalTask(t)])),
  };
}

/** Field paths of a task as the spec names them, for diffs users can map back to their YAML. */
const TASK_FIELD_PATHS: Record<keyof CanonicalTask, string> = {
  type: 'type',
  frequency: 'schedule.frequency',
  period: 'schedule.period',
  time: 'schedule.time',
  startNow: 'schedule.startNow',
  fullBackup: 'fullBackup',
  mergeOffsetStart: 'merge.offsetStart',
  mergeOffsetEnd: 'merge.offsetEnd',
};

/** One difference between desired and observed. */
export interface PlanFieldDiff {
  /** Path in spec terms, e.g. `tasks[hourly].schedule.frequency`. */
  path: string;
  desired: unknown;
  observed: unknown;
}

/** Differences between spec and server, in the shape of `status.drift`. */
export interface PlanDrift {
  summary: string;
  fields: string[];
}

/** Result of {@link comparePlan}. */
export interface PlanComparison {
  upToDate: boolean;
  /** Every difference, in a stable order (description, services, tasks by name). */
  differences: PlanFieldDiff[];
  /** Undefined when up to date. */
  diff: PlanDrift | undefined;
}

function render(value: unknown): string {
  if (value === undefined) return 'absent';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 3)}...` : text;
}

function renderServices(services: string[]): string {
  return services.length === ALL_SERVICES.length ? 'all' : `[${services.join(',')}]`;
}

/** One-line summary of differences, cut to what the status schema allows (pure). */
export function summarizeDifferences(differences: readonly PlanFieldDiff[]): string {
  const parts = differences.map(
    (d) => `${d.path}: ${render(d.observed)} on server, ${render(d.desired)} in spec`,
  );
  const summary = parts.join('; ');
  return summary.length > MAX_SUMMARY ? `${summary.slice(0, MAX_SUMMARY - 3)}...` : summary;
}

/**
 * Compares the plan the spec asks for with the plan the server returns (pure), after normalising
 * what the server fills in on its own: `services: null` vs all services, an omitted empty
 * description or time, `full_backup: false` on non-BACKUP tasks, absent merge offsets, the order of
 * services and tasks.
 */
export function comparePlan(desired: PlanBody, observed: Plan | PlanBody): PlanComparison {
  const want = canonicalPlan(desired);
  const have = canonicalPlan(observed);
  const differences: PlanFieldDiff[] = [];
  if (want.description !== have.description) {
    differences.push({
      path: 'description',
      desired: want.description || undefined,
      observed: have.description || undefined,
    });
  }
  if (want.services.join(',') !== have.services.join(',')) {
    differences.push({
      path: 'services',
      desired: renderServices(want.services),
      observed: renderServices(have.services),
    });
  }
  const names = [...new Set([...want.tasks.keys(), ...have.tasks.keys()])].sort();
  for (const name of names) {
    const w = want.tasks.get(name);
    const h = have.tasks.get(name);
    if (!w || !h) {
      differences.push({
        path: `tasks[${name}]`,
        desired: w ? 'present' : undefined,
        observed: h ? 'present' : undefined,
      });
      continue;
    }
    for (const key of Object.keys(TASK_FIELD_PATHS) as (keyof CanonicalTask)[]) {
      if (w[key] !== h[key]) {
        differences.push({
          path: `tasks[${name}].${TASK_FIELD_PATHS[key]}`,
          desired: w[key] ?? undefined,
          observed: h[key] ?? undefined,
        });
      }
    }
  }
  if (differences.length === 0) return { upToDate: true, differences, diff: undefined };
  return {
    upToDate: false,
    differences,
    diff: {
      summary: summarizeDifferences(differences),
      fields: differences.slice(0, MAX_FIELDS).map((d) => d.path.slice(0, MAX_FIELD_LENGTH)),
    },
  };
}

/**
 * The body to compare against under `managementPolicy: Observe` (pure): only the fields the spec
 * sets are checked; unset ones take the server's value, since an Observe spec may be partial.
 */
export function observeScope(spec: PlanSpecContent, observed: Plan): PlanBody {
  const body = toPlanBody(spec);
  if (spec.tasks === undefined) body.tasks = [...observed.tasks];
  if (spec.description === undefined) {
    if (observed.description !== undefined) body.description = observed.description;
  }
  if (spec.services === undefined) body.services = observed.services ?? null;
  return body;
}

/** Short human description of a server plan, e.g. for an Observe status message (pure). */
export function describePlan(plan: Plan): string {
  const tasks = plan.tasks.map(
    (t) =>
      `${t.name} (${t.task_type} every ${t.schedule.frequency} ${t.schedule.period}${t.schedule.time ? ` at ${t.schedule.time}` : ''})`,
  );
  return `${plan.tasks.length} task${plan.tasks.length === 1 ? '' : 's'}: ${tasks.join(', ')}; services ${renderServices(canonicalServices(plan.services))}`;
}

/** True when the spec uses PRUNE tasks, which only Couchbase Server 8.0+ accepts (docs/backup-service-api.md §9). */
export function usesPrune(spec: PlanSpecContent): boolean {
  return (spec.tasks ?? []).some((t) => t.type === 'PRUNE');
}
