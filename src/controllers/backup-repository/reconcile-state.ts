import type { BackupClient, RepositoryInfo, TaskRun } from '../../backup-api/index.ts';
import type { ObservedRepository } from '../cluster-observations.ts';
import type { ControllerDeps } from '../operator.ts';
import type { BackupRepositoryResource } from '../resources.ts';
import type { ReconcileContext } from '../runtime/index.ts';
import { repositoryId } from './desired.ts';
import type { createMemos, RepositoryMemo } from './memo.ts';

type Repo = BackupRepositoryResource;
type Status = NonNullable<Repo['status']>;

/**
 * What one reconcile of a BackupRepository knows and learns, shared by its steps (observe, act,
 * settle, status): created per reconcile, so nothing leaks from one object or reconcile to another
 * except the UID-keyed memo.
 */
export interface RepositoryReconcile {
  deps: ControllerDeps;
  ctx: ReconcileContext;
  /** The object; replaced by the answer of the trigger echo patch (its resourceVersion guards). */
  obj: Repo;
  id: string;
  namespace: string;
  serviceKey: string;
  generation: number;
  /** Status as read at the start of the reconcile. */
  previous: Status | undefined;
  memo: RepositoryMemo;
  /** The trigger echoes this reconcile writes, on every path (errors included). */
  echoes: NonNullable<Status['triggers']>;
  /** History and info, when this reconcile read them. */
  fetched?: { history: TaskRun[]; info: RepositoryInfo; digest: string } | undefined;
  /** Something moved that history and info must show (an action, a trigger, a task finished). */
  forceFetch: boolean;
  client(): BackupClient;
  /** Keeps our own read as newer than the shared poll until the next poll. */
  remember(o: ObservedRepository | undefined): ObservedRepository | undefined;
}

/** Starts the state of one reconcile of `obj`. */
export function startReconcile(
  deps: ControllerDeps,
  memos: ReturnType<typeof createMemos>,
  obj: Repo,
  ctx: ReconcileContext,
): RepositoryReconcile {
  const namespace = obj.metadata.namespace ?? '';
  const key = `${namespace}/${obj.metadata.name}`;
  const memo = memos.of(key, obj.metadata.uid ?? key);
  return {
    deps,
    ctx,
    obj,
    id: repositoryId(obj),
    namespace,
    serviceKey: `${namespace}/${obj.spec.serviceRef.name}`,
    generation: obj.metadata.generation ?? 0,
    previous: obj.status,
    memo,
    echoes: structuredClone(obj.status?.triggers ?? {}),
    forceFetch: false,
    client: () => deps.connections.get(namespace, obj.spec.serviceRef.name).client,
    remember(o) {
      memo.direct = { at: deps.clock.now(), observed: o };
      return o;
    },
  };
}
