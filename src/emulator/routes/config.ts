/** `/api/v1/config` (docs/backup-service-api.md §3.2–3.3) and `/api/v1/nodesThreadsMap` (§3.4, 7.6.2+). */
import { notFound } from '../api-error.ts';
import { json, ok, type Route } from '../router.ts';
import type { ServiceContext } from '../service-context.ts';
import { parseJsonBody, validateConfigBody, validateNodesThreadsBody } from '../validation.ts';
import { API } from './common.ts';

const THREADS_PROFILES = ['7.6', '8.0'] as const;

/** The configuration routes. */
export function configRoutes(ctx: ServiceContext): Route[] {
  const setConfig: Route['handle'] = ({ rawBody }) =>
    ctx.exclusive(() => {
      ctx.store.config = { ...ctx.store.config, ...validateConfigBody(parseJsonBody(rawBody), rawBody) };
      ctx.store.saveConfig();
      return ok();
    });
  const setThreads =
    (merge: boolean): Route['handle'] =>
    ({ rawBody }) =>
      ctx.exclusive(() => {
        const map = validateNodesThreadsBody(parseJsonBody(rawBody));
        ctx.store.nodesThreads = merge ? { ...(ctx.store.nodesThreads ?? {}), ...map } : map;
        ctx.store.saveNodesThreads();
        return ok();
      });
  return [
    { method: 'GET', pattern: `${API}/config`, area: 'backup', handle: () => json(200, ctx.store.config) },
    { method: 'POST', pattern: `${API}/config`, area: 'backup', handle: setConfig },
    { method: 'PATCH', pattern: `${API}/config`, area: 'backup', handle: setConfig },
    {
      method: 'GET',
      pattern: `${API}/nodesThreadsMap`,
      area: 'backup',
      profiles: THREADS_PROFILES,
      handle: () => {
        if (ctx.store.nodesThreads === undefined) {
          throw notFound('Could not find the Nodes Threads Map', 'element not found');
        }
        return json(200, ctx.store.nodesThreads);
      },
    },
    {
      method: 'POST',
      pattern: `${API}/nodesThreadsMap`,
      area: 'backup',
      profiles: THREADS_PROFILES,
      handle: setThreads(false),
    },
    {
      method: 'PATCH',
      pattern: `${API}/nodesThreadsMap`,
      area: 'backup',
      profiles: THREADS_PROFILES,
      handle: setThreads(true),
    },
  ];
}
