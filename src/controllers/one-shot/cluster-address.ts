/** Ports of the Backup Service itself on a Couchbase node (plain and TLS). */
const BACKUP_SERVICE_PORTS: Readonly<Record<string, string>> = { '8097': '8091', '18097': '18091' };
/** Path prefix under which the cluster manager proxies the Backup Service API. */
const PROXY_PREFIX = '/_p/backup';

/**
 * The cluster-manager address of the cluster a Backup Service endpoint belongs to: the default
 * target of a restore (the service restores into its own cluster).
 *
 * Rule:
 * - an endpoint on the Backup Service's own port (8097, TLS 18097) is a Couchbase node: the
 *   cluster manager listens on the same host at 8091 (TLS 18091);
 * - an endpoint through the cluster manager's proxy (`…/_p/backup`) already is the cluster manager:
 *   its origin;
 * - anything else (the emulator, which serves the Backup API and the cluster manager on one port,
 *   or a load balancer in front of both) is taken as the cluster-manager address itself: its origin.
 * Returns undefined for an endpoint that is not a URL.
 */
export function clusterManagerAddress(endpoint: string): string | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.pathname.startsWith(PROXY_PREFIX)) return url.origin;
  const managerPort = BACKUP_SERVICE_PORTS[url.port];
  if (managerPort !== undefined)
    return `${url.protocol}//${url.hostname.includes(':') ? `[${url.hostname.replace(/^\[|\]$/g, '')}]` : url.hostname}:${managerPort}`;
  return url.origin;
}

/** Normalises a cluster address for comparison (scheme optional, default ports, case, trailing slash). */
export function normalizeClusterAddress(address: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(address) ? address : `http://${address}`;
  try {
    const url = new URL(withScheme);
    return `${url.protocol}//${url.host}`.toLowerCase();
  } catch {
    return address.trim().toLowerCase().replace(/\/+$/, '');
  }
}
