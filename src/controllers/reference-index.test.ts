import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KIND_NAMES, type KindReflectors } from './kinds.ts';
import { createReferenceIndex, referenceTargets, repositoryIdTarget } from './reference-index.ts';
import type { ReflectorHandler } from './runtime/index.ts';

/** Reflectors that start empty and fire handlers for the events a test sends. */
function reflectors() {
  const handlers = new Map<string, ReflectorHandler<KubernetesObject>[]>();
  const r = Object.fromEntries(
    KIND_NAMES.map((k) => [
      k,
      {
        store: { list: () => [] },
        addHandler: (h: ReflectorHandler<KubernetesObject>) => {
          handlers.set(k, [...(handlers.get(k) ?? []), h]);
          return () => {};
        },
      },
    ]),
  ) as unknown as KindReflectors;
  const fire = (kind: string, type: 'add' | 'update' | 'delete', obj: KubernetesObject) => {
    for (const h of handlers.get(kind) ?? [])
      h(type, `${obj.metadata?.namespace}/${obj.metadata?.name}`, obj);
  };
  return { r, fire };
}

const repo = (name: string, plan: string) =>
  ({
    metadata: { namespace: 'ns', name },
    spec: { serviceRef: { name: 'cb' }, planRef: { name: plan }, storage: { filesystem: { path: '/b' } } },
  }) as KubernetesObject;

describe('referenceTargets', () => {
  it('names what a run points at, by repository object or by service and id', () => {
    const byRef = { metadata: { name: 'a' }, spec: { repository: { repositoryRef: { name: 'repo' } } } };
    const byId = {
      metadata: { name: 'b' },
      spec: { repository: { serviceRef: { name: 'cb' }, repositoryId: 'x' } },
    };
    expect(referenceTargets('runs', byRef as never)).toEqual(['repositories:repo']);
    expect(referenceTargets('runs', byId as never)).toEqual(['services:cb', repositoryIdTarget('cb', 'x')]);
  });
});

describe('createReferenceIndex', () => {
  it('follows adds, moved references and deletes', () => {
    const { r, fire } = reflectors();
    const index = createReferenceIndex(r);
    fire('repositories', 'add', repo('one', 'nightly'));
    fire('repositories', 'add', repo('two', 'nightly'));
    expect([...index.referrers('repositories', 'ns', 'plans:nightly')].sort()).toEqual(['one', 'two']);
    expect(index.referrers('repositories', 'other-ns', 'plans:nightly')).toEqual([]);
    fire('repositories', 'update', repo('two', 'hourly'));
    expect(index.referrers('repositories', 'ns', 'plans:nightly')).toEqual(['one']);
    expect(index.referrers('repositories', 'ns', 'plans:hourly')).toEqual(['two']);
    fire('repositories', 'delete', repo('one', 'nightly'));
    expect(index.referrers('repositories', 'ns', 'plans:nightly')).toEqual([]);
    expect(index.referrers('repositories', 'ns', 'services:cb')).toEqual(['two']);
  });

  it('indexes what the caches already hold when it is created', () => {
    const { r } = reflectors();
    (r.plans.store as unknown as { list: () => KubernetesObject[] }).list = () => [
      {
        metadata: { namespace: 'ns', name: 'p' },
        spec: { serviceRef: { name: 'cb' }, tasks: [] },
      } as KubernetesObject,
    ];
    expect(createReferenceIndex(r).referrers('plans', 'ns', 'services:cb')).toEqual(['p']);
  });
});
