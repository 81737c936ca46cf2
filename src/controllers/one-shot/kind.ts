import type { BackupClient, RepositoryPathState, TaskRun } from '../../backup-api/index.ts';
import type { TaskMatcher } from '../intent/index.ts';
import type { ControllerDeps, KindAccess } from '../operator.ts';
import type { BackupRestoreResource, BackupRunResource, BackupServiceResource } from '../resources.ts';
import type { ReadonlyDeep } from '../runtime/index.ts';
import type { RepositorySource, ResolvedRepository } from './repository-source.ts';

export type OneShotResource = BackupRunResource | BackupRestoreResource;
export type StatusOf<T extends OneShotResource> = NonNullable<T['status']>;

/** What a kind's preflight decided before sending. */
export type Prepared<T extends OneShotResource> =
  | { kind: 'refuse'; reason: string; message: string }
  | { kind: 'waiting' | 'blocked'; reason: string; message: string }
  | {
      kind: 'ready';
      matcher: TaskMatcher;
      /** Status fields recorded with the intent (e.g. the restore target). */
      fields: Partial<StatusOf<T>>;
      /** Human description for conditions and events, e.g. "backup", "restore into http://…". */
      what: string;
      /** Sends the request; resolves the task name. Never retried. */
      send(signal: AbortSignal): Promise<string>;
    };

/** What a kind gives the shared one-shot flow. */
export interface OneShotKind<T extends OneShotResource> {
  /** Prefix of crash points and log/event wording: `run` or `restore`. */
  name: 'run' | 'restore';
  access: (deps: ControllerDeps) => KindAccess<T>;
  source(obj: ReadonlyDeep<T>): RepositorySource;
  /** Runs need an active repository; restores take any state. */
  requiresActive: boolean;
  /** Checks and builds the request (only before a first send, never while following). */
  prepare(args: {
    obj: ReadonlyDeep<T>;
    client: BackupClient;
    service: ReadonlyDeep<BackupServiceResource>;
    repository: ResolvedRepository & { state: RepositoryPathState };
    deps: ControllerDeps;
    signal: AbortSignal;
  }): Promise<Prepared<T>>;
  /** Matcher for adoption after a restart, from spec and the fields recorded with the intent. */
  matcher(obj: ReadonlyDeep<T>): TaskMatcher;
  /** Extra status once the task succeeded (the produced backup name). */
  onSucceeded?(args: {
    obj: ReadonlyDeep<T>;
    run: TaskRun;
    client: BackupClient;
    repository: { id: string; state: RepositoryPathState };
    signal: AbortSignal;
  }): Promise<Partial<StatusOf<T>>>;
  /** Hint appended to a failed task's message, saying what to check. */
  failureHint?(obj: ReadonlyDeep<T>): string;
}

/** The kind's name as users see it. */
export const KIND_LABEL = { run: 'BackupRun', restore: 'BackupRestore' } as const;
/** The kind's plural as kubectl and claim owners spell it. */
export const KIND_PLURAL = { run: 'runs', restore: 'restores' } as const;
