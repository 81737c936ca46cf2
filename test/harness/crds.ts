import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
// Not re-exported by the package index; needed to turn plain YAML into the typed model (below).
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { load } from 'js-yaml';
import { isStatus } from './kube.ts';

/** Reads every CRD in `dir` (*.yaml, one object or a `---` stream per file). */
export async function readCrds(dir: string): Promise<V1CustomResourceDefinition[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  } catch {
    return [];
  }
  const crds: V1CustomResourceDefinition[] = [];
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8');
    for (const doc of text.split(/^---\s*$/m)) {
      const obj = load(doc) as V1CustomResourceDefinition | null | undefined;
      // The typed API serializes through client-node's model, whose JSONSchemaProps holds `default`,
      // `enum` and `x-kubernetes-*` under other attribute names: a plain YAML object would lose every
      // default, enum and CEL rule on the way to the server. Deserializing first maps them.
      if (obj?.kind === 'CustomResourceDefinition') {
        crds.push(
          ObjectSerializer.deserialize(obj, 'V1CustomResourceDefinition') as V1CustomResourceDefinition,
        );
      }
    }
  }
  return crds;
}

/** Creates or replaces the CRDs and waits until each is Established. */
export async function installCrds(kc: KubeConfig, crds: V1CustomResourceDefinition[], timeoutMs = 30_000) {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of crds) {
    const name = crd.metadata?.name;
    if (!name) throw new Error('CRD without metadata.name');
    try {
      await api.createCustomResourceDefinition({ body: crd });
    } catch (err) {
      if (!isStatus(err, 409)) throw err;
      const current = await api.readCustomResourceDefinition({ name });
      const body: V1CustomResourceDefinition = { ...crd, metadata: { ...crd.metadata } };
      if (current.metadata?.resourceVersion)
        body.metadata!.resourceVersion = current.metadata.resourceVersion;
      await api.replaceCustomResourceDefinition({ name, body });
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    const name = crd.metadata!.name!;
    for (;;) {
      const current = await api.readCustomResourceDefinition({ name });
      const established = current.status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
      if (established) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
