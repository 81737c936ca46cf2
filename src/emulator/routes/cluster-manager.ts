/**
 * The slice of the cluster manager (port 8091 on a real node) that users and tests need:
 * buckets (form-encoded, as ns_server takes them), node services discovery and /pools.
 */
import type { BucketSettings } from '../data/contract.ts';
import { json, type Reply, type Route } from '../router.ts';
import type { ServiceContext } from '../service-context.ts';
import { param } from './common.ts';

const MIB = 1024 * 1024;
const IMPLEMENTATION_VERSION = {
  '7.2': '7.2.4-7070-enterprise',
  '7.6': '7.6.2-3721-enterprise',
  '8.0': '8.0.0-3777-enterprise',
} as const;

const bucketJson = (b: BucketSettings) => ({
  name: b.name,
  uuid: b.uuid,
  bucketType: b.bucketType === 'couchbase' ? 'membase' : b.bucketType,
  quota: { ram: b.ramQuotaMB * MIB, rawRAM: b.ramQuotaMB * MIB },
});

const formErrors = (errors: Record<string, string>): Reply => ({
  status: 400,
  json: { errors, summaries: {} },
});
const NOT_FOUND_TEXT: Reply = { status: 404, text: 'Requested resource not found.\r\n' };

/** The cluster-manager routes. */
export function clusterManagerRoutes(ctx: ServiceContext): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/pools',
      area: 'cluster',
      handle: () =>
        json(200, {
          isAdminCreds: true,
          isEnterprise: true,
          implementationVersion: IMPLEMENTATION_VERSION[ctx.profile],
          uuid: ctx.data.uuid,
          pools: [{ name: 'default', uri: '/pools/default' }],
        }),
    },
    {
      method: 'GET',
      pattern: '/pools/default/nodeServices',
      area: 'cluster',
      handle: () => {
        const self = ctx.self();
        return json(200, {
          rev: 1,
          nodesExt: [
            {
              thisNode: true,
              hostname: self.host,
              nodeUUID: ctx.store.node.uuid,
              services: { mgmt: self.port, backupAPI: self.port, backupGRPC: 9124, kv: 11210 },
            },
          ],
        });
      },
    },
    {
      method: 'GET',
      pattern: '/pools/default/buckets',
      area: 'cluster',
      handle: () => json(200, ctx.data.listBuckets().map(bucketJson)),
    },
    {
      method: 'GET',
      pattern: '/pools/default/buckets/:name',
      area: 'cluster',
      handle: ({ params }) => {
        const b = ctx.data.getBucket(param(params, 'name'));
        return b === undefined ? NOT_FOUND_TEXT : json(200, bucketJson(b));
      },
    },
    {
      method: 'POST',
      pattern: '/pools/default/buckets',
      area: 'cluster',
      handle: ({ rawBody }) =>
        ctx.exclusive(() => {
          const form = new URLSearchParams(rawBody);
          const name = form.get('name') ?? '';
          if (name === '') return formErrors({ name: 'Bucket name cannot be empty' });
          if (!/^[A-Za-z0-9._%-]{1,100}$/.test(name)) {
            return formErrors({
              name: 'Bucket name can only contain characters in range A-Z, a-z, 0-9 as well as underscore, period, dash & percent. Consult the documentation.',
            });
          }
          if (ctx.data.getBucket(name) !== undefined)
            return formErrors({ name: 'Bucket with given name already exists' });
          const typeRaw = form.get('bucketType') ?? 'couchbase';
          const bucketType = typeRaw === 'membase' ? 'couchbase' : typeRaw;
          if (bucketType !== 'couchbase' && bucketType !== 'ephemeral' && bucketType !== 'memcached') {
            return formErrors({ bucketType: 'invalid bucket type' });
          }
          // ns_server requires ramQuota; the emulator defaults it to 100 MiB for convenience.
          const quotaRaw = form.get('ramQuota') ?? form.get('ramQuotaMB') ?? '100';
          const ramQuotaMB = Number(quotaRaw);
          if (!Number.isInteger(ramQuotaMB) || ramQuotaMB < 100) {
            return formErrors({ ramQuota: 'RAM quota cannot be less than 100 MiB' });
          }
          ctx.data.createBucket({ name, bucketType, ramQuotaMB });
          ctx.store.touch();
          return { status: 202, text: '' };
        }),
    },
    {
      method: 'DELETE',
      pattern: '/pools/default/buckets/:name',
      area: 'cluster',
      handle: ({ params }) =>
        ctx.exclusive(() => {
          const name = param(params, 'name');
          if (ctx.data.getBucket(name) === undefined) return NOT_FOUND_TEXT;
          ctx.data.deleteBucket(name);
          ctx.store.touch();
          return { status: 200, text: '' };
        }),
    },
  ];
}
