/** Decides whether a restore `target` address points at the emulator itself (docs/backup-service-api.md §5.11). */

export interface SelfAddress {
  host: string;
  port: number;
  /** The address backups record as their source, e.g. http://127.0.0.1:8097. */
  clusterUrl: string;
}

export type CanWriteData = (user: string, password: string) => boolean;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '0.0.0.0']);

/**
 * 'self' when `target` (`host:port`, with or without an http/https/couchbase scheme) names this
 * emulator: its own host, or a loopback spelling, with its port. Anything else is unreachable.
 */
export function resolveRestoreTarget(target: string, self: SelfAddress): 'self' | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target : `http://${target}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  const defaultPort = url.protocol === 'https:' ? 443 : 80;
  const port = url.port === '' ? defaultPort : Number(url.port);
  if (port !== self.port) return undefined;
  const host = url.hostname.toLowerCase();
  return host === self.host.toLowerCase() || LOOPBACK.has(host) ? 'self' : undefined;
}
