import type { ControllerDeps } from '../operator.ts';
import type { ReadonlyDeep, Reconciler } from '../runtime/index.ts';
import { ConnectionError } from '../service-connections.ts';
import { followTask } from './follow.ts';
import type { OneShotKind, OneShotResource } from './kind.ts';
import { createOneShotMemory } from './memory.ts';
import { firstSendState, repositoryOf } from './preflight.ts';
import { resolveIntent } from './resolve-intent.ts';
import { sendRequest } from './send.ts';
import { isTerminal } from './status.ts';
import { createOneShotTools } from './tools.ts';

/**
 * Builds the reconciler of a one-shot kind. Flow per object: terminal → nothing; task name known →
 * follow it; intent without task name → find the task (adopt), wait, send again, or ask the user
 * (the intent protocol, see `../intent`); neither → preflight, record the intent
 * (resourceVersion-guarded), send, record the task name.
 */
export function createOneShotReconciler<T extends OneShotResource>(
  deps: ControllerDeps,
  kind: OneShotKind<T>,
): Reconciler {
  const tools = createOneShotTools(deps, kind);
  const { access, settle } = tools;
  /** What this process learnt per object (keyed by UID, see createOneShotMemory). */
  const memories = createOneShotMemory();

  return async (req, ctx) => {
    const obj = access.store.get(req.key) as ReadonlyDeep<T> | undefined;
    if (!obj) {
      memories.forget(req.key);
      return;
    }
    // Terminal phases are final: no request, no write, no poll.
    if (isTerminal(obj.status?.phase)) {
      memories.forget(req.key);
      return;
    }
    const memory = memories.of(req.key, obj.metadata.uid);

    const located = await repositoryOf(tools, obj, req.namespace, memory);
    if ('done' in located) {
      if (located.forget) memories.forget(req.key);
      return located.done;
    }
    const repo = located.repo;
    const serviceKey = `${req.namespace}/${repo.serviceName}`;
    let connection: ReturnType<ControllerDeps['connections']['get']>;
    try {
      connection = deps.connections.get(req.namespace, repo.serviceName);
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err;
      // The Secret or BackupService appearing re-enqueues this object (references).
      await settle(obj, { kind: 'waiting', reason: err.code, message: `${err.message}; waiting for it.` });
      return;
    }
    const { client, service } = connection;

    const args = { obj, memory, client, service, repo, ctx };
    if (obj.status?.taskName) {
      memory.failedTries = undefined;
      return await followTask(tools, { ...args, serviceKey });
    }
    if (obj.status?.intent) {
      return await resolveIntent(tools, { ...args, namespace: req.namespace, name: req.name });
    }

    // Before a first request: the repository must exist, in the right state (from the last poll).
    const ready = await firstSendState(tools, obj, repo, serviceKey);
    if ('done' in ready) return ready.done;
    return await sendRequest(tools, { ...args, repo: { ...repo, state: ready.state } });
  };
}
