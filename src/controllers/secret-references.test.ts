import { describe, expect, it } from 'vitest';
import { secretKeysOf } from './references.ts';
import type { BackupRepositoryResource, BackupRestoreResource, BackupServiceResource } from './resources.ts';
import { createSecretReferences } from './secret-references.ts';

const service = (spec: object) =>
  ({ metadata: { name: 'cb', namespace: 'ns' }, spec }) as BackupServiceResource;

describe('secretKeysOf', () => {
  it('names a service’s credentials, CA and client-certificate Secrets once each, in its namespace', () => {
    const s = service({
      credentialsSecretRef: { name: 'admin' },
      tls: { caSecretRef: { name: 'tls' }, clientCertSecretRef: { name: 'tls' } },
    });
    expect(secretKeysOf('services', s)).toEqual(['ns/admin', 'ns/tls']);
  });

  it('names a repository’s object-store credentials and a restore target’s credentials', () => {
    const repo = {
      metadata: { name: 'r', namespace: 'ns' },
      spec: {
        serviceRef: { name: 'cb' },
        storage: { objectStore: { credentialsSecretRef: { name: 's3' } } },
      },
    } as BackupRepositoryResource;
    const restore = {
      metadata: { name: 'x', namespace: 'other' },
      spec: {
        source: { repositoryRef: { name: 'r' } },
        target: { credentialsSecretRef: { name: 'target' } },
      },
    } as BackupRestoreResource;
    expect(secretKeysOf('repositories', repo)).toEqual(['ns/s3']);
    expect(secretKeysOf('restores', restore)).toEqual(['other/target']);
  });

  it('names no Secret for a filesystem repository, a plan or a run', () => {
    const repo = {
      metadata: { name: 'r', namespace: 'ns' },
      spec: { serviceRef: { name: 'cb' }, storage: { filesystem: { path: '/a' } } },
    } as BackupRepositoryResource;
    expect(secretKeysOf('repositories', repo)).toEqual([]);
    expect(
      secretKeysOf('plans', { metadata: { namespace: 'ns' }, spec: { serviceRef: { name: 'cb' } } } as never),
    ).toEqual([]);
    expect(
      secretKeysOf('runs', {
        metadata: { namespace: 'ns' },
        spec: { repository: { repositoryRef: { name: 'r' } } },
      } as never),
    ).toEqual([]);
  });
});

describe('createSecretReferences', () => {
  it('reports a Secret added on its first reference and released after its last', () => {
    const refs = createSecretReferences();
    expect(refs.set('services:ns/a', ['ns/admin'])).toEqual({ added: ['ns/admin'], released: [] });
    expect(refs.set('services:ns/b', ['ns/admin', 'ns/tls'])).toEqual({ added: ['ns/tls'], released: [] });
    expect(refs.set('services:ns/a', [])).toEqual({ added: [], released: [] });
    expect(refs.has('ns/admin')).toBe(true);
    expect(refs.set('services:ns/b', ['ns/tls'])).toEqual({ added: [], released: ['ns/admin'] });
    expect(refs.keys()).toEqual(['ns/tls']);
    expect(refs.set('services:ns/b', [])).toEqual({ added: [], released: ['ns/tls'] });
    expect(refs.keys()).toEqual([]);
  });

  it('counts an owner once however often it is recorded with the same references', () => {
    const refs = createSecretReferences();
    refs.set('repositories:ns/r', ['ns/s3']);
    expect(refs.set('repositories:ns/r', ['ns/s3', 'ns/s3'])).toEqual({ added: [], released: [] });
    expect(refs.set('repositories:ns/r', [])).toEqual({ added: [], released: ['ns/s3'] });
    expect(refs.has('ns/s3')).toBe(false);
  });
});
