/** A minimal method + path-pattern router (`/api/v1/plan/:name`), no framework. */
import type { IncomingHttpHeaders } from 'node:http';
import type { AccessKind, ApiArea } from './auth.ts';
import type { Profile } from './model.ts';
import type { UserRecord } from './users.ts';

export interface RequestContext {
  method: string;
  /** Normalised path: proxy prefix stripped, no query string. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  rawBody: string;
  headers: IncomingHttpHeaders;
  user: UserRecord | undefined;
}

export interface Reply {
  status: number;
  /** Serialised as JSON. */
  json?: unknown;
  /** Already-serialised JSON. */
  rawJson?: string;
  /** Cached serialised JSON, served gzip-encoded when the client accepts it. */
  cachedJson?: { buffer: Buffer; gzip(): Buffer };
  /** Plain text body. */
  text?: string;
  headers?: Record<string, string>;
}

export interface Route {
  method: string;
  pattern: string;
  area: ApiArea | 'emulator';
  /** Defaults to read for GET, write otherwise. */
  access?: AccessKind;
  /** Profiles that serve the route (all when absent). */
  profiles?: readonly Profile[];
  handle(ctx: RequestContext): Reply | Promise<Reply>;
}

interface CompiledRoute {
  route: Route;
  regex: RegExp;
  names: string[];
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

export interface Router {
  match(method: string, path: string): RouteMatch | undefined;
}

/** Compiles routes; `:name` matches one non-empty, percent-decoded segment. */
export function createRouter(routes: readonly Route[]): Router {
  const compiled: CompiledRoute[] = routes.map((route) => {
    const names: string[] = [];
    const source = route.pattern
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          names.push(seg.slice(1));
          return '([^/]+)';
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    return { route, regex: new RegExp(`^${source}/?$`), names };
  });
  return {
    match(method, path) {
      for (const c of compiled) {
        if (c.route.method !== method) continue;
        const m = c.regex.exec(path);
        if (m === null) continue;
        const params: Record<string, string> = {};
        try {
          c.names.forEach((n, i) => {
            params[n] = decodeURIComponent(m[i + 1] ?? '');
          });
        } catch {
          continue;
        }
        return { route: c.route, params };
      }
      return undefined;
    },
  };
}

/** JSON reply helper. */
export const json = (status: number, body: unknown): Reply => ({ status, json: body });
/** Empty 200, what mutating calls answer. */
export const ok = (): Reply => ({ status: 200, text: '' });
