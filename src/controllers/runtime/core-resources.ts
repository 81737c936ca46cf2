import type { KubernetesListObject, KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { EventsClient } from './events.ts';
import { collectionPath, type KubeRest, objectPath, type ResourceRef } from './kube-client.ts';
import type { LeaseClient } from './leader-election.ts';

const LEASES: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' };
const EVENTS: ResourceRef = { group: 'events.k8s.io', version: 'v1', plural: 'events' };
const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets' };

/** The Lease calls of the leader elector. */
export function createLeaseClient(rest: KubeRest): LeaseClient {
  return {
    readNamespacedLease: ({ namespace, name }) =>
      rest.request({ method: 'GET', path: objectPath(LEASES, namespace, name) }),
    createNamespacedLease: ({ namespace, body }) =>
      rest.request({ method: 'POST', path: collectionPath(LEASES, namespace), body }),
    replaceNamespacedLease: ({ namespace, name, body }) =>
      rest.request({ method: 'PUT', path: objectPath(LEASES, namespace, name), body }),
  };
}

/** The events.k8s.io/v1 call of the event recorder. */
export function createEventsClient(rest: KubeRest): EventsClient {
  return {
    createNamespacedEvent: ({ namespace, body }) =>
      // The Event as stored is of no use here: not parsed (thousands in a cold sync).
      rest.request({ method: 'POST', path: collectionPath(EVENTS, namespace), body, discardBody: true }),
  };
}

/** One page of a LIST: `limit` and the `continue` token of the previous page. */
export interface ListPage {
  limit: number;
  continue?: string;
}

/** The Secret calls of the referenced-Secrets cache. */
export interface SecretsClient {
  /** One page of Secrets of a namespace (all when undefined) with the given `Accept`. */
  list(
    namespace: string | undefined,
    page: ListPage,
    accept: string,
  ): Promise<KubernetesListObject<KubernetesObject>>;
  read(namespace: string, name: string): Promise<V1Secret>;
}

/** Creates a {@link SecretsClient}. */
export function createSecretsClient(rest: KubeRest): SecretsClient {
  return {
    list: (namespace, page, accept) =>
      rest.request({ method: 'GET', path: collectionPath(SECRETS, namespace), query: { ...page }, accept }),
    read: (namespace, name) => rest.request({ method: 'GET', path: objectPath(SECRETS, namespace, name) }),
  };
}
