/**
 * Request validation per docs/backup-service-api.md §6.1. Every failure is an ApiError 400 with the reference's
 * body shape; `msg` names the class of problem and `extras` the detail (clients must not parse
 * either, §1.3).
 */
import { badRequest } from './api-error.ts';
import {
  type MergeOptions,
  PERIODS,
  type Period,
  type Plan,
  type Profile,
  SERVICES,
  type Service,
  TASK_TYPES,
  type TaskSchedule,
  type TaskTemplate,
  type TaskType,
} from './model.ts';

export const REPOSITORY_ID_PATTERN = /^[0-9A-Za-z][0-9A-Za-z_-]{0,49}$/;
export const PLAN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$/;
const TIME_PATTERN = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;
export const MAX_TASKS = 14;
export const MAX_FREQUENCY = 5000;
export const MAX_DESCRIPTION = 140;

const INVALID_PLAN = 'invalid plan';

/** Decodes a JSON request body like Go's json.Decoder: empty → EOF, bad JSON → the parse error. */
export function parseJsonBody(raw: string): Record<string, unknown> {
  if (raw.trim() === '') throw badRequest('invalid request body', 'EOF');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw badRequest('invalid request body', (err as Error).message);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(
      'invalid request body',
      `json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value} into Go value of type struct`,
    );
  }
  return value as Record<string, unknown>;
}

/** Like parseJsonBody but an empty body means `{}` (pause/resume/prune send none). */
export function parseOptionalJsonBody(raw: string): Record<string, unknown> {
  return raw.trim() === '' ? {} : parseJsonBody(raw);
}

/** Validates a repository id (create, archive `id`, import `id`). */
export function validateRepositoryId(id: unknown): string {
  if (typeof id !== 'string' || !REPOSITORY_ID_PATTERN.test(id)) {
    throw badRequest(`repository id must follow the rules ${REPOSITORY_ID_PATTERN.source}`);
  }
  return id;
}

/** Plan names: the reference's charset, 1–50 chars, leading `_` reserved for built-in plans. */
export function validatePlanName(name: string): string {
  if (!PLAN_NAME_PATTERN.test(name)) {
    throw badRequest(INVALID_PLAN, `plan name must follow the rules ${PLAN_NAME_PATTERN.source}`);
  }
  return name;
}

const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

// JSON.parse turns `1.0` into 1; the real service (Go, int field) rejects it, so the raw text
// is checked for a fraction or exponent on the key.
function rawHasNonIntegerNumber(raw: string, key: string): boolean {
  return new RegExp(`"${key}"\\s*:\\s*-?\\d+(\\.\\d*|[eE])`).test(raw);
}

function validateSchedule(value: unknown, where: string, taskType: TaskType, raw: string): TaskSchedule {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(INVALID_PLAN, `${where}: schedule is required`);
  }
  const s = value as Record<string, unknown>;
  if (typeof s.job_type !== 'string' || !(TASK_TYPES as readonly string[]).includes(s.job_type)) {
    throw badRequest(INVALID_PLAN, `${where}: invalid job type "${String(s.job_type)}"`);
  }
  if (s.job_type !== taskType) {
    throw badRequest(INVALID_PLAN, `${where}: job type ${s.job_type} does not match task type ${taskType}`);
  }
  if (!isInteger(s.frequency) || rawHasNonIntegerNumber(raw, 'frequency')) {
    throw badRequest(INVALID_PLAN, `${where}: frequency must be an integer`);
  }
  if (s.frequency < 1 || s.frequency > MAX_FREQUENCY) {
    throw badRequest(INVALID_PLAN, `${where}: frequency must be between 1 and ${MAX_FREQUENCY}`);
  }
  if (typeof s.period !== 'string' || !(PERIODS as readonly string[]).includes(s.period)) {
    throw badRequest(INVALID_PLAN, `${where}: invalid period "${String(s.period)}"`);
  }
  const schedule: TaskSchedule = {
    job_type: s.job_type as TaskType,
    frequency: s.frequency,
    period: s.period as Period,
  };
  if (s.time !== undefined && s.time !== '') {
    if (typeof s.time !== 'string' || !TIME_PATTERN.test(s.time)) {
      throw badRequest(INVALID_PLAN, `${where}: time must be in the format HH:MM`);
    }
    schedule.time = s.time;
  }
  if (s.start_now !== undefined) {
    if (typeof s.start_now !== 'boolean')
      throw badRequest(INVALID_PLAN, `${where}: start_now must be a bool`);
    if (s.start_now) schedule.start_now = true;
  }
  return schedule;
}

function validateMergeOptions(value: unknown, where: string): MergeOptions {
  const o = value as Record<string, unknown> | null;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) {
    throw badRequest(INVALID_PLAN, `${where}: merge_options must be an object`);
  }
  const start = o.offset_start ?? 0;
  const end = o.offset_end ?? 0;
  if (!isInteger(start) || !isInteger(end) || start < 0 || end < 0) {
    throw badRequest(INVALID_PLAN, `${where}: merge offsets must be non-negative integers`);
  }
  return { offset_start: start, offset_end: end };
}

