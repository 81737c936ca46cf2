/**
 * The request pipeline: request log → faults → authentication/authorisation → service state
 * (leader lost) → route → reply. Serves the backup API on `/api/v1` and on the cluster-manager
 * proxy prefix `/_p/backup/api/v1`, the cluster-manager routes and `/_emulator`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './api-error.ts';
import { forbiddenBody, isAllowed, permissionFor } from './auth.ts';
import type { Reply, RequestContext, Router } from './router.ts';
import type { ServiceContext } from './service-context.ts';

const PROXY_PREFIX = '/_p/backup';
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Leader lost: the reference only says the service pauses until a rebalance elects a new
 * leader (docs/backup-service-api.md §1.5) and gives no HTTP answer, so the emulator answers 503 in the service's error shape.
 */
const SERVICE_PAUSED = new ApiError(
  503,
  'backup service is paused',
  'no leader: the service is paused until a rebalance elects a new leader',
);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError(413, 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Bodies above this size are worth compressing for clients that accept gzip.
const GZIP_MIN_BYTES = 8 * 1024;

function send(res: ServerResponse, reply: Reply, malformed: boolean, acceptsGzip = false): void {
  if (reply.cachedJson !== undefined && !malformed) {
    const gzip = acceptsGzip && reply.cachedJson.buffer.length >= GZIP_MIN_BYTES;
    const body = gzip ? reply.cachedJson.gzip() : reply.cachedJson.buffer;
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      'content-length': body.length,
      ...(gzip ? { 'content-encoding': 'gzip', vary: 'accept-encoding' } : {}),
      ...reply.headers,
    });
    res.end(body);
    return;
  }
  if (reply.cachedJson !== undefined) reply = { ...reply, rawJson: reply.cachedJson.buffer.toString('utf8') };
  let body: string;
  let type: string;
  if (reply.rawJson !== undefined || reply.json !== undefined) {
    body = reply.rawJson ?? JSON.stringify(reply.json);
    type = 'application/json';
  } else {
    body = reply.text ?? '';
    type = 'text/plain; charset=utf-8';
  }
  // A truncated JSON document: what a proxy cutting the stream would deliver.
  if (malformed && type === 'application/json')
    body = body.slice(0, Math.max(1, Math.floor(body.length / 2)));
  res.writeHead(reply.status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    ...reply.headers,
  });
  res.end(body);
}

const errorReply = (err: ApiError): Reply => ({ status: err.status, json: err.body() });

/** Creates the node:http request listener. */
export function createRequestHandler(ctx: ServiceContext, router: Router) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const time = new Date().toISOString();
    let status = 0;
    const log = (): void => {
      ctx.requestLog.record({ method, path: rawUrl, status, time, durationMs: performance.now() - started });
    };
    try {
      const q = rawUrl.indexOf('?');
      const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
      const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
      const path = rawPath.startsWith(`${PROXY_PREFIX}/`) ? rawPath.slice(PROXY_PREFIX.length) : rawPath;
      const isEmulator = path.startsWith('/_emulator/');
      const isBackupApi = path.startsWith('/api/v1/') || path === '/api/v1';

      // The whole request is received before any fault applies, as on a real server: with added
      // latency a client that gives up loses the answer, but the request is still served.
      const rawBody = await readBody(req);
      let malformed = false;
      if (!isEmulator) {
        const decision = ctx.faults.decide(method, path);
        if (decision.latencyMs > 0) await sleep(decision.latencyMs);
        if (decision.reset) {
          status = -1;
          req.socket.destroy();
          return;
        }
        malformed = decision.malformed;
        if (ctx.faults.get().authFailure) {
          status = 401;
          return send(res, { status: 401, json: { status: 401, msg: 'Unauthorized' } }, false);
        }
        if (decision.errorStatus !== undefined) {
          status = decision.errorStatus;
          const msg = decision.errorStatus === 503 ? 'service unavailable' : 'internal server error';
          return send(res, errorReply(new ApiError(decision.errorStatus, msg, 'injected fault')), false);
        }
      }

      const match = router.match(method, path);
      if (
        match === undefined ||
        (match.route.profiles !== undefined && !match.route.profiles.includes(ctx.profile))
      ) {
        status = 404;
        return send(res, { status: 404, text: '404 Object Not Found' }, false);
      }
      const { route, params } = match;
      const context: RequestContext = {
        method,
        path,
        params,
        query,
        rawBody,
        headers: req.headers,
        user: undefined,
      };
      if (route.area !== 'emulator') {
        const user = ctx.users.authenticate(req.headers.authorization);
        if (user === undefined) {
          status = 401;
          return send(
            res,
            {
              status: 401,
              json: { status: 401, msg: 'Unauthorized' },
              headers: { 'www-authenticate': 'Basic realm="Couchbase Server Admin / REST"' },
            },
            false,
          );
        }
        const kind = route.access ?? (method === 'GET' ? 'read' : 'write');
        if (!isAllowed(user.roles, kind, route.area, ctx.profile)) {
          status = 403;
          return send(res, { status: 403, json: forbiddenBody(permissionFor(kind, route.area)) }, false);
        }
        context.user = user;
        if (isBackupApi && ctx.faults.get().servicePaused) {
          status = 503;
          return send(res, errorReply(SERVICE_PAUSED), false);
        }
      }
      let reply: Reply;
      try {
        reply = await route.handle(context);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        reply = errorReply(err);
      }
      status = reply.status;
      send(res, reply, malformed, /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')));
    } catch (err) {
      const apiErr =
        err instanceof ApiError ? err : new ApiError(500, 'internal server error', (err as Error).message);
      status = apiErr.status;
      if (!res.headersSent) send(res, errorReply(apiErr), false);
      else res.destroy();
    } finally {
      log();
    }
  };
}
