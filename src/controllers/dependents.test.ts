import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { createClaimIndex } from './claim-index.ts';
import { createRepositoriesChanged, wireDependents, wireOwnershipRequeues } from './dependents.ts';
import { KIND_NAMES, type KindName, type KindQueues, type KindReflectors } from './kinds.ts';
import { createReferenceIndex } from './reference-index.ts';
import type { Reflector, ReflectorHandler } from './runtime/index.ts';

/** Reflectors and queues holding plain objects, recording what is enqueued. */
function world(objects: { runs?: object[]; restores?: object[]; repositories?: object[]; plans?: object[] }) {
  const added: string[] = [];
  const reflectors = Object.fromEntries(
    KIND_NAMES.map((k) => [
      k,
      fakeReflector((objects as Record<string, KubernetesObject[]>)[k] ?? []).reflector,
    ]),
  ) as unknown as KindReflectors;
  const queues = Object.fromEntries(
    KIND_NAMES.map((k) => [k, { add: (key: string) => added.push(`${k}:${key}`) }]),
  ) as unknown as KindQueues;
  return { changed: createRepositoriesChanged(reflectors, queues, createReferenceIndex(reflectors)), added };
}

const run = (name: string, phase?: string) => ({
  metadata: { name, namespace: 'ns' },
  spec: { repository: { repositoryRef: { name: 'repo' } } },
  ...(phase ? { status: { phase } } : {}),
});

describe('createRepositoriesChanged', () => {
  it('enqueues the changed repository and the runs that follow it, but not finished runs', () => {
    const w = world({
      repositories: [
        {
          metadata: { name: 'repo', namespace: 'ns' },
          spec: { serviceRef: { name: 'cb' }, storage: { filesystem: { path: '/b' } } },
        },
      ],
      runs: [run('running', 'Running'), run('done', 'Succeeded'), run('failed', 'Failed'), run('new')],
    });
    w.changed('ns/cb', ['repo']);
    expect(w.added.sort()).toEqual(['repositories:ns/repo', 'runs:ns/new', 'runs:ns/running']);
  });

  it('enqueues the plans that wait on repositories (refused, rolling out, not Ready), not settled ones', () => {
    const plan = (name: string, status: object) => ({
      metadata: { name, namespace: 'ns' },
      spec: { serviceRef: { name: 'cb' }, tasks: [] },
      status,
    });
    const ready = { conditions: [{ type: 'Ready', status: 'True' }] };
    const w = world({
      plans: [
        plan('settled', ready),
        plan('refused', { ...ready, refusal: { generation: 1, reason: 'PlanInUse' } }),
        plan('rolling', { ...ready, rollout: { serverPlanName: 'rolling-v2' } }),
        plan('new', {}),
      ],
    });
    w.changed('ns/cb', ['repo']);
    expect(w.added.filter((k) => k.startsWith('plans:')).sort()).toEqual([
      'plans:ns/new',
      'plans:ns/refused',
      'plans:ns/rolling',
    ]);
  });

  it('enqueues nothing for a poll that changed nothing', () => {
    const w = world({ runs: [run('running', 'Running')] });
    w.changed('ns/cb', []);
    expect(w.added).toEqual([]);
  });
});

/** A reflector over fixed objects that keeps its handlers, so a test can fire events. */
function fakeReflector<T extends KubernetesObject>(objects: T[]) {
  const handlers: ReflectorHandler<T>[] = [];
  const reflector = {
    store: {
      list: (ns?: string) => objects.filter((o) => ns === undefined || o.metadata?.namespace === ns),
      get: (key: string) => objects.find((o) => `${o.metadata?.namespace}/${o.metadata?.name}` === key),
    },
    addHandler(h: ReflectorHandler<T>) {
      handlers.push(h);
      return () => {};
    },
  } as unknown as Reflector<T>;
  return {
    reflector,
    fire: (...args: Parameters<ReflectorHandler<T>>) => {
      for (const h of handlers) h(...args);
    },
  };
}

const obj = (name: string, spec: object) => ({ metadata: { namespace: 'ns', name }, spec });

