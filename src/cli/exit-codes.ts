/**
 * Exit codes of `kubectl cbbs`, stable for scripts (docs/cli.md lists them). A command either
 * succeeds (0) or throws a {@link CliError} carrying one of these.
 */
export const EXIT = {
  ok: 0,
  /** Any failure without a more specific code (the Backup Service refused, a bad answer…). */
  error: 1,
  /** Bad flags or arguments (yargs' own errors included). */
  usage: 2,
  /** The object, repository or backup named does not exist. */
  notFound: 3,
  /** Kubernetes RBAC or the Backup Service refused the credentials or the permission. */
  forbidden: 4,
  /** The Backup Service (or the Kubernetes API) could not be reached. */
  unreachable: 5,
  /** `--wait` followed a task that ended Failed, or the wait timed out. */
  taskFailed: 6,
  /** A destructive command was not confirmed (answer no, or no terminal and no --yes). */
  notConfirmed: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the plugin reports as one line on stderr and exits with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}
