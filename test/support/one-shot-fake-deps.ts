import type { BackupClient, Repository, TaskRun } from '../../src/backup-api/index.ts';
import type { ControllerDeps } from '../../src/controllers/operator.ts';
import type { BackupRunResource } from '../../src/controllers/resources.ts';
import type { ReconcileContext } from '../../src/controllers/runtime/index.ts';

/** JSON merge patch (RFC 7386) onto a copy of `target` (test helper). */
function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent } as never;

/**
 * One BackupRun in a fake apiserver and a scripted Backup Service, enough to drive the one-shot
 * engine reconcile by reconcile with a hand-moved clock (test helper, not used by the operator).
 */
export function fakeOneShotWorld(options: { backup: () => Promise<{ task_name: string }> }) {
  let nowMs = Date.parse('2026-03-01T10:00:00Z');
  let version = 0;
  const runs = new Map<string, BackupRunResource>();
  const repository: Repository = {
    id: 'r1',
    plan_name: 'p',
    state: 'active',
    archive: '/a',
    repo: 'u',
    creation_time: '',
    update_time: '',
    running_one_off: {},
  } as Repository;
  const history: TaskRun[] = [];
  const backupCalls: number[] = [];

  const runsClient = {
    async patchStatus(namespace: string, name: string, body: { metadata?: { resourceVersion?: string } }) {
      const key = `${namespace}/${name}`;
      const current = runs.get(key);
      if (!current) throw Object.assign(new Error('not found'), { code: 404 });
      const expected = body.metadata?.resourceVersion;
      if (expected !== undefined && expected !== current.metadata.resourceVersion) {
        throw Object.assign(new Error('conflict'), { code: 409, statusCode: 409 });
      }
      const next = applyMergePatch(current, {
        status: (body as { status: unknown }).status,
      }) as BackupRunResource;
      next.metadata = { ...current.metadata, resourceVersion: String(++version) };
      runs.set(key, next);
      return structuredClone(next);
    },
    async get(namespace: string, name: string) {
      return structuredClone(runs.get(`${namespace}/${name}`));
    },
  };
  const listing = <T>(items: () => T[]) => ({ store: { get: () => undefined, list: items } });
  const client = {
    backup: async () => {
      backupCalls.push(nowMs);
      return await options.backup();
    },
    getRepository: async () => structuredClone(repository),
    taskHistory: async () => structuredClone(history),
  } as unknown as BackupClient;

  const deps = {
    kinds: {
      runs: {
        client: runsClient,
        store: { get: (key: string) => runs.get(key), list: () => [...runs.values()] },
      },
      restores: listing(() => []),
      repositories: listing(() => []),
      services: listing(() => []),
      plans: listing(() => []),
    },
    connections: { get: () => ({ client, service: { metadata: { name: 'cb' }, spec: {} } }) },
    observations: {
      get: () => ({ at: nowMs }),
      findRepository: () => ({ state: 'active', repository }),
    },
    events: { record: async () => {} },
    timings: { servicePollIntervalMs: 1_000, taskPollIntervalMs: 1_000, finalizerTimeoutMs: 1_000 },
    clock: { now: () => nowMs, setTimeout: () => 0, clearTimeout() {} },
    log: silent,
    crashPoint() {},
  } as unknown as ControllerDeps;

  return {
    deps,
    repository,
    history,
    backupCalls,
    advance(ms: number) {
      nowMs += ms;
    },
    now: () => nowMs,
    /** Creates (or replaces, as a new object with a new UID) the BackupRun `name`. */
    createRun(name: string, uid: string, annotations?: Record<string, string>) {
      runs.set(`ns/${name}`, {
        apiVersion: 'cbbs.dev/v1alpha1',
        kind: 'BackupRun',
        metadata: {
          namespace: 'ns',
          name,
          uid,
          generation: 1,
          resourceVersion: String(++version),
          ...(annotations ? { annotations } : {}),
        },
        spec: { repository: { serviceRef: { name: 'cb' }, repositoryId: 'r1' }, type: 'BACKUP' },
      } as BackupRunResource);
    },
    run: (name: string) => runs.get(`ns/${name}`) as BackupRunResource,
    /** Writes onto a run as a user would (annotations) or a crashed operator did (status). */
    edit(name: string, patch: object) {
      const key = `ns/${name}`;
      const next = applyMergePatch(runs.get(key), patch) as BackupRunResource;
      next.metadata.resourceVersion = String(++version);
      runs.set(key, next);
    },
    ctx: (): ReconcileContext => ({ log: silent, signal: new AbortController().signal, reconcileID: 'test' }),
  };
}
