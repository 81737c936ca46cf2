/**
 * A small Kubernetes REST client for the bench (create, merge-patch, paginated list, watch) over one
 * undici Agent trusting the control plane's CA. The bench controls its own concurrency and load, so
 * it does not go through client-node's generated API.
 */
import { readFileSync } from 'node:fs';
import { Agent, fetch } from 'undici';

/** Group/version/plural of a resource; `group` empty for the core API. */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
}

/** The fields of an object the bench reads. */
export interface KubeObject {
  metadata: { name: string; namespace?: string; generation?: number; resourceVersion?: string };
  spec?: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string }[];
    triggers?: { backup?: { token?: string } };
  };
}

/** One watch event. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

/** A client bound to one API server. */
export interface KubeRest {
  create(ref: ResourceRef, namespace: string, body: object): Promise<KubeObject>;
  createNamespace(name: string): Promise<void>;
  /** JSON merge patch of the object, or of its `status` subresource. */
  mergePatch(
    ref: ResourceRef,
    namespace: string,
    name: string,
    body: object,
    status?: boolean,
  ): Promise<void>;
  list(ref: ResourceRef, namespace: string): Promise<{ items: KubeObject[]; resourceVersion: string }>;
  /** Deletes every object of the kind in the namespace (for objects without finalizers). */
  deleteCollection(ref: ResourceRef, namespace: string): Promise<void>;
  /** Streams events from `resourceVersion` until `signal` aborts; resolves when the stream ends. */
  watch(
    ref: ResourceRef,
    namespace: string,
    resourceVersion: string,
    onEvent: (e: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void>;
  close(): Promise<void>;
}

const path = (ref: ResourceRef, namespace: string): string =>
  `${ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`}/namespaces/${namespace}/${ref.plural}`;

/** Creates a client for `server` with a bearer token, trusting the PEM bundle in `caFile`. */
export function createKubeRest(server: string, token: string, caFile: string): KubeRest {
  const dispatcher = new Agent({ connect: { ca: readFileSync(caFile) }, connections: 16 });
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };

  const call = async (
    method: string,
    url: string,
    body?: object,
    contentType = 'application/json',
  ): Promise<unknown> => {
    const res = await fetch(`${server}${url}`, {
      method,
      dispatcher,
      headers: body ? { ...headers, 'content-type': contentType } : headers,
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : undefined;
  };

  return {
    create: async (ref, namespace, body) => (await call('POST', path(ref, namespace), body)) as KubeObject,
    async createNamespace(name) {
      await call('POST', '/api/v1/namespaces', { metadata: { name } });
    },
    async mergePatch(ref, namespace, name, body, status = false) {
      const url = `${path(ref, namespace)}/${name}${status ? '/status' : ''}`;
      await call('PATCH', url, body, 'application/merge-patch+json');
    },
    async list(ref, namespace) {
      const items: KubeObject[] = [];
      let cont = '';
      for (;;) {
        const page = (await call(
          'GET',
          `${path(ref, namespace)}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
        )) as { items: KubeObject[]; metadata: { continue?: string; resourceVersion: string } };
        items.push(...page.items);
        if (!page.metadata.continue) return { items, resourceVersion: page.metadata.resourceVersion };
        cont = page.metadata.continue;
      }
    },
    async deleteCollection(ref, namespace) {
      await call('DELETE', path(ref, namespace));
    },
    async watch(ref, namespace, resourceVersion, onEvent, signal) {
      const url = `${server}${path(ref, namespace)}?watch=1&allowWatchBookmarks=true&resourceVersion=${resourceVersion}&timeoutSeconds=3600`;
      const res = await fetch(url, { dispatcher, headers, signal });
      if (!res.ok || !res.body) throw new Error(`watch ${ref.plural}: ${res.status} ${await res.text()}`);
      const decoder = new TextDecoder();
      let buffered = '';
      try {
        for await (const chunk of res.body) {
          buffered += decoder.decode(chunk as Uint8Array, { stream: true });
          let nl = buffered.indexOf('\n');
          while (nl >= 0) {
            const line = buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
            if (line.trim()) onEvent(JSON.parse(line) as WatchEvent);
            nl = buffered.indexOf('\n');
          }
        }
      } catch (err) {
        if (!signal.aborted) throw err;
      }
    },
    close: () => dispatcher.close(),
  };
}