function setup() {
  const fixtures: Record<KindName, KubernetesObject[]> = {
    services: [
      obj('cb', { endpoints: ['http://x'], credentialsSecretRef: { name: 'creds' } }),
      obj('other', { endpoints: ['http://y'], credentialsSecretRef: { name: 'other-creds' } }),
    ],
    plans: [obj('nightly', { serviceRef: { name: 'cb' }, tasks: [] })],
    repositories: [
      obj('on-cb', { serviceRef: { name: 'cb' }, storage: { filesystem: { path: '/b' } } }),
      obj('on-other', { serviceRef: { name: 'other' }, storage: { filesystem: { path: '/b' } } }),
    ],
    runs: [obj('run-1', { repository: { serviceRef: { name: 'cb' }, repositoryId: 'x' } })],
    restores: [],
  };
  const reflectors = Object.fromEntries(
    KIND_NAMES.map((k) => [k, fakeReflector(fixtures[k]).reflector]),
  ) as unknown as KindReflectors;
  const added: string[] = [];
  const queues = Object.fromEntries(
    KIND_NAMES.map((k) => [k, { add: (key: string) => added.push(`${k}:${key}`) }]),
  ) as unknown as KindQueues;
  const secrets = fakeReflector<V1Secret>([]);
  wireDependents(reflectors, secrets.reflector, queues, createReferenceIndex(reflectors));
  return { secrets, added };
}

describe('wireDependents', () => {
  it('a rotated service Secret re-reconciles the service and every object that talks through it', () => {
    const { secrets, added } = setup();
    const before = { metadata: { namespace: 'ns', name: 'creds' }, data: { password: 'YQ==' } };
    const after = { ...before, data: { password: 'Yg==' } };
    secrets.fire('update', 'ns/creds', after, before);
    expect(new Set(added)).toEqual(
      new Set(['services:ns/cb', 'plans:ns/nightly', 'repositories:ns/on-cb', 'runs:ns/run-1']),
    );
  });

  it('a Secret update that leaves its data alone enqueues nothing', () => {
    const { secrets, added } = setup();
    const same = { metadata: { namespace: 'ns', name: 'creds' }, data: { password: 'YQ==' } };
    secrets.fire('update', 'ns/creds', same, same);
    expect(added).toEqual([]);
  });
});

describe('wireOwnershipRequeues', () => {
  const repo = (namespace: string, name: string, spec: object = {}) => ({
    metadata: { namespace, name, generation: 1 },
    spec: { serviceRef: { name: 'cb' }, storage: { filesystem: { path: '/b' } }, ...spec },
  });
  function ownershipSetup() {
    const repos = fakeReflector<KubernetesObject>([
      repo('a', 'shared'),
      repo('b', 'shared'),
      repo('c', 'other', { repositoryId: 'shared' }),
      repo('c', 'unrelated'),
      repo('d', 'shared', { managementPolicy: 'Observe' }),
    ]);
    const reflectors = Object.fromEntries(
      KIND_NAMES.map((k) => [k, k === 'repositories' ? repos.reflector : fakeReflector([]).reflector]),
    ) as unknown as KindReflectors;
    const added: string[] = [];
    const queues = Object.fromEntries(
      KIND_NAMES.map((k) => [k, { add: (key: string) => added.push(`${k}:${key}`) }]),
    ) as unknown as KindQueues;
    wireOwnershipRequeues(reflectors, queues, createClaimIndex(reflectors));
    return { repos, added };
  }

  it('re-enqueues every other claimant of the same repository id, in any namespace, when one goes', () => {
    const { repos, added } = ownershipSetup();
    repos.fire('delete', 'a/shared', repo('a', 'shared'));
    expect(added.sort()).toEqual(['repositories:b/shared', 'repositories:c/other']);
  });

  it('ignores status writes and new objects (the newcomer is the one that waits)', () => {
    const { repos, added } = ownershipSetup();
    repos.fire('update', 'a/shared', repo('a', 'shared'), repo('a', 'shared'));
    repos.fire('add', 'a/shared', repo('a', 'shared'));
    expect(added).toEqual([]);
  });
});
