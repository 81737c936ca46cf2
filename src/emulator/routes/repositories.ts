/** Repository lifecycle routes (docs/backup-service-api.md §5.1–5.8, §5.14, §5.15, §6.2). */
import { randomUUID } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { type ApiError, badRequest, internal, notFound } from '../api-error.ts';
import type { RepositoryRecord } from '../model.ts';
import { isCloudArchive } from '../object-store/access.ts';
import { validateCloudFields } from '../object-store/cloud-fields.ts';
import { publicRepository } from '../repository-view.ts';
import { json, ok, type Route } from '../router.ts';
import type { ServiceContext } from '../service-context.ts';
import { optionalString, parseJsonBody, parseLenientBool, validateRepositoryId } from '../validation.ts';
import { API, messageOf, param, requirePathState, requireSelf } from './common.ts';

const REPO = `${API}/cluster/:cluster/repository`;

/** The active (or paused) repository `id`, or the given 404. */
export function activeRepository(ctx: ServiceContext, id: string, missing: () => ApiError): RepositoryRecord {
  const rec = ctx.view.find('active', id);
  if (rec === undefined) throw missing();
  return rec;
}

/** The repository routes. */
export function repositoryRoutes(ctx: ServiceContext): Route[] {
  const view = (rec: RepositoryRecord) => publicRepository(rec, ctx.data, ctx.planOf);
  const touch = (rec: RepositoryRecord): void => {
    rec.update_time = ctx.clock.now().toISOString();
    ctx.store.saveRepository(rec);
  };

  return [
    {
      method: 'GET',
      pattern: `${API}/cluster/:cluster`,
      area: 'backup',
      handle: ({ params }) => {
        requireSelf(params.cluster);
        return { status: 200, cachedJson: ctx.view.clusterJson() };
      },
    },
    {
      method: 'GET',
      pattern: `${REPO}/:state`,
      area: 'backup',
      handle: ({ params }) => {
        requireSelf(params.cluster);
        return json(200, ctx.view.list(requirePathState(params.state)).map(view));
      },
    },
    {
      method: 'GET',
      pattern: `${REPO}/:state/:id`,
      area: 'backup',
      handle: ({ params }) => {
        requireSelf(params.cluster);
        const id = param(params, 'id');
        const rec = ctx.view.find(requirePathState(params.state), id);
        if (rec === undefined) throw notFound(`could not find repository with id: ${id}`);
        return json(200, view(rec));
      },
    },
    {
      method: 'POST',
      pattern: `${REPO}/active/:id`,
      area: 'backup',
      handle: ({ params, rawBody }) =>
        ctx.exclusive(async () => {
          requireSelf(params.cluster);
          const id = validateRepositoryId(param(params, 'id'));
          const body = parseJsonBody(rawBody);
          const planName = optionalString(body, 'plan');
          const archive = optionalString(body, 'archive');
          if (!planName) throw badRequest('plan name is required');
          if (!archive) throw badRequest('archive location is required');
          const cloud = isCloudArchive(archive) ? validateCloudFields(body, archive) : undefined;
          if (cloud === undefined && !isAbsolute(archive))
            throw badRequest('archive location must be an absolute path');
          if (ctx.view.find('active', id) !== undefined) {
            throw badRequest('repository already exists', `repository with id ${id} already exists`);
          }
          if (ctx.planOf(planName) === undefined)
            throw badRequest('plan does not exist', `plan ${planName} not found`);
          const bucketName = optionalString(body, 'bucket_name');
          let bucket: RepositoryRecord['bucket'];
          if (bucketName) {
            const b = ctx.data.getBucket(bucketName);
            if (b === undefined)
              throw badRequest('bucket does not exist', `bucket ${bucketName}: element not found`);
            bucket = { name: b.name, uuid: b.uuid };
          }
          const repo = randomUUID();
          try {
            await ctx.openArchive({ archive, repo, create: true, ...(cloud && { cloud: cloud.access }) });
          } catch (err) {
            throw internal('could not create repository', messageOf(err));
          }
          const now = ctx.clock.now().toISOString();
          const rec: RepositoryRecord = {
            key: randomUUID(),
            id,
            plan_name: planName,
            state: 'active',
            archive,
            repo,
            version: 1,
            creation_time: now,
            update_time: now,
            next_runs: {},
            running_tasks: {},
            running_one_off: {},
          };
          if (bucket !== undefined) rec.bucket = bucket;
          if (cloud !== undefined) Object.assign(rec, { cloud_info: cloud.info, cloud_access: cloud.access });
          ctx.store.saveRepository(rec);
          ctx.scheduler.initialise(rec);
          ctx.store.saveRepository(rec);
          return ok();
        }),
    },
    {
      method: 'POST',
      pattern: `${REPO}/import`,
      area: 'backup',
      handle: ({ params, rawBody }) =>
        ctx.exclusive(async () => {
          requireSelf(params.cluster);
          const body = parseJsonBody(rawBody);
          const archive = optionalString(body, 'archive');
          const repo = optionalString(body, 'repo');
          if (!archive || !repo) throw badRequest('both archive and repository are required');
          const id = validateRepositoryId(body.id);
          if (ctx.view.find('imported', id) !== undefined) {
            throw badRequest('repository already exists', `repository with id ${id} already exists`);
          }
          const cloud = isCloudArchive(archive) ? validateCloudFields(body, archive) : undefined;
          if (cloud === undefined && !isAbsolute(archive))
            throw badRequest('archive location must be an absolute path');
          try {
            await ctx.openArchive({ archive, repo, create: false, ...(cloud && { cloud: cloud.access }) });
          } catch (err) {
            throw internal('could not import repository', messageOf(err));
          }
          const now = ctx.clock.now().toISOString();
          const rec: RepositoryRecord = {
            key: randomUUID(),
            id,
            plan_name: '',
            state: 'imported',
            archive,
            repo,
            version: 1,
            creation_time: now,
            update_time: now,
            next_runs: {},
            running_tasks: {},
            running_one_off: {},
          };
          if (cloud !== undefined) Object.assign(rec, { cloud_info: cloud.info, cloud_access: cloud.access });
          ctx.store.saveRepository(rec);
          return ok();
        }),
    },
    {
      method: 'POST',
      pattern: `${REPO}/active/:id/archive`,
      area: 'backup',
      handle: ({ params, rawBody }) =>
        ctx.exclusive(() => {
          requireSelf(params.cluster);
          const id = param(params, 'id');
          const body = parseJsonBody(rawBody);
          const newId = validateRepositoryId(body.id);
          const rec = activeRepository(ctx, id, () =>
            notFound(`could not find active repository with id:${id}`),
          );
          if (ctx.view.find('archived', newId) !== undefined) {
            throw badRequest(
              'repository already exists',
              `archived repository with id ${newId} already exists`,
            );
          }
          ctx.scheduler.cancel(rec.key);
          rec.state = 'archived';
          rec.id = newId;
          touch(rec);
          return ok();
        }),
    },
    {
      method: 'POST',
      pattern: `${REPO}/active/:id/pause`,
      area: 'backup',
      handle: ({ params }) =>
        ctx.exclusive(() => {
          requireSelf(params.cluster);
          const id = param(params, 'id');
          const rec = activeRepository(ctx, id, () => notFound(`could not find repository with id: ${id}`));
          if (rec.state === 'paused') return ok();
          ctx.scheduler.cancel(rec.key);
          rec.state = 'paused';
          touch(rec);
          return ok();
        }),
    },
    {
      method: 'POST',
      pattern: `${REPO}/active/:id/resume`,
      area: 'backup',
      handle: ({ params }) =>
        ctx.exclusive(() => {
          requireSelf(params.cluster);
          const id = param(params, 'id');
          const rec = activeRepository(ctx, id, () => notFound(`could not find repository with id: ${id}`));
          if (rec.state === 'active') return ok();
          rec.state = 'active';
          ctx.scheduler.resume(rec);
          touch(rec);
          return ok();
        }),
    },
    {
      method: 'POST',
      pattern: `${REPO}/active/:id/plan/:plan`,
      area: 'backup',
      handle: ({ params }) =>
        ctx.exclusive(() => {
          requireSelf(params.cluster);
          const id = param(params, 'id');
          const rec = activeRepository(ctx, id, () => notFound(`could not find repository with id: ${id}`));
          const planName = param(params, 'plan');
          if (ctx.planOf(planName) === undefined) throw notFound('requested plan not found');
          rec.plan_name = planName;
          ctx.scheduler.initialise(rec);
          touch(rec);
          return ok();
        }),
    },
    {
      method: 'DELETE',
      pattern: `${REPO}/:state/:id`,
      area: 'backup',
      handle: ({ params, query }) =>
        ctx.exclusive(async () => {
          requireSelf(params.cluster);
          const state = requirePathState(params.state);
          const id = param(params, 'id');
          if (state === 'active') throw badRequest('cannot delete an active repository, archive it first');
          const remove = parseLenientBool(query.get('remove_repository'), 'remove_repository');
          const rec = ctx.view.find(state, id);
          if (rec === undefined) throw notFound(`could not find repository with id: ${id}`);
          // Imported archives belong to someone else; the service only forgets them.
          if (remove && state === 'imported')
            throw badRequest('cannot remove the data of an imported repository');
          if (remove) {
            try {
              await (await ctx.runner.archiveOf(rec)).removeAll();
            } catch (err) {
              throw internal('could not remove repository', messageOf(err));
            }
          }
          ctx.scheduler.cancel(rec.key);
          ctx.runner.forget(rec.key);
          ctx.store.deleteRepository(rec.key);
          return ok();
        }),
    },
    {
      method: 'DELETE',
      pattern: `${REPO}/active/:id/backups/:backup`,
      area: 'backup',
      handle: ({ params }) =>
        ctx.exclusive(async () => {
          requireSelf(params.cluster);
          const rec = activeRepository(ctx, param(params, 'id'), () =>
            notFound('the repository does not exist'),
          );
          const archive = await ctx.runner.archiveOf(rec);
          const name = param(params, 'backup');
          const names = await archive.listBackups();
          if (!names.includes(name)) {
            throw internal(
              'could not remove backup',
              'exit status 1:Removing backup repository failed: backup name provided is not one of the backups in this repository\n',
            );
          }
          try {
            await archive.deleteBackup(name);
          } catch (err) {
            throw internal('could not remove backup', `exit status 1:${messageOf(err)}\n`);
          }
          ctx.store.touch();
          return ok();
        }),
    },
  ];
}
