import { describe, expect, it } from 'vitest';
import { clusterManagerAddress, normalizeClusterAddress } from './cluster-address.ts';

describe('clusterManagerAddress', () => {
  it.each([
    {
      endpoint: 'http://cb-0.cb.ns.svc:8097',
      want: 'http://cb-0.cb.ns.svc:8091',
      reason: 'Backup Service port → 8091 on the same host',
    },
    {
      endpoint: 'https://cb-0.cb:18097',
      want: 'https://cb-0.cb:18091',
      reason: 'TLS Backup Service port → 18091',
    },
    {
      endpoint: 'http://cb:8091/_p/backup',
      want: 'http://cb:8091',
      reason: 'cluster-manager proxy is the cluster manager',
    },
    { endpoint: 'https://cb:18091/_p/backup/', want: 'https://cb:18091', reason: 'TLS proxy' },
    {
      endpoint: 'http://127.0.0.1:41234',
      want: 'http://127.0.0.1:41234',
      reason: 'emulator: one port serves both',
    },
    { endpoint: 'cb-0:8097', want: 'http://cb-0:8091', reason: 'no scheme means http' },
    { endpoint: 'http://[::1]:8097', want: 'http://[::1]:8091', reason: 'IPv6 literal keeps its brackets' },
    {
      endpoint: 'https://backup.example.com',
      want: 'https://backup.example.com',
      reason: 'default port: an ingress in front of both',
    },
    { endpoint: 'ftp://x:8097', want: undefined, reason: 'not http(s)' },
    { endpoint: 'http://', want: undefined, reason: 'not a URL' },
  ])('$endpoint → $want ($reason)', ({ endpoint, want }) => {
    expect(clusterManagerAddress(endpoint)).toBe(want);
  });
});

describe('normalizeClusterAddress', () => {
  it.each([
    { a: 'http://127.0.0.1:8091', b: '127.0.0.1:8091', same: true, reason: 'scheme optional' },
    { a: 'http://Host:8091/', b: 'http://host:8091', same: true, reason: 'case and trailing slash' },
    { a: 'http://host:8091', b: 'https://host:8091', same: false, reason: 'scheme matters' },
    { a: 'http://host:80', b: 'http://host', same: true, reason: 'default port' },
  ])('$a vs $b ($reason)', ({ a, b, same }) => {
    expect(normalizeClusterAddress(a) === normalizeClusterAddress(b)).toBe(same);
  });
});
