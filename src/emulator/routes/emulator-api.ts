/**
 * The emulator-only control API under `/_emulator` (no auth): documents and keyspaces, the clock,
 * fault injection, the request log and an idle wait. Documented in ../README.md.
 */
import { z } from 'zod';
import { DATA_ERROR_CODES, type DocumentRef } from '../data/contract.ts';
import { faultSettingsSchema } from '../faults.ts';
import { json, type Reply, type RequestContext, type Route } from '../router.ts';
import type { ServiceContext } from '../service-context.ts';
import { messageOf, param } from './common.ts';

const E = '/_emulator';

export const EMULATOR_ERROR_CODES = {
  invalidBody: 'INVALID_BODY',
  notFound: 'NOT_FOUND',
  ...DATA_ERROR_CODES,
} as const;

class EmulatorApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const errorReply = (status: number, code: string, message: string): Reply =>
  json(status, { error: { code, message } });

/** Maps data-layer and validation errors to emulator API replies. */
function toReply(err: unknown): Reply {
  if (err instanceof EmulatorApiError) return errorReply(err.status, err.code, err.message);
  if (err instanceof RangeError) return errorReply(400, EMULATOR_ERROR_CODES.invalidBody, err.message);
  if (err instanceof z.ZodError)
    return errorReply(400, EMULATOR_ERROR_CODES.invalidBody, z.prettifyError(err));
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    const status = code.endsWith('_NOT_FOUND')
      ? 404
      : code.endsWith('_EXISTS')
        ? 409
        : code.startsWith('INVALID')
          ? 400
          : 500;
    return errorReply(status, code, messageOf(err));
  }
  return errorReply(500, 'INTERNAL', messageOf(err));
}

function jsonBody(raw: string, optional = false): unknown {
  if (raw.trim() === '') {
    if (optional) return {};
    throw new EmulatorApiError(400, EMULATOR_ERROR_CODES.invalidBody, 'a JSON body is required');
  }
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new EmulatorApiError(400, EMULATOR_ERROR_CODES.invalidBody, messageOf(err));
  }
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses `90m`, `1h30m`, `7d`, `500ms` (or a plain number of milliseconds, also as a string) into milliseconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value;
  if (/^\d+(?:\.\d+)?$/.test(value)) return Math.round(Number(value));
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  for (const m of value.matchAll(re)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    consumed += m[0].length;
  }
  if (value === '' || consumed !== value.length) throw new RangeError(`invalid duration "${value}"`);
  return Math.round(total);
}

const advanceSchema = z.union([
  z.object({ ms: z.number().nonnegative() }),
  z.object({ duration: z.string() }),
]);
const durationSchema = z.union([
  z.object({ minTaskDurationMs: z.number().int().nonnegative() }),
  z.object({ minTaskDuration: z.string() }),
]);
const bucketSchema = z.object({
  name: z.string().min(1),
  bucketType: z.enum(['couchbase', 'ephemeral', 'memcached']).optional(),
  ramQuotaMB: z.number().int().positive().optional(),
});

