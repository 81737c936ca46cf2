import { z } from 'zod';
import type { CelRule } from './cel.ts';
import { API_GROUP, API_VERSION, CATEGORY, objectMetaSchema } from './common.ts';

/** Names of one kind, as the API server and kubectl know it. */
export interface KindMeta {
  group: typeof API_GROUP;
  version: typeof API_VERSION;
  apiVersion: `${typeof API_GROUP}/${typeof API_VERSION}`;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  categories: readonly string[];
}

/** One `kubectl get` column (apiextensions.k8s.io/v1 CustomResourceColumnDefinition). */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

/** Everything the CRD generator and the operator need to know about one kind. */
export interface KindDefinition {
  meta: KindMeta;
  /** Becomes the description of the CRD's root schema (first line of `kubectl explain`). */
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  /** Rules on the whole object; the only place CEL can see `metadata.name`. */
  rootRules: readonly CelRule<never>[];
  printerColumns: readonly PrinterColumn[];
}

/** Builds the names of a namespaced kind in our group. */
export function kindMeta(kind: string, plural: string, shortNames: readonly string[]): KindMeta {
  return {
    group: API_GROUP,
    version: API_VERSION,
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    shortNames,
    categories: [CATEGORY],
  };
}

/** Standard printer columns shared by all kinds. */
export const readyColumn: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: 'Status of the Ready condition.',
};
export const ageColumn: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since creation.',
};

/**
 * Schema of a whole object as read from the API server: apiVersion, kind, metadata, spec and an
 * optional status. Root rules that mirror checks apply here too, so parsing an object gives the
 * same answer admission gave.
 */
export function resourceSchema<Spec extends z.ZodType, Status extends z.ZodType>(
  meta: KindMeta,
  spec: Spec,
  status: Status,
  rootRules: readonly CelRule<{ metadata: { name: string }; spec: z.output<Spec> }>[] = [],
) {
  const base = z.object({
    apiVersion: z.literal(meta.apiVersion),
    kind: z.literal(meta.kind),
    metadata: objectMetaSchema,
    spec,
    status: status.optional(),
  });
  let out = base;
  for (const { check, message } of rootRules) {
    if (check)
      out = out.refine((value) => check(value as { metadata: { name: string }; spec: z.output<Spec> }), {
        message,
      });
  }
  return out;
}
