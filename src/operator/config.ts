import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseDurationMs } from '../crds/duration.ts';

const duration = (what: string) =>
  z.string().transform((text, ctx) => {
    const ms = (() => {
      try {
        return parseDurationMs(text);
      } catch {
        return undefined;
      }
    })();
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `${what}: "${text}" is not a duration like 30s, 5m or 1h30m` });
      return z.NEVER;
    }
    return ms;
  });
const port = z.coerce.number().int().min(0).max(65_535);
/** More workers than this only add memory and API-server load: reconciles are mostly waiting on I/O. */
const MAX_WORKERS = 64;
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** One operator setting: its flag, its environment variable, its default and what it means. */
interface Setting {
  flag: string;
  env: string;
  default: string;
  help: string;
}

const SETTINGS = {
  kubeconfig: {
    flag: 'kubeconfig',
    env: 'KUBECONFIG',
    default: '',
    help: 'Path to a kubeconfig. Empty: in-cluster credentials when running in a pod, else ~/.kube/config.',
  },
  namespaces: {
    flag: 'namespaces',
    env: 'CBBS_WATCH_NAMESPACES',
    default: '',
    help: 'Comma-separated namespaces to watch. Empty: all namespaces.',
  },
  leaderElect: {
    flag: 'leader-elect',
    env: 'CBBS_LEADER_ELECT',
    default: 'true',
    help: 'Elect a leader on a Lease so that only one replica reconciles (true/false).',
  },
  leaseNamespace: {
    flag: 'leader-election-namespace',
    env: 'CBBS_LEADER_ELECTION_NAMESPACE',
    default: '',
    help: "Namespace of the Lease. Empty: the pod's namespace (POD_NAMESPACE), else default.",
  },
  leaseName: {
    flag: 'leader-election-id',
    env: 'CBBS_LEADER_ELECTION_ID',
    default: 'cbbs-operator',
    help: 'Name of the Lease.',
  },
  identity: {
    flag: 'identity',
    env: 'POD_NAME',
    default: '',
    help: 'Identity in the Lease. Empty: host name plus a random suffix.',
  },
  healthAddress: {
    flag: 'health-bind-address',
    env: 'CBBS_HEALTH_BIND_ADDRESS',
    default: '0.0.0.0',
    help: 'Address of the /healthz and /readyz server.',
  },
  healthPort: {
    flag: 'health-port',
    env: 'CBBS_HEALTH_PORT',
    default: '8081',
    help: 'Port of /healthz and /readyz (0 = pick a free one).',
  },
  metricsAddress: {
    flag: 'metrics-bind-address',
    env: 'CBBS_METRICS_BIND_ADDRESS',
    default: '0.0.0.0',
    help: 'Address of the /metrics server.',
  },
  metricsPort: {
    flag: 'metrics-port',
    env: 'CBBS_METRICS_PORT',
    default: '8080',
    help: 'Port of /metrics (0 = pick a free one).',
  },
  logLevel: {
    flag: 'log-level',
    env: 'CBBS_LOG_LEVEL',
    default: 'info',
    help: 'trace, debug, info, warn, error or fatal.',
  },
  servicePollInterval: {
    flag: 'service-poll-interval',
    env: 'CBBS_SERVICE_POLL_INTERVAL',
    default: '30s',
    help: 'How often each BackupService is polled (one GET /cluster/self per service).',
  },
  taskPollInterval: {
    flag: 'task-poll-interval',
    env: 'CBBS_TASK_POLL_INTERVAL',
    default: '5s',
    help: 'How often a running one-shot task (BackupRun, BackupRestore, trigger) is followed.',
  },
  resyncPeriod: {
    flag: 'resync-period',
    env: 'CBBS_RESYNC_PERIOD',
    default: '10m',
    help: 'How often every object is reconciled even when nothing changed.',
  },
  finalizerTimeout: {
    flag: 'finalizer-timeout',
    env: 'CBBS_FINALIZER_TIMEOUT',
    default: '10m',
    help: 'How long a deletion waits for an unreachable Backup Service before giving up (with an Event).',
  },
  workers: {
    flag: 'workers',
    env: 'CBBS_WORKERS',
    default: '4',
    help: 'Concurrent reconciles per kind; at most half of them (at least one) for the objects of one BackupService.',
  },
  crashAt: {
    flag: 'test-crash-at',
    env: 'CBBS_TEST_CRASH_AT',
    default: '',
    help: 'Testing only: the process kills itself (SIGKILL, no cleanup) at this named crash point.',
  },
} as const satisfies Record<string, Setting>;

type SettingName = keyof typeof SETTINGS;

const configSchema = z.object({
  kubeconfig: z.string(),
  namespaces: z.string().transform((s) =>
    s
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean),
  ),
  leaderElect: bool,
  leaseNamespace: z.string(),
  leaseName: z.string().min(1),
  identity: z.string(),
  healthAddress: z.string().min(1),
  healthPort: port,
  metricsAddress: z.string().min(1),
  metricsPort: port,
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
  servicePollInterval: duration('service-poll-interval'),
  taskPollInterval: duration('task-poll-interval'),
  resyncPeriod: duration('resync-period'),
  finalizerTimeout: duration('finalizer-timeout'),
  workers: z.coerce.number().int().min(1).max(MAX_WORKERS),
  crashAt: z.string(),
});

/** The operator's settings after parsing and defaulting. */
export type OperatorConfig = z.output<typeof configSchema>;

/** The result of reading the command line: settings, a help request, or a message saying what is wrong. */
export type ConfigResult =
  | { kind: 'config'; config: OperatorConfig }
  | { kind: 'help'; text: string }
  | { kind: 'error'; message: string };

/** Reads flags (winning) and environment variables; the only place the operator reads process.env. */
export function readConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ConfigResult {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }])),
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    return { kind: 'error', message: `${(err as Error).message}\nRun with --help for the list of flags.` };
  }
  if (values.help) return { kind: 'help', text: helpText() };

  const raw = Object.fromEntries(
    (Object.entries(SETTINGS) as [SettingName, Setting][]).map(([name, s]) => [
      name,
      (values[s.flag] as string | undefined) ?? env[s.env] ?? s.default,
    ]),
  );
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const setting = SETTINGS[i.path[0] as SettingName];
      return `--${setting.flag} (${setting.env}): ${i.message}`;
    });
    return { kind: 'error', message: lines.join('\n') };
  }
  const config = parsed.data;
  if (!config.identity) config.identity = `${hostname()}-${randomBytes(4).toString('hex')}`;
  if (!config.leaseNamespace) config.leaseNamespace = env.POD_NAMESPACE || 'default';
  return { kind: 'config', config };
}

/** The `--help` text: every flag with its environment variable and default. */
export function helpText(): string {
  const rows = Object.values(SETTINGS).map(
    (s) =>
      `  --${s.flag.padEnd(28)} ${s.help}\n  ${''.padEnd(30)} env ${s.env}${s.default ? `, default ${s.default}` : ''}`,
  );
  return [
    'cbbs-operator: reconciles BackupService, BackupPlan, BackupRepository, BackupRun and BackupRestore',
    'resources (cbbs.dev/v1alpha1) against the Couchbase Backup Service REST API.',
    '',
    'Usage: cbbs-operator [flags]',
    '',
    'Flags (a flag wins over its environment variable):',
    ...rows,
    '  --help, -h                     Print this text.',
    '',
  ].join('\n');
}
