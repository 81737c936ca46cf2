import { z } from 'zod';
import type { KindDefinition } from './kind.ts';
import { type JsonSchema, structuralize } from './structuralize.ts';

/** Labels on every generated CRD. */
export const CRD_LABELS = {
  'app.kubernetes.io/name': 'cbbs-operator',
  'app.kubernetes.io/part-of': 'cbbs-operator',
} as const;

/** The structural OpenAPI schema of one zod schema, as the CRD embeds it. */
export function toStructuralSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    // Input types: defaulted fields stay optional and no additionalProperties:false is emitted.
    io: 'input',
    unrepresentable: 'throw',
    cycles: 'throw',
  }) as JsonSchema;
  return structuralize(json);
}

/** The whole-object schema: apiVersion, kind, metadata, spec, status and the root CEL rules. */
export function openApiSchema(def: KindDefinition): JsonSchema {
  const root: JsonSchema = {
    type: 'object',
    description: def.description,
    properties: {
      apiVersion: {
        type: 'string',
        description: 'Versioned schema of this representation of an object; always cbbs.dev/v1alpha1.',
      },
      kind: { type: 'string', description: `Kind of this object; always ${def.meta.kind}.` },
      // The API server validates metadata itself and rejects anything but name/generateName here.
      metadata: { type: 'object' },
      spec: toStructuralSchema(def.spec),
      status: toStructuralSchema(def.status),
    },
    required: ['spec'],
  };
  if (def.rootRules.length > 0) {
    root['x-kubernetes-validations'] = def.rootRules.map(({ rule, message }) => ({ rule, message }));
  }
  return structuralize(root);
}

/** The apiextensions.k8s.io/v1 CustomResourceDefinition of one kind. */
export function buildCrd(def: KindDefinition): JsonSchema {
  const { meta } = def;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${meta.plural}.${meta.group}`, labels: { ...CRD_LABELS } },
    spec: {
      group: meta.group,
      names: {
        kind: meta.kind,
        listKind: meta.listKind,
        plural: meta.plural,
        singular: meta.singular,
        shortNames: [...meta.shortNames],
        categories: [...meta.categories],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: meta.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: openApiSchema(def) },
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns.map((c) => ({ ...c })),
        },
      ],
    },
  };
}
