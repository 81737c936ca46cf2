/** Task routes: triggers, restore, examine, info, taskHistory and the 8.0 retention calls (docs/backup-service-api.md §5.3, §5.9–5.13, §8). */
import { randomUUID } from 'node:crypto';
import { badRequest, internal, notFound } from '../api-error.ts';
import type { RestoreOptions } from '../data/contract.ts';
import type { RepositoryRecord } from '../model.ts';
import { isCloudArchive } from '../object-store/access.ts';
import { bucketHealthOf } from '../repository-view.ts';
import { computeExpiry } from '../retention.ts';
import { json, ok, type Route } from '../router.ts';
import type { ServiceContext } from '../service-context.ts';
import type { TaskSpec } from '../task-runner.ts';
import {
  optionalBool,
  optionalString,
  parseJsonBody,
  parseNonNegativeInt,
  parseOptionalJsonBody,
} from '../validation.ts';
import { API, messageOf, param, requirePathState, requireSelf } from './common.ts';
import { activeRepository } from './repositories.ts';

const REPO = `${API}/cluster/:cluster/repository`;
const PROFILE_80 = ['8.0'] as const;

const RESTORE_STRINGS = [
  'start',
  'end',
  'include_data',
  'exclude_data',
  'map_data',
  'filter_keys',
  'filter_values',
  'replace_ttl_with',
] as const;
const RESTORE_BOOLS = [
  'auto_create_buckets',
  'auto_remove_collections',
  'enable_bucket_config',
  'force_updates',
  'disable_data',
] as const;
const IGNORED_RESTORE_BOOLS = [
  'disable_analytics',
  'disable_eventing',
  'disable_ft',
  'disable_gsi_indexes',
  'disable_views',
] as const;

function restoreOptions(body: Record<string, unknown>): RestoreOptions {
  const options: RestoreOptions = {};
  for (const k of RESTORE_STRINGS) {
    const v = optionalString(body, k);
    if (v !== undefined && v !== '') options[k] = v;
  }
  for (const k of RESTORE_BOOLS) {
    const v = optionalBool(body, k);
    if (v !== undefined) options[k] = v;
  }
  // The emulator holds no index/FTS/eventing/analytics definitions; the flags are type-checked only.
  for (const k of IGNORED_RESTORE_BOOLS) optionalBool(body, k);
  const ttl = optionalString(body, 'replace_ttl');
  if (ttl !== undefined && ttl !== '') {
    if (ttl !== 'none' && ttl !== 'all' && ttl !== 'expired') {
      throw badRequest('invalid request body', 'replace_ttl must be one of none, all, expired');
    }
    if (ttl !== 'none' && options.replace_ttl_with === undefined) {
      throw badRequest('invalid request body', 'replace_ttl_with is required when replace_ttl is set');
    }
    options.replace_ttl = ttl;
  }
  return options;
}

