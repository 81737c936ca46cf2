import { z } from 'zod';
import { withRules } from './cel.ts';
import { basicAuthSecretRef, countSchema, managedStatusBase, objectNameSchema, secretKey } from './common.ts';
import { DURATION_PATTERN, parseDurationMs } from './duration.ts';
import { ageColumn, type KindDefinition, kindMeta, readyColumn, resourceSchema } from './kind.ts';

/** Names of the BackupService kind. */
export const backupServiceKind = kindMeta('BackupService', 'backupservices', ['cbsvc']);

const ENDPOINT_PATTERN = '^https?://[^\\s/?#]+(/[^\\s?#]*)?$';

// The pattern lets through what URL parsing then refuses: credentials in the URL and ports out of
// range. CEL rules on the list catch those: the API server echoes the value of a failing string
// (pattern or CEL alike), credentials included, but for a list it prints only the word "array".
// Each regular expression is RE2 and JavaScript alike, so the zod mirror is the same expression.
const USERINFO_PATTERN = '^[^:/?#]+://[^/?#]*@';
// Scheme, optional userinfo, then a bracketed IPv6 literal or a host without ':'.
const HOST_PREFIX = '^[^:/?#]+://([^/?#]*@)?(\\[[^\\]/?#]*\\]|[^:/?#@\\[]*)';
const HAS_PORT_PATTERN = `${HOST_PREFIX}:[^/?#@]*([/?#].*)?$`;
const PORT_1_TO_65535 =
  '0*([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';
const VALID_PORT_PATTERN = `${HOST_PREFIX}:${PORT_1_TO_65535}([/?#].*)?$`;

const hasUserinfo = (v: string) => new RegExp(USERINFO_PATTERN).test(v);
const hasValidPort = (v: string) =>
  !new RegExp(HAS_PORT_PATTERN).test(v) || new RegExp(VALID_PORT_PATTERN).test(v);

const endpointsSchema = withRules(
  z
    .array(z.string().min(1).max(2048).regex(new RegExp(ENDPOINT_PATTERN)).describe('Base URL.'))
    .min(1)
    .max(16),
  [
    {
      rule: `self.all(e, !e.matches(r'${USERINFO_PATTERN}'))`,
      message:
        'endpoints must not carry credentials (user@ or user:password@): put them in the Secret of credentialsSecretRef',
      check: (list: string[]) => !list.some(hasUserinfo),
    },
    {
      rule: `self.all(e, !e.matches(r'${HAS_PORT_PATTERN}') || e.matches(r'${VALID_PORT_PATTERN}'))`,
      message: 'an endpoint port must be a number from 1 to 65535',
      check: (list: string[]) => list.every(hasValidPort),
    },
  ],
);

export { DURATION_PATTERN } from './duration.ts';

const tlsSchema = z
  .object({
    caSecretRef: z
      .object({
        name: objectNameSchema.describe('Name of the Secret in the same namespace.'),
        key: secretKey('Key in the Secret whose value is the PEM CA bundle.', 'ca.crt'),
      })
      .optional()
      .describe(
        'Secret holding the CA bundle that signed the Backup Service certificate. Default: the system trust store.',
      ),
    clientCertSecretRef: z
      .object({
        name: objectNameSchema.describe('Name of the Secret in the same namespace.'),
        certKey: secretKey('Key in the Secret whose value is the PEM client certificate.', 'tls.crt'),
        keyKey: secretKey('Key in the Secret whose value is the PEM private key.', 'tls.key'),
      })
      .optional()
      .describe(
        'Secret with a client certificate and key (for example of type kubernetes.io/tls) for mutual TLS.',
      ),
    insecureSkipVerify: z
      .boolean()
      .default(false)
      .describe(
        'Skip verification of the server certificate. For tests only: it makes the connection open to interception.',
      ),
  })
  .describe('TLS settings for https:// endpoints.');

const configSchema = z
  .object({
    historyRotationSize: z
      .number()
      .int()
      .min(5)
      .max(200)
      .optional()
      .describe(
        'Size in MiB at which the Backup Service rotates a repository task-history file (5..200; server default 50). Unset: leave the server value alone.',
      ),
    nodesThreads: z
      .record(
        z.string().min(1).max(64),
        z.number().int().min(0).max(1024).describe('Threads for this node (0 = server default).'),
      )
      .optional()
      .meta({ maxProperties: 128 })
      .describe(
        'Threads per Backup Service node, keyed by node UUID (Couchbase 7.6.2+). 0 means the server default (0.75 x CPU cores). Unset: leave the server map alone.',
      ),
  })
  .describe('Cluster-wide Backup Service configuration. Only fields that are set are managed.');

