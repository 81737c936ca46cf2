import type { KubernetesObject } from '@kubernetes/client-node';
import { KIND_NAMES, type KindName, type KindReflectors, type KindTypes } from './kinds.ts';
import { REFERENCES, type References } from './references.ts';
import type { BackupRestoreResource, BackupRunResource } from './resources.ts';
import { objectKey, type ReadonlyDeep, splitKey } from './runtime/index.ts';

/**
 * What one object points at, as index targets (pure): `services:NAME`, `secrets:NAME`,
 * `plans:NAME`, `repositories:NAME` from its {@link References}, and for runs and restores that
 * name a repository by service and id, `repository-id:SERVICE/ID`.
 */
export function referenceTargets<K extends KindName>(kind: K, obj: ReadonlyDeep<KindTypes[K]>): string[] {
  const refs = (REFERENCES[kind] as (o: ReadonlyDeep<KindTypes[K]>) => References)(obj);
  const targets: string[] = [];
  for (const field of ['services', 'secrets', 'plans', 'repositories'] as const)
    for (const name of refs[field]) targets.push(`${field}:${name}`);
  if (kind === 'runs' || kind === 'restores') {
    const source =
      kind === 'runs'
        ? (obj as ReadonlyDeep<BackupRunResource>).spec.repository
        : (obj as ReadonlyDeep<BackupRestoreResource>).spec.source;
    if (source.serviceRef && source.repositoryId)
      targets.push(repositoryIdTarget(source.serviceRef.name, source.repositoryId));
  }
  return targets;
}

/** The index target of a repository named by its service and id. */
export function repositoryIdTarget(service: string, id: string): string {
  return `repository-id:${service}/${id}`;
}

/** Which cached objects point at a given object, kept current by the kinds' reflectors. */
export interface ReferenceIndex {
  /** Names of the objects of `kind` in `namespace` whose {@link referenceTargets} include `target`. */
  referrers(kind: KindName, namespace: string, target: string): readonly string[];
}

/**
 * Creates a {@link ReferenceIndex} over the kinds' caches.
 *
 * Why: "who references this object" was answered by scanning every object of every kind in the
 * namespace, once per change; a cold sync of N repositories made that O(N²) (each repository's
 * first status write scanned all N).
 */
export function createReferenceIndex(reflectors: KindReflectors): ReferenceIndex {
  // `kind|namespace|target` → names of the objects pointing there.
  const byTarget = new Map<string, Set<string>>();
  // `namespace/name` of each indexed object (per kind) → the targets it was indexed under.
  const indexed = new Map<string, string[]>();
  const slot = (kind: KindName, namespace: string, target: string) => `${kind}|${namespace}|${target}`;

  const unindex = (kind: KindName, key: string) => {
    const targets = indexed.get(`${kind}|${key}`);
    if (!targets) return;
    indexed.delete(`${kind}|${key}`);
    const { namespace, name } = splitKey(key);
    for (const target of targets) {
      const s = slot(kind, namespace, target);
      const names = byTarget.get(s);
      names?.delete(name);
      if (names?.size === 0) byTarget.delete(s);
    }
  };
  const index = (kind: KindName, key: string, obj: ReadonlyDeep<KubernetesObject>) => {
    const targets = referenceTargets(kind, obj as ReadonlyDeep<KindTypes[KindName]>);
    if (indexed.get(`${kind}|${key}`)?.join('\n') === targets.join('\n')) return;
    unindex(kind, key);
    indexed.set(`${kind}|${key}`, targets);
    const { namespace, name } = splitKey(key);
    for (const target of targets) {
      const s = slot(kind, namespace, target);
      const names = byTarget.get(s) ?? new Set<string>();
      byTarget.set(s, names);
      names.add(name);
    }
  };

  for (const kind of KIND_NAMES) {
    const reflector = reflectors[kind];
    for (const obj of reflector.store.list() as ReadonlyDeep<KubernetesObject>[])
      index(kind, objectKey(obj as KubernetesObject), obj);
    reflector.addHandler((type, key, obj) => {
      if (type === 'delete') unindex(kind, key);
      else index(kind, key, obj as ReadonlyDeep<KubernetesObject>);
    });
  }
  return {
    referrers: (kind, namespace, target) => [...(byTarget.get(slot(kind, namespace, target)) ?? [])],
  };
}