/** The /_emulator routes. */
export function emulatorRoutes(ctx: ServiceContext): Route[] {
  const route = (
    method: string,
    pattern: string,
    handle: (c: RequestContext) => Reply | Promise<Reply>,
  ): Route => ({
    method,
    pattern: `${E}${pattern}`,
    area: 'emulator',
    handle: async (c) => {
      try {
        return await handle(c);
      } catch (err) {
        return toReply(err);
      }
    },
  });
  const docRef = (p: Record<string, string>): DocumentRef => ({
    bucket: param(p, 'bucket'),
    scope: param(p, 'scope'),
    collection: param(p, 'collection'),
    key: param(p, 'key'),
  });
  const timeReply = () =>
    json(200, {
      now: ctx.clock.now().toISOString(),
      nowMs: ctx.clock.nowMs(),
      mode: ctx.clock.mode,
      scale: ctx.clock.scale(),
    });

  return [
    route('GET', '/info', () =>
      json(200, {
        profile: ctx.profile,
        url: ctx.self().clusterUrl,
        nodeUuid: ctx.store.node.uuid,
        clusterUuid: ctx.data.uuid,
      }),
    ),
    // Clock
    route('GET', '/time', timeReply),
    route('POST', '/time/advance', async ({ rawBody }) => {
      const body = advanceSchema.parse(jsonBody(rawBody));
      await ctx.clock.advance('ms' in body ? body.ms : parseDuration(body.duration));
      return timeReply();
    }),
    route('POST', '/time/set', async ({ rawBody }) => {
      const body = z.object({ time: z.union([z.string(), z.number()]) }).parse(jsonBody(rawBody));
      const target = new Date(body.time).getTime();
      if (Number.isNaN(target))
        throw new EmulatorApiError(400, EMULATOR_ERROR_CODES.invalidBody, 'invalid time');
      if (target < ctx.clock.nowMs())
        throw new EmulatorApiError(400, EMULATOR_ERROR_CODES.invalidBody, 'time only moves forward');
      await ctx.clock.set(target);
      return timeReply();
    }),
    route('POST', '/time/scale', ({ rawBody }) => {
      const body = z.object({ scale: z.number().positive() }).parse(jsonBody(rawBody));
      if (ctx.clock.mode !== 'scaled') {
        throw new EmulatorApiError(400, EMULATOR_ERROR_CODES.invalidBody, 'the clock is in manual mode');
      }
      ctx.clock.setScale(body.scale);
      return timeReply();
    }),
    // Task pacing
    route('GET', '/tasks/duration', () => json(200, ctx.taskDuration)),
    route('PUT', '/tasks/duration', ({ rawBody }) => {
      const body = durationSchema.parse(jsonBody(rawBody));
      ctx.taskDuration.minTaskDurationMs =
        'minTaskDurationMs' in body ? body.minTaskDurationMs : parseDuration(body.minTaskDuration);
      return json(200, ctx.taskDuration);
    }),
    route('POST', '/idle', async () => {
      await ctx.idle();
      return json(200, { idle: true });
    }),
    // Faults
    route('GET', '/faults', () => json(200, ctx.faults.get())),
    route('PUT', '/faults', ({ rawBody }) =>
      json(200, ctx.faults.set(faultSettingsSchema.parse(jsonBody(rawBody, true)))),
    ),
    route('PATCH', '/faults', ({ rawBody }) =>
      json(200, ctx.faults.patch(faultSettingsSchema.partial().parse(jsonBody(rawBody, true)) as never)),
    ),
    route('DELETE', '/faults', () => {
      ctx.faults.reset();
      return json(200, ctx.faults.get());
    }),
    // Request log
    route('GET', '/requests', ({ query }) => {
      const since = query.get('since');
      const filter: { since?: number; method?: string; pathPrefix?: string } = {};
      if (since !== null) filter.since = Number(since);
      const method = query.get('method');
      if (method !== null) filter.method = method;
      const prefix = query.get('path');
      if (prefix !== null) filter.pathPrefix = prefix;
      return json(200, { lastSeq: ctx.requestLog.lastSeq(), entries: ctx.requestLog.entries(filter) });
    }),
    route('DELETE', '/requests', () => {
      ctx.requestLog.clear();
      return json(200, { cleared: true });
    }),
    // Buckets, scopes, collections, documents
    route('GET', '/buckets', () => json(200, ctx.data.listBuckets())),
    route('POST', '/buckets', ({ rawBody }) => {
      const spec = bucketSchema.parse(jsonBody(rawBody));
      const bucket = ctx.data.createBucket({
        name: spec.name,
        ...(spec.bucketType === undefined ? {} : { bucketType: spec.bucketType }),
        ...(spec.ramQuotaMB === undefined ? {} : { ramQuotaMB: spec.ramQuotaMB }),
      });
      ctx.store.touch();
      return json(200, bucket);
    }),
    route('DELETE', '/buckets/:bucket', ({ params }) => {
      ctx.data.deleteBucket(param(params, 'bucket'));
      ctx.store.touch();
      return json(200, { deleted: true });
    }),
    route('GET', '/buckets/:bucket/scopes', ({ params }) =>
      json(200, ctx.data.listScopes(param(params, 'bucket'))),
    ),
    route('POST', '/buckets/:bucket/scopes', ({ params, rawBody }) => {
      const body = z.object({ name: z.string().min(1) }).parse(jsonBody(rawBody));
      ctx.data.createScope(param(params, 'bucket'), body.name);
      return json(200, { created: true });
    }),
    route('POST', '/buckets/:bucket/scopes/:scope/collections', ({ params, rawBody }) => {
      const body = z
        .object({ name: z.string().min(1), maxTTL: z.number().int().nonnegative().optional() })
        .parse(jsonBody(rawBody));
      ctx.data.createCollection(
        param(params, 'bucket'),
        param(params, 'scope'),
        body.name,
        body.maxTTL === undefined ? {} : { maxTTL: body.maxTTL },
      );
      return json(200, { created: true });
    }),
    route('DELETE', '/buckets/:bucket/scopes/:scope/collections/:collection', ({ params }) => {
      ctx.data.dropCollection(param(params, 'bucket'), param(params, 'scope'), param(params, 'collection'));
      return json(200, { deleted: true });
    }),
    route('GET', '/buckets/:bucket/docs', ({ params, query }) => {
      const opts: { includeDeleted?: boolean; scope?: string; collection?: string } = {
        includeDeleted: query.get('includeDeleted') === 'true',
      };
      const scope = query.get('scope');
      const collection = query.get('collection');
      if (scope !== null) opts.scope = scope;
      if (collection !== null) opts.collection = collection;
      return json(200, ctx.data.listDocuments(param(params, 'bucket'), opts));
    }),
    route(
      'PUT',
      '/buckets/:bucket/scopes/:scope/collections/:collection/docs/:key',
      ({ params, query, rawBody }) => {
        const value = jsonBody(rawBody);
        const opts: { expiry?: number; flags?: number } = {};
        const expiry = query.get('expiry');
        const flags = query.get('flags');
        if (expiry !== null) opts.expiry = Number(expiry);
        if (flags !== null) opts.flags = Number(flags);
        return json(200, ctx.data.upsertDocument(docRef(params), value, opts));
      },
    ),
    route('GET', '/buckets/:bucket/scopes/:scope/collections/:collection/docs/:key', ({ params }) => {
      const doc = ctx.data.getDocument(docRef(params));
      if (doc === undefined)
        throw new EmulatorApiError(404, DATA_ERROR_CODES.documentNotFound, 'document not found');
      return json(200, doc);
    }),
    route('DELETE', '/buckets/:bucket/scopes/:scope/collections/:collection/docs/:key', ({ params }) =>
      json(200, ctx.data.deleteDocument(docRef(params))),
    ),
  ];
}
