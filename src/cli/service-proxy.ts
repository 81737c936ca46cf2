/**
 * Cluster-internal Backup Service endpoints (`http://NAME.NS.svc[.cluster.local]:PORT`) are not
 * reachable from a user's machine. The Kubernetes API server's service proxy
 * (`/api/v1/namespaces/NS/services/[scheme:]NAME:PORT/proxy/...`) would reach them, but it removes
 * the Authorization header after authenticating the Kubernetes user, so the Backup Service never
 * sees its Basic credentials (docs/cli.md shows the test). A port-forward is a TCP tunnel and
 * carries them; that is what the plugin tells the user to do.
 */

/** A Kubernetes Service named by an endpoint URL. */
export interface InternalService {
  scheme: 'http' | 'https';
  name: string;
  namespace: string;
  port: number;
  /** Path prefix of the endpoint (e.g. `/_p/backup`), without a trailing slash. */
  path: string;
}

const SVC_HOST =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?\.?$/;

/** The Service an endpoint names when its host is `NAME.NS.svc[.cluster.local]`; else undefined. */
export function clusterInternalService(endpoint: string): InternalService | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return undefined;
  }
  const m = SVC_HOST.exec(url.hostname);
  if (!m?.[1] || !m[3]) return undefined;
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
  return { scheme, name: m[1], namespace: m[3], port, path: url.pathname.replace(/\/+$/, '') };
}

/** The API server's service-proxy base URL for a cluster-internal endpoint. */
export function serviceProxyUrl(apiServer: string, svc: InternalService): string {
  const server = apiServer.replace(/\/+$/, '');
  return `${server}/api/v1/namespaces/${svc.namespace}/services/${svc.scheme}:${svc.name}:${svc.port}/proxy${svc.path}`;
}

/** What to run instead: a port-forward to the Service and `--endpoint` pointing at it. */
export function portForwardHint(svc: InternalService): string {
  const local = `${svc.scheme}://127.0.0.1:${svc.port}${svc.path}`;
  return `it is a cluster-internal name: run "kubectl port-forward -n ${svc.namespace} svc/${svc.name} ${svc.port}:${svc.port}" and add --endpoint ${local}`;
}
