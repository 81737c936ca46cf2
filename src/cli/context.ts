import type { Argv } from 'yargs';
import type { RepositoryPathState } from '../backup-api/index.ts';
import { createKube, type Kube } from './kube.ts';
import { OUTPUT_FORMATS, type Out, type OutputFormat, processOut } from './output.ts';
import {
  connectService,
  type RepositoryTarget,
  resolveRepository,
  type ServiceAccess,
} from './service-access.ts';

/** Flags every command takes (kubectl's habits plus --endpoint). */
export interface GlobalArgs {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
  allNamespaces?: boolean | undefined;
  output: OutputFormat;
  endpoint?: string | undefined;
  requestTimeout: number;
}

/** Adds the global flags to the top-level parser. */
export function globalOptions<T>(y: Argv<T>) {
  return y
    .option('kubeconfig', {
      type: 'string',
      describe: 'Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config)',
    })
    .option('context', { type: 'string', describe: 'The kubeconfig context to use' })
    .option('namespace', {
      alias: 'n',
      type: 'string',
      describe: "Namespace (default: the context's, else default)",
    })
    .option('all-namespaces', {
      alias: 'A',
      type: 'boolean',
      describe: 'List across all namespaces (status)',
    })
    .option('output', {
      alias: 'o',
      choices: OUTPUT_FORMATS,
      default: 'table' as OutputFormat,
      describe: 'Output format',
    })
    .option('endpoint', {
      type: 'string',
      describe:
        "Backup Service URL to use instead of the BackupService's endpoints (e.g. a kubectl port-forward)",
    })
    .option('request-timeout', {
      type: 'number',
      default: 10,
      describe: 'Seconds per Backup Service request',
    })
    .group(
      ['kubeconfig', 'context', 'namespace', 'all-namespaces', 'output', 'endpoint', 'request-timeout'],
      'Global flags:',
    );
}

/** Everything a command needs, built once per invocation. */
export interface Ctx {
  args: GlobalArgs;
  out: Out;
  now: () => Date;
  /** Whether stdin is a terminal (confirmation prompts). */
  stdinIsTTY: boolean;
  /** Whether stderr is a terminal (progress bars). */
  stderrIsTTY: boolean;
  kube(): Kube;
  repository(q: {
    repository: string;
    service?: string | undefined;
    state?: RepositoryPathState | undefined;
  }): Promise<RepositoryTarget>;
  /** Connects to the BackupService of a repository target; closed after the command. */
  service(namespace: string, name: string): Promise<ServiceAccess>;
  /** Closes everything the command opened. */
  close(): Promise<void>;
}

/** Test seams for {@link createContext}. */
export interface CtxOptions {
  out?: Out;
  env?: NodeJS.ProcessEnv;
  stdinIsTTY?: boolean;
  stderrIsTTY?: boolean;
}

/** Builds the per-invocation context; Kubernetes access is created on first use. */
export function createContext(args: GlobalArgs, opts: CtxOptions = {}): Ctx {
  let kube: Kube | undefined;
  const opened: ServiceAccess[] = [];
  const getKube = () => {
    kube ??= createKube(args, opts.env ?? process.env);
    return kube;
  };
  return {
    args,
    out: opts.out ?? processOut,
    now: () => new Date(),
    stdinIsTTY: opts.stdinIsTTY ?? process.stdin.isTTY === true,
    stderrIsTTY: opts.stderrIsTTY ?? process.stderr.isTTY === true,
    kube: getKube,
    repository: (q) => resolveRepository(getKube(), q),
    service: async (namespace, name) => {
      const access = await connectService(getKube(), namespace, name, {
        endpoint: args.endpoint,
        timeoutMs: args.requestTimeout * 1000,
      });
      opened.push(access);
      return access;
    },
    close: async () => {
      await Promise.all(opened.map((a) => a.close()));
    },
  };
}
