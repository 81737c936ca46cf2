import { describe, expect, it } from 'vitest';
import { KIND_NAMES } from './kinds.ts';
import { perServiceBound, servicePartitionOf } from './service-partitions.ts';

/** Reflectors whose stores find plain objects by `namespace/name`. */
function reflectorsOf(objects: Record<string, object[]>) {
  const store = (items: object[] = []) => ({
    store: {
      get: (key: string) =>
        items.find((o) => {
          const { metadata } = o as { metadata: { namespace: string; name: string } };
          return `${metadata.namespace}/${metadata.name}` === key;
        }),
    },
  });
  return Object.fromEntries(KIND_NAMES.map((k) => [k, store(objects[k])])) as never;
}

const obj = (name: string, spec: object) => ({ metadata: { name, namespace: 'ns' }, spec });

describe('servicePartitionOf', () => {
  const reflectors = reflectorsOf({
    services: [obj('cb', {})],
    plans: [obj('daily', { serviceRef: { name: 'cb' } })],
    repositories: [
      obj('repo', { serviceRef: { name: 'cb' } }),
      obj('other', { serviceRef: { name: 'east' } }),
    ],
    runs: [
      obj('via-repo', { repository: { repositoryRef: { name: 'other' } } }),
      obj('direct', { repository: { serviceRef: { name: 'west' }, repositoryId: 'x' } }),
      obj('unknown-repo', { repository: { repositoryRef: { name: 'not-cached' } } }),
    ],
    restores: [
      obj('from-repo', { source: { repositoryRef: { name: 'repo' } } }),
      obj('from-service', { source: { serviceRef: { name: 'west' }, repositoryId: 'x' } }),
    ],
  });

  it.each([
    ['plans', 'ns/daily', 'ns/cb'],
    ['repositories', 'ns/repo', 'ns/cb'],
    ['repositories', 'ns/other', 'ns/east'],
    ['runs', 'ns/via-repo', 'ns/east'],
    ['runs', 'ns/direct', 'ns/west'],
    ['runs', 'ns/unknown-repo', undefined],
    ['restores', 'ns/from-repo', 'ns/cb'],
    ['restores', 'ns/from-service', 'ns/west'],
    ['repositories', 'ns/deleted', undefined],
  ] as const)('%s %s talks to %s', (kind, key, service) => {
    expect(servicePartitionOf(kind, reflectors)?.(key)).toBe(service);
  });

  it('leaves BackupServices unpartitioned', () => {
    expect(servicePartitionOf('services', reflectors)).toBeUndefined();
  });
});

describe('perServiceBound', () => {
  it.each([
    [1, 1],
    [2, 1],
    [3, 1],
    [4, 2],
    [9, 4],
  ])('%i workers allow %i per service', (workers, bound) => {
    expect(perServiceBound(workers)).toBe(bound);
  });
});
