import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';

/** True when `err` is a Kubernetes API error with the given HTTP status. */
export function isStatus(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code;
}

/** A KubeConfig for the admin user of the test API server. */
export function kubeConfigFrom(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/**
 * A KubeConfig that acts as `user` through impersonation by the admin (client-node supports the
 * Impersonate-User header only; a ServiceAccount is matched by its user name
 * `system:serviceaccount:<ns>:<name>`).
 */
export function impersonating(path: string, user: string): KubeConfig {
  const kc = kubeConfigFrom(path);
  const current = kc.getCurrentUser();
  if (!current) throw new Error('kubeconfig has no current user');
  const users = kc.users.map((u) => (u.name === current.name ? { ...u, impersonateUser: user } : u));
  const next = new KubeConfig();
  next.loadFromOptions({
    clusters: kc.clusters,
    users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return next;
}

/**
 * Creates a uniquely named namespace so test files can share one API server without seeing each
 * other's objects. There is no namespace controller in the harness, so namespaces are not deleted
 * (a deleted one would stay Terminating); they go with the API server at the end of the run.
 */
export async function createTestNamespace(kc: KubeConfig, prefix = 'test'): Promise<string> {
  const api = kc.makeApiClient(CoreV1Api);
  const ns = await api.createNamespace({ body: { metadata: { generateName: `${prefix}-` } } });
  const name = ns.metadata?.name;
  if (!name) throw new Error('namespace without name');
  return name;
}