function validateTask(value: unknown, index: number, profile: Profile, raw: string): TaskTemplate {
  const where = `task ${index}`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(INVALID_PLAN, `${where}: task must be an object`);
  }
  const t = value as Record<string, unknown>;
  if (typeof t.name !== 'string' || !PLAN_NAME_PATTERN.test(t.name)) {
    throw badRequest(INVALID_PLAN, `${where}: task name must follow the rules ${PLAN_NAME_PATTERN.source}`);
  }
  const allowedTypes: readonly string[] = profile === '8.0' ? TASK_TYPES : ['BACKUP', 'MERGE'];
  if (typeof t.task_type !== 'string' || !allowedTypes.includes(t.task_type)) {
    throw badRequest(INVALID_PLAN, `${where}: invalid task type "${String(t.task_type)}"`);
  }
  const taskType = t.task_type as TaskType;
  const task: TaskTemplate = {
    name: t.name,
    task_type: taskType,
    schedule: validateSchedule(t.schedule, where, taskType, raw),
  };
  if (t.full_backup !== undefined && typeof t.full_backup !== 'boolean') {
    throw badRequest(INVALID_PLAN, `${where}: full_backup must be a bool`);
  }
  if (t.merge_options !== undefined && t.merge_options !== null && taskType === 'MERGE') {
    task.merge_options = validateMergeOptions(t.merge_options, where);
  }
  task.full_backup = taskType === 'BACKUP' && t.full_backup === true;
  return task;
}

/** Validates a plan body (create/replace) into the stored Plan; `raw` is the request text. */
export function validatePlanBody(
  name: string,
  body: Record<string, unknown>,
  profile: Profile,
  raw: string,
): Plan {
  validatePlanName(name);
  const plan: Plan = { name, services: null, tasks: [] };
  if (body.description !== undefined && body.description !== null) {
    if (typeof body.description !== 'string') throw badRequest(INVALID_PLAN, 'description must be a string');
    if (body.description.length > MAX_DESCRIPTION) {
      throw badRequest(INVALID_PLAN, `description must be at most ${MAX_DESCRIPTION} characters`);
    }
    if (body.description !== '') plan.description = body.description;
  }
  if (body.services !== undefined && body.services !== null) {
    if (!Array.isArray(body.services)) throw badRequest(INVALID_PLAN, 'services must be a list');
    for (const s of body.services) {
      if (typeof s !== 'string' || !(SERVICES as readonly string[]).includes(s)) {
        throw badRequest(INVALID_PLAN, `invalid service "${String(s)}"`);
      }
    }
    plan.services = [...new Set(body.services as Service[])];
  }
  if (!Array.isArray(body.tasks) || body.tasks.length === 0 || body.tasks.length > MAX_TASKS) {
    throw badRequest(INVALID_PLAN, `a plan must have between 1 and ${MAX_TASKS} tasks`);
  }
  const seen = new Set<string>();
  body.tasks.forEach((t, i) => {
    const task = validateTask(t, i, profile, raw);
    if (seen.has(task.name)) throw badRequest(INVALID_PLAN, `task names must be unique: "${task.name}"`);
    seen.add(task.name);
    plan.tasks.push(task);
  });
  return plan;
}

/** `history_rotation_size`: integer 5..200 (§3.3); anything else, including `{}`, is 400. */
export function validateConfigBody(
  body: Record<string, unknown>,
  raw: string,
): { history_rotation_size: number } {
  const size = body.history_rotation_size;
  if (!isInteger(size) || rawHasNonIntegerNumber(raw, 'history_rotation_size') || size < 5 || size > 200) {
    throw badRequest('Rotation size has to be between 5 and 200');
  }
  return { history_rotation_size: size };
}

/** `limit`/`offset` query values: absent → default, else a non-negative decimal integer. */
export function parseNonNegativeInt(value: string | null, name: string, fallback: number): number {
  if (value === null) return fallback;
  if (!/^\d+$/.test(value)) throw badRequest(`invalid ${name}`, `${name} must be a non-negative integer`);
  return Number(value);
}

const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_VALUES = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go strconv.ParseBool (couchbase-cli sends Python's `True`, §5.7); absent → false. */
export function parseLenientBool(value: string | null, name: string): boolean {
  if (value === null) return false;
  if (TRUE_VALUES.has(value)) return true;
  if (FALSE_VALUES.has(value)) return false;
  throw badRequest(`invalid ${name}`, `strconv.ParseBool: parsing "${value}": invalid syntax`);
}

/** `{"nodes_threads_map": {uuid: int ≥ 0}}`. */
export function validateNodesThreadsBody(body: Record<string, unknown>): Record<string, number> {
  const map = body.nodes_threads_map;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw badRequest('invalid request body', 'nodes_threads_map is required');
  }
  const out: Record<string, number> = {};
  for (const [node, threads] of Object.entries(map as Record<string, unknown>)) {
    if (!isInteger(threads) || threads < 0) {
      throw badRequest(
        'invalid nodes threads map',
        `threads for node ${node} must be a non-negative integer`,
      );
    }
    out[node] = threads;
  }
  return out;
}

/** Optional boolean body field; wrong type → 400. */
export function optionalBool(body: Record<string, unknown>, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badRequest('invalid request body', `${key} must be a bool`);
  return v;
}

/** Optional string body field; wrong type → 400. */
export function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest('invalid request body', `${key} must be a string`);
  return v;
}