/** Desired state of a BackupService. */
export const BackupServiceSpecSchema = z
  .object({
    endpoints: endpointsSchema
      // atomic, not set: the order is the failover order, which a set does not preserve.
      .meta({ 'x-kubernetes-list-type': 'atomic' })
      .describe(
        'Base URLs of the Backup Service, tried in order: the service port (http://cb:8097, https://cb:18097) or the cluster-manager proxy (http://cb:8091/_p/backup). Without the /api/v1 suffix.',
      ),
    credentialsSecretRef: basicAuthSecretRef(
      'of a Couchbase user with the Full Admin or Backup Full Admin role',
    ),
    tls: tlsSchema.optional(),
    clusterAddress: z
      .string()
      .max(2048)
      .regex(/^https?:\/\/[^\s/?#]+$/)
      .optional()
      .describe(
        'Cluster-manager address of this Couchbase cluster (e.g. http://cb:8091), the default target of BackupRestores. Default: derived from the first endpoint (port 8097 → 8091, 18097 → 18091, a /_p/backup URL → its origin).',
      ),
    config: configSchema.optional(),
    pollInterval: withRules(z.string().max(32).regex(new RegExp(DURATION_PATTERN)), [
      {
        rule: "duration(self) >= duration('1s')",
        message: 'pollInterval must be at least 1s',
        // A malformed value is the pattern's to report; this rule judges well-formed ones only.
        check: (v: string) => !new RegExp(DURATION_PATTERN).test(v) || parseDurationMs(v) >= 1_000,
      },
    ])
      // No CRD default: an unset field follows the operator's --service-poll-interval (the chart's
      // servicePollInterval), which a default stamped on every object at admission would override.
      .optional()
      .describe(
        "How often the operator reads the cluster state of this Backup Service (Go duration, e.g. 30s, 2m). Unset: the operator's --service-poll-interval (Helm value servicePollInterval, 30s unless changed); status.pollInterval shows the interval in effect. Running one-shot tasks are polled faster.",
      ),
  })
  .describe('BackupServiceSpec connects the operator to one Couchbase Backup Service.');

const nodeStatusSchema = z
  .object({
    uuid: z.string().max(64).describe('Node UUID.'),
    hostname: z.string().max(256).optional().describe('Node host name as the cluster reports it.'),
    threads: countSchema.optional().describe('Configured threads of this node (0 = server default).'),
  })
  .describe('A node running the Backup Service.');

/** Observed state of a BackupService. */
export const BackupServiceStatusSchema = z
  .object({
    ...managedStatusBase,
    reachable: z.boolean().optional().describe('Whether the last request to the Backup Service succeeded.'),
    activeEndpoint: z.string().max(2048).optional().describe('Endpoint the operator currently talks to.'),
    pollInterval: z
      .string()
      .max(32)
      .optional()
      .describe(
        'Poll interval in effect: spec.pollInterval when set, else the operator flag --service-poll-interval.',
      ),
    version: z.string().max(64).optional().describe('Couchbase Server version, when known.'),
    profile: z
      .string()
      .max(64)
      .optional()
      .describe(
        'API feature profile the operator detected (for example 7.6 or 8.0); decides whether PRUNE tasks and node thread maps are used.',
      ),
    repositories: z
      .object({
        active: countSchema.describe('Active repositories.'),
        paused: countSchema.describe('Paused repositories.'),
        archived: countSchema.describe('Archived repositories.'),
        imported: countSchema.describe('Imported repositories.'),
      })
      .optional()
      .describe('Repository counts on the Backup Service by state (managed or not).'),
    nodes: z.array(nodeStatusSchema).max(256).optional().describe('Nodes running the Backup Service.'),
    config: z
      .object({
        historyRotationSize: countSchema
          .optional()
          .describe('Task-history rotation size in MiB on the server.'),
      })
      .optional()
      .describe('Cluster-wide configuration as read from the server.'),
  })
  .describe('BackupServiceStatus reports reachability, authentication and the server state.');

/** A BackupService object. */
export const BackupServiceSchema = resourceSchema(
  backupServiceKind,
  BackupServiceSpecSchema,
  BackupServiceStatusSchema,
);

export type BackupServiceSpec = z.infer<typeof BackupServiceSpecSchema>;
export type BackupServiceStatus = z.infer<typeof BackupServiceStatusSchema>;
export type BackupService = z.infer<typeof BackupServiceSchema>;

/** CRD definition of BackupService. */
export const backupServiceDefinition: KindDefinition = {
  meta: backupServiceKind,
  description:
    'BackupService connects the operator to one Couchbase Backup Service (one Couchbase cluster): endpoints, credentials, TLS and cluster-wide backup configuration.',
  spec: BackupServiceSpecSchema,
  status: BackupServiceStatusSchema,
  rootRules: [],
  printerColumns: [
    readyColumn,
    { name: 'Endpoint', type: 'string', jsonPath: '.status.activeEndpoint', description: 'Endpoint in use.' },
    {
      name: 'Version',
      type: 'string',
      jsonPath: '.status.version',
      description: 'Couchbase Server version.',
    },
    {
      name: 'Active',
      type: 'integer',
      jsonPath: '.status.repositories.active',
      description: 'Active repositories.',
      priority: 1,
    },
    ageColumn,
  ],
};
