import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { createClaimIndex } from './claim-index.ts';
import type { KindReflectors, KindTypes } from './kinds.ts';
import type { ReflectorHandler } from './runtime/index.ts';

const repo = (namespace: string, name: string, spec: object = {}) => ({
  metadata: { namespace, name },
  spec: { serviceRef: { name: 'cb' }, ...spec },
});

function reflectorsOver(repositories: object[]) {
  const handlers: ReflectorHandler<KubernetesObject>[] = [];
  const reflector = (items: object[], keep: boolean) => ({
    store: { list: () => items },
    addHandler: (h: ReflectorHandler<KubernetesObject>) => {
      if (keep) handlers.push(h);
      return () => {};
    },
  });
  const reflectors = {
    plans: reflector([], false),
    repositories: reflector(repositories, true),
  } as unknown as Pick<KindReflectors, 'plans' | 'repositories'>;
  const fire = (...args: Parameters<ReflectorHandler<KubernetesObject>>) => {
    for (const h of handlers) h(...args);
  };
  return { reflectors, fire };
}

describe('createClaimIndex', () => {
  it('finds the claimants of a repository id across namespaces; Observe claims nothing', () => {
    const { reflectors } = reflectorsOver([
      repo('a', 'shared'),
      repo('b', 'x', { repositoryId: 'shared' }),
      repo('c', 'shared', { managementPolicy: 'Observe' }),
      repo('d', 'other'),
    ]);
    const index = createClaimIndex(reflectors);
    expect([...index.claimants('repositories', 'shared')].sort()).toEqual(['a/shared', 'b/x']);
    expect(index.claimants('plans', 'shared')).toEqual([]);
  });
  it('follows adds, changed claims and deletes', () => {
    const { reflectors, fire } = reflectorsOver([]);
    const index = createClaimIndex(reflectors);
    const obj = repo('a', 'r') as unknown as KindTypes['repositories'];
    fire('add', 'a/r', obj as never);
    expect(index.claimants('repositories', 'r')).toEqual(['a/r']);
    fire('update', 'a/r', repo('a', 'r', { repositoryId: 'moved' }) as never, obj as never);
    expect(index.claimants('repositories', 'r')).toEqual([]);
    expect(index.claimants('repositories', 'moved')).toEqual(['a/r']);
    fire('delete', 'a/r', repo('a', 'r', { repositoryId: 'moved' }) as never);
    expect(index.claimants('repositories', 'moved')).toEqual([]);
  });
});
