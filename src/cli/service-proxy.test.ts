import { describe, expect, it } from 'vitest';
import { clusterInternalService, portForwardHint, serviceProxyUrl } from './service-proxy.ts';

describe('service proxy', () => {
  it('recognises cluster-internal Service names', () => {
    expect(clusterInternalService('http://cb-backup.db.svc:8097')).toEqual({
      scheme: 'http',
      name: 'cb-backup',
      namespace: 'db',
      port: 8097,
      path: '',
    });
    expect(clusterInternalService('https://cb.db.svc.cluster.local:18091/_p/backup/')).toMatchObject({
      scheme: 'https',
      port: 18091,
      path: '/_p/backup',
    });
    expect(clusterInternalService('http://cb.db.svc')?.port).toBe(80);
    expect(clusterInternalService('http://127.0.0.1:8097')).toBeUndefined();
    expect(clusterInternalService('http://cb.example.com:8097')).toBeUndefined();
    expect(clusterInternalService('not a url')).toBeUndefined();
  });

  it('maps them to the API server service-proxy path and a port-forward hint', () => {
    const svc = clusterInternalService('http://cb-backup.db.svc:8097/_p/backup');
    if (!svc) throw new Error('expected a service');
    expect(serviceProxyUrl('https://k8s:6443/', svc)).toBe(
      'https://k8s:6443/api/v1/namespaces/db/services/http:cb-backup:8097/proxy/_p/backup',
    );
    expect(portForwardHint(svc)).toContain('kubectl port-forward -n db svc/cb-backup 8097:8097');
    expect(portForwardHint(svc)).toContain('--endpoint http://127.0.0.1:8097/_p/backup');
  });
});
