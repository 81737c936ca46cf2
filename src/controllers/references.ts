import type { KindName, KindTypes } from './kinds.ts';
import type {
  BackupPlanResource,
  BackupRepositoryResource,
  BackupRestoreResource,
  BackupRunResource,
  BackupServiceResource,
} from './resources.ts';
import type { ReadonlyDeep } from './runtime/index.ts';

/** Names (same namespace) of the objects one resource depends on; a change to any of them re-reconciles it. */
export interface References {
  services: string[];
  secrets: string[];
  plans: string[];
  repositories: string[];
}

const refs = (r: Partial<References>): References => ({
  services: r.services ?? [],
  secrets: r.secrets ?? [],
  plans: r.plans ?? [],
  repositories: r.repositories ?? [],
});

/** Secrets a BackupService reads: credentials, CA bundle, client certificate. */
export function serviceReferences(s: Pick<BackupServiceResource, 'spec'>): References {
  const secrets = [s.spec.credentialsSecretRef.name];
  if (s.spec.tls?.caSecretRef) secrets.push(s.spec.tls.caSecretRef.name);
  if (s.spec.tls?.clientCertSecretRef) secrets.push(s.spec.tls.clientCertSecretRef.name);
  return refs({ secrets });
}

/** A BackupPlan depends on its BackupService. */
export function planReferences(p: Pick<BackupPlanResource, 'spec'>): References {
  return refs({ services: [p.spec.serviceRef.name] });
}

/** A BackupRepository depends on its service, its plan, and its object-store credentials. */
export function repositoryReferences(r: Pick<BackupRepositoryResource, 'spec'>): References {
  const secret = r.spec.storage.objectStore?.credentialsSecretRef?.name;
  return refs({
    services: [r.spec.serviceRef.name],
    plans: r.spec.planRef ? [r.spec.planRef.name] : [],
    secrets: secret ? [secret] : [],
  });
}

/** A BackupRun depends on its repository (or, for an unmanaged repository, its service). */
export function runReferences(r: Pick<BackupRunResource, 'spec'>): References {
  const repo = r.spec.repository;
  return refs({
    repositories: repo.repositoryRef ? [repo.repositoryRef.name] : [],
    services: repo.serviceRef ? [repo.serviceRef.name] : [],
  });
}

/** A BackupRestore depends on its source repository (or service) and the target's credentials. */
export function restoreReferences(r: Pick<BackupRestoreResource, 'spec'>): References {
  const source = r.spec.source;
  const secret = r.spec.target?.credentialsSecretRef.name;
  return refs({
    repositories: source.repositoryRef ? [source.repositoryRef.name] : [],
    services: source.serviceRef ? [source.serviceRef.name] : [],
    secrets: secret ? [secret] : [],
  });
}

/** What each kind references, by kind name. */
export const REFERENCES: { [K in KindName]: (obj: ReadonlyDeep<KindTypes[K]>) => References } = {
  services: (o) => serviceReferences(o as BackupServiceResource),
  plans: (o) => planReferences(o as BackupPlanResource),
  repositories: (o) => repositoryReferences(o as BackupRepositoryResource),
  runs: (o) => runReferences(o as BackupRunResource),
  restores: (o) => restoreReferences(o as BackupRestoreResource),
};

/** The `namespace/name` keys of the Secrets one object of `kind` reads (pure). */
export function secretKeysOf<K extends KindName>(kind: K, obj: ReadonlyDeep<KindTypes[K]>): string[] {
  const namespace = obj.metadata?.namespace ?? '';
  return [...new Set(REFERENCES[kind](obj).secrets)].map((name) => `${namespace}/${name}`);
}