/** The task routes. */
export function taskRoutes(ctx: ServiceContext): Route[] {
  const repoOf = (params: Record<string, string>): RepositoryRecord => {
    requireSelf(params.cluster);
    const id = param(params, 'id');
    const rec = ctx.view.find(requirePathState(params.state), id);
    if (rec === undefined) throw notFound(`repository ${id} does not exist`);
    return rec;
  };
  const trigger = (rec: RepositoryRecord, prefix: string, spec: TaskSpec) => {
    const name = `${prefix}-${randomUUID()}`;
    void ctx.runner.submit(rec.key, name, spec, false);
    return json(200, { task_name: name });
  };

  return [
    {
      method: 'POST',
      pattern: `${REPO}/active/:id/backup`,
      area: 'backup',
      handle: ({ params, rawBody }) =>
        ctx.exclusive(() => {
          requireSelf(params.cluster);
          const id = param(params, 'id');
          const rec = activeRepository(ctx, id, () => notFound(`repository \`${id}\` does not exist`));
          const body = parseJsonBody(rawBody);
          const full = optionalBool(body, 'full_backup') ?? false;
          const health = bucketHealthOf(rec, ctx.data);
          if (!health.healthy && rec.bucket !== undefined) {
            throw internal(
              'Could not send task',
              `failed bucket check for bucket '${rec.bucket.name}': ${(health.health_issue ?? '').replace('cannot verify bucket exists: ', '')}`,
            );
          }
          return trigger(rec, 'BACKUP', { type: 'BACKUP', full });
        }),
    },
    {
      method: 'POST',
      pattern: `${REPO}/active/:id/merge`,
      area: 'backup',
      handle: ({ params, rawBody }) =>
        ctx.exclusive(() => {
          requireSelf(params.cluster);
          const id = param(params, 'id');
          const rec = activeRepository(ctx, id, () => notFound(`repository \`${id}\` does not exist`));
          const body = parseJsonBody(rawBody);
          if (isCloudArchive(rec.archive)) {
            throw internal('Could not send task', 'merges are not supported on cloud repositories');
          }
          const spec: TaskSpec & { type: 'MERGE' } = { type: 'MERGE' };
          const start = optionalString(body, 'start');
          const end = optionalString(body, 'end');
          if (start) spec.start = start;
          if (end) spec.end = end;
          optionalString(body, 'data_range');
          const os = body.offset_start;
          const oe = body.offset_end;
          if (os !== undefined || oe !== undefined) {
            const valid = (v: unknown) => v === undefined || (Number.isInteger(v) && (v as number) >= 0);
            if (!valid(os) || !valid(oe))
              throw badRequest('invalid request body', 'offsets must be non-negative integers');
            spec.window = {
              offset_start: (os as number | undefined) ?? 0,
              offset_end: (oe as number | undefined) ?? 0,
            };
          }
          return trigger(rec, 'MERGE', spec);
        }),
    },
    {
      method: 'POST',
      pattern: `${REPO}/:state/:id/restore`,
      area: 'backup',
      handle: ({ params, rawBody }) =>
        ctx.exclusive(() => {
          const rec = repoOf(params);
          const body = parseJsonBody(rawBody);
          const target = optionalString(body, 'target');
          const user = optionalString(body, 'user');
          const password = optionalString(body, 'password');
          if (!target || user === undefined || password === undefined) {
            throw badRequest('invalid request body', 'target, user and password are required');
          }
          const options = restoreOptions(body);
          return trigger(rec, ctx.profile === '8.0' ? 'RESTORE' : 'restore', {
            type: 'RESTORE',
            target,
            user,
            password,
            options,
          });
        }),
    },
    {
      method: 'POST',
      pattern: `${REPO}/:state/:id/examine`,
      area: 'backup',
      handle: async ({ params, rawBody }) => {
        const rec = repoOf(params);
        const body = parseJsonBody(rawBody);
        const key = optionalString(body, 'key');
        const dataPath = optionalString(body, 'data_path');
        if (!key || !dataPath) throw badRequest('invalid request body', 'key and data_path are required');
        const backups = optionalString(body, 'backups');
        try {
          const archive = await ctx.runner.archiveOf(rec);
          const entries = await archive.examine({ key, dataPath, ...(backups ? { backups } : {}) });
          // cbbackupmgr examine --json output: one line holding the timeline array (§5.12).
          return { status: 200, rawJson: `${JSON.stringify(entries)}\n` };
        } catch (err) {
          throw internal('Could not run examine command on repository', messageOf(err));
        }
      },
    },
    {
      method: 'GET',
      pattern: `${REPO}/:state/:id/info`,
      area: 'backup',
      handle: async ({ params, query }) => {
        const rec = repoOf(params);
        const limit = parseNonNegativeInt(query.get('limit'), 'limit', 0);
        const offset = parseNonNegativeInt(query.get('offset'), 'offset', 0);
        try {
          return json(200, await (await ctx.runner.archiveOf(rec)).info({ limit, offset }));
        } catch (err) {
          throw internal('Could not get repository info', messageOf(err));
        }
      },
    },
    {
      method: 'GET',
      pattern: `${REPO}/:state/:id/taskHistory`,
      area: 'backup',
      handle: ({ params, query }) => {
        const rec = repoOf(params);
        const limit = parseNonNegativeInt(query.get('limit'), 'limit', 0);
        const offset = parseNonNegativeInt(query.get('offset'), 'offset', 0);
        const firstRaw = query.get('first');
        const first = firstRaw === null ? undefined : Date.parse(firstRaw);
        if (first !== undefined && Number.isNaN(first)) {
          throw badRequest('invalid first', `first must be an RFC 3339 time, got "${firstRaw}"`);
        }
        const taskName = query.get('taskName');
        const log = ctx.store.history(rec.key);
        const all = log.current.length === 0 ? log.previous : [...log.current, ...log.previous];
        const filtered = all.filter(
          (r) =>
            (first === undefined || Date.parse(r.start) >= first) &&
            (taskName === null || r.task_name === taskName),
        );
        return json(200, filtered.slice(offset, limit === 0 ? undefined : offset + limit));
      },
    },
    {
      method: 'POST',
      pattern: `${REPO}/active/:id/prune`,
      area: 'backup',
      profiles: PROFILE_80,
      handle: ({ params, rawBody }) =>
        ctx.exclusive(() => {
          requireSelf(params.cluster);
          const id = param(params, 'id');
          const rec = activeRepository(ctx, id, () => notFound(`repository \`${id}\` does not exist`));
          parseOptionalJsonBody(rawBody);
          return trigger(rec, 'PRUNE', { type: 'PRUNE' });
        }),
    },
    {
      method: 'POST',
      pattern: `${REPO}/active/:id/retentionSettings`,
      area: 'backup',
      profiles: PROFILE_80,
      handle: ({ params, rawBody }) =>
        ctx.exclusive(() => {
          requireSelf(params.cluster);
          const id = param(params, 'id');
          const rec = activeRepository(ctx, id, () => notFound(`repository \`${id}\` does not exist`));
          const body = parseJsonBody(rawBody);
          const period = body.period;
          if (!Number.isInteger(period) || (period as number) < 0 || (period as number) > 36500) {
            throw badRequest(
              'invalid retention period',
              'period must be an integer between 0 and 36500 days',
            );
          }
          const retroactive = optionalBool(body, 'retroactive') ?? false;
          rec.retention = {
            period: period as number,
            retroactive,
            per_backup: rec.retention?.per_backup ?? {},
          };
          ctx.store.saveRepository(rec);
          return ok();
        }),
    },
    {
      method: 'POST',
      pattern: `${REPO}/active/:id/retentionSettings/:backup`,
      area: 'backup',
      profiles: PROFILE_80,
      handle: ({ params, rawBody }) =>
        ctx.exclusive(async () => {
          requireSelf(params.cluster);
          const id = param(params, 'id');
          const rec = activeRepository(ctx, id, () => notFound(`repository \`${id}\` does not exist`));
          const body = parseJsonBody(rawBody);
          const period = body.period;
          if (!Number.isInteger(period) || (period as number) < 0 || (period as number) > 36500) {
            throw badRequest(
              'invalid retention period',
              'period must be an integer between 0 and 36500 days',
            );
          }
          const backup = param(params, 'backup');
          const names = await (await ctx.runner.archiveOf(rec)).listBackups();
          if (!names.includes(backup))
            throw notFound('backup not found', `backup ${backup} is not in the repository`);
          const retention = rec.retention ?? { period: 0, retroactive: false, per_backup: {} };
          retention.per_backup[backup] = period as number;
          rec.retention = retention;
          ctx.store.saveRepository(rec);
          return ok();
        }),
    },
    {
      method: 'GET',
      pattern: `${REPO}/:state/:id/expiredBackups`,
      area: 'backup',
      profiles: PROFILE_80,
      handle: async ({ params }) => {
        const rec = repoOf(params);
        const info = await (await ctx.runner.archiveOf(rec)).info();
        const report = computeExpiry(info.backups, rec.retention, ctx.clock.nowMs());
        return json(200, [
          {
            expired_backups: report.deletable,
            expired_backups_with_non_expired_dependents: report.withNonExpiredDependents,
          },
        ]);
      },
    },
  ];
}
