/** `/api/v1/plan[/{name}]` (docs/backup-service-api.md §4). */
import { badRequest, notFound } from '../api-error.ts';
import type { Plan } from '../model.ts';
import { json, ok, type Route } from '../router.ts';
import type { ServiceContext } from '../service-context.ts';
import { parseJsonBody, validatePlanBody } from '../validation.ts';
import { API, param } from './common.ts';

const planNotFound = () => notFound('requested plan not found');

/** Repository ids of active or paused repositories using a plan. */
function usersOf(ctx: ServiceContext, name: string): string[] {
  return [...ctx.store.repositories.values()]
    .filter((r) => r.plan_name === name && (r.state === 'active' || r.state === 'paused'))
    .map((r) => r.id);
}

/** The plan routes. */
export function planRoutes(ctx: ServiceContext): Route[] {
  const all = (): Plan[] => [...ctx.builtins.values(), ...ctx.store.plans.values()];
  return [
    { method: 'GET', pattern: `${API}/plan`, area: 'backup', handle: () => json(200, all()) },
    {
      method: 'GET',
      pattern: `${API}/plan/:name`,
      area: 'backup',
      handle: ({ params }) => {
        const plan = ctx.planOf(param(params, 'name'));
        if (plan === undefined) throw planNotFound();
        return json(200, plan);
      },
    },
    {
      method: 'POST',
      pattern: `${API}/plan/:name`,
      area: 'backup',
      handle: ({ params, rawBody }) =>
        ctx.exclusive(() => {
          const name = param(params, 'name');
          const plan = validatePlanBody(name, parseJsonBody(rawBody), ctx.profile, rawBody);
          if (ctx.planOf(name) !== undefined)
            throw badRequest('plan already exists', `plan ${name} already exists`);
          ctx.store.savePlan(plan);
          return ok();
        }),
    },
    {
      method: 'PUT',
      pattern: `${API}/plan/:name`,
      area: 'backup',
      handle: ({ params, rawBody }) =>
        ctx.exclusive(() => {
          const name = param(params, 'name');
          if (ctx.builtins.has(name)) throw badRequest('cannot update a default plan');
          const plan = validatePlanBody(name, parseJsonBody(rawBody), ctx.profile, rawBody);
          if (!ctx.store.plans.has(name)) throw planNotFound();
          // Edits of a plan in use are refused like deletes: schedules derive from it (§4.4).
          const users = usersOf(ctx, name);
          if (users.length > 0)
            throw badRequest(`cannot update plan as it is in use by repository: ${users[0]}`);
          ctx.store.savePlan(plan);
          return ok();
        }),
    },
    {
      method: 'DELETE',
      pattern: `${API}/plan/:name`,
      area: 'backup',
      handle: ({ params }) =>
        ctx.exclusive(() => {
          const name = param(params, 'name');
          if (ctx.builtins.has(name)) throw badRequest('cannot delete a default plan');
          if (!ctx.store.plans.has(name)) throw planNotFound();
          const users = usersOf(ctx, name);
          if (users.length > 0)
            throw badRequest(`cannot update plan as it is in use by repository: ${users[0]}`);
          ctx.store.deletePlan(name);
          return ok();
        }),
    },
  ];
}
