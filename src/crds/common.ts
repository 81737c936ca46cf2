import { z } from 'zod';
import { SERVICES } from '../backup-api/schemas.ts';

/** API group of every kind this operator serves. */
export const API_GROUP = 'cbbs.dev';
/** The one served and stored version. */
export const API_VERSION = 'v1alpha1';
/** `kubectl get cbbs` lists every kind of this operator. */
export const CATEGORY = 'cbbs';

// Name rules of the Backup Service (docs/backup-service-api.md §6.1). Plan and task names share one rule; a leading
// `_` is reserved for built-in plans, so user names must start with a letter or digit.
export const PLAN_NAME_PATTERN = '^[0-9A-Za-z][0-9A-Za-z_-]{0,49}$';
export const TASK_NAME_PATTERN = PLAN_NAME_PATTERN;
export const REPOSITORY_ID_PATTERN = '^[0-9A-Za-z][0-9A-Za-z_-]{0,49}$';
export const BUILT_IN_PLAN_PATTERN = '^_[0-9A-Za-z_-]{1,63}$';
// cbbackupmgr backup directory names: RFC 3339 with `:` replaced by `_` (docs/backup-service-api.md §1.4).
export const BACKUP_NAME_PATTERN =
  '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}_[0-9]{2}_[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}_[0-9]{2})$';
const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const SECRET_KEY_PATTERN = '^[-._a-zA-Z0-9]+$';

/** A Kubernetes object name (DNS subdomain) of an object in the same namespace. */
export const objectNameSchema = z.string().min(1).max(253).regex(new RegExp(DNS_SUBDOMAIN_PATTERN));

/** Reference to another object in the same namespace, by name; `description` says what it is for. */
export function localRef(kind: string, description: string) {
  return z
    .object({ name: objectNameSchema.describe(`Name of the ${kind} in the same namespace.`) })
    .describe(description);
}

/** A key inside a Secret's data. */
export function secretKey(description: string, fallback: string) {
  return z
    .string()
    .min(1)
    .max(253)
    .regex(new RegExp(SECRET_KEY_PATTERN))
    .default(fallback)
    .describe(description);
}

/** RFC 3339 timestamp as written by the API server or the Backup Service (any offset, any fraction). */
export const timestampSchema = z.iso.datetime({ offset: true });

/** Non-negative 64-bit integer (counts, sizes, generations). */
export const countSchema = z.number().int().nonnegative();

// Services a plan can back up and a restore can skip: the Backup Service's own list (§2.1).
export { SERVICES } from '../backup-api/schemas.ts';
export const serviceNameSchema = z
  .enum(SERVICES)
  .describe(
    'Couchbase service: data (documents), gsi (index definitions), views, ft (Search), eventing, cbas (Analytics).',
  );

/** `Enforce` corrects server-side drift, `Report` only reports it. */
export const DRIFT_POLICIES = ['Enforce', 'Report'] as const;
export const driftPolicySchema = z
  .enum(DRIFT_POLICIES)
  .default('Enforce')
  .describe(
    'What to do when the object on the Backup Service differs from this spec (for example after an edit in the Web Console). Enforce (default) writes the spec back; Report only sets Synced=False with a short diff.',
  );

/** `Manage` creates/updates/deletes the server object, `Observe` only mirrors it read-only. */
export const MANAGEMENT_POLICIES = ['Manage', 'Observe'] as const;
export const managementPolicySchema = z
  .enum(MANAGEMENT_POLICIES)
  .default('Manage')
  .describe(
    'Manage (default): the operator creates the object on the Backup Service (or adopts an existing one with the same name) and keeps it in line with this spec. Observe: the operator never writes to the Backup Service; it only mirrors the existing object into status.',
  );

/** Reference to a Secret holding Couchbase username and password. */
export function basicAuthSecretRef(what: string) {
  return z
    .object({
      name: objectNameSchema.describe('Name of the Secret in the same namespace.'),
      usernameKey: secretKey('Key in the Secret whose value is the username.', 'username'),
      passwordKey: secretKey('Key in the Secret whose value is the password.', 'password'),
    })
    .describe(
      `Secret with the username and password ${what}. The operator watches it, so a rotation takes effect without a restart.`,
    );
}

// metav1.Condition, field by field (k8s.io/apimachinery/pkg/apis/meta/v1/types.go), so that
// kstatus readers (Flux, kubectl wait) understand our conditions without custom code.
const CONDITION_TYPE_PATTERN =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$';
const CONDITION_REASON_PATTERN = '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$';

/** Condition status values of metav1.Condition. */
export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

/** One metav1.Condition. */
export const conditionSchema = z
  .object({
    type: z
      .string()
      .max(316)
      .regex(new RegExp(CONDITION_TYPE_PATTERN))
      .describe('Type of condition in CamelCase, e.g. Ready, Reconciling, Stalled, Synced.'),
    status: z.enum(CONDITION_STATUSES).describe('Status of the condition: True, False or Unknown.'),
    observedGeneration: countSchema
      .optional()
      .describe('metadata.generation of the object when the condition was set.'),
    lastTransitionTime: timestampSchema.describe(
      'Last time the condition changed from one status to another.',
    ),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(new RegExp(CONDITION_REASON_PATTERN))
      .describe('Machine-readable CamelCase reason for the last transition.'),
    message: z.string().max(32768).describe('Human-readable message with details about the last transition.'),
  })
  .describe('A metav1.Condition.');

/** Condition list keyed by type, as every Kubernetes API does. */
export const conditionsSchema = z
  .array(conditionSchema)
  .max(32)
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
  .optional()
  .describe(
    'Current state as metav1.Conditions: Ready, Reconciling and Stalled (kstatus) plus domain conditions of this kind.',
  );

/** Fields every status carries. */
export const statusBase = {
  observedGeneration: countSchema
    .optional()
    .describe(
      'metadata.generation the operator last acted on; status is current when it equals metadata.generation.',
    ),
  conditions: conditionsSchema,
};

/**
 * The engine's memory of the last refusal of a long-lived object (see docs/architecture.md): the
 * same action is not sent again for the same generation and observation before `recheckAt`.
 */
export const refusalSchema = z
  .object({
    generation: countSchema.describe('metadata.generation the refused action was decided from.'),
    action: z.string().max(64).describe('The refused action, e.g. create, pause, apply-config.'),
    observed: z
      .string()
      .max(128)
      .describe('Digest of what was observed when it was refused; a different observation retries.'),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(new RegExp(CONDITION_REASON_PATTERN))
      .describe('Condition reason of the refusal.'),
    message: z.string().max(32768).describe('What the server said, and what to do about it.'),
    time: timestampSchema.describe('When the action was last refused.'),
    recheckAt: timestampSchema
      .optional()
      .describe(
        'When the same action is tried again without any change (for refusals that can be fixed outside the spec: credentials, roles, a bucket created later). Absent: only a spec or server change retries.',
      ),
  })
  .optional()
  .describe('The last action the Backup Service refused, while it stands; removed once an action succeeds.');

/** Fields the status of every long-lived kind (BackupService, BackupPlan, BackupRepository) carries. */
export const managedStatusBase = { ...statusBase, refusal: refusalSchema };

/** Condition types used across kinds (machine-readable, never reworded). */
export const CONDITION_TYPES = {
  Ready: 'Ready',
  Reconciling: 'Reconciling',
  Stalled: 'Stalled',
  Synced: 'Synced',
  CredentialsValid: 'CredentialsValid',
  ServiceReachable: 'ServiceReachable',
  Healthy: 'Healthy',
  RPOMet: 'RPOMet',
  BackupsSucceeding: 'BackupsSucceeding',
} as const;

/** Minimal metadata every resource read from the API server has; unknown fields pass through. */
export const objectMetaSchema = z
  .looseObject({
    name: z.string().describe('Object name.'),
    namespace: z.string().optional().describe('Object namespace.'),
    uid: z.string().optional().describe('Object UID.'),
    generation: z.number().int().optional().describe('Generation of the spec.'),
    resourceVersion: z.string().optional().describe('Resource version for optimistic concurrency.'),
    labels: z.record(z.string(), z.string()).optional().describe('Labels.'),
    annotations: z.record(z.string(), z.string()).optional().describe('Annotations.'),
    finalizers: z.array(z.string()).optional().describe('Finalizers.'),
    deletionTimestamp: z.string().optional().describe('Set when deletion was requested.'),
    creationTimestamp: z.string().optional().describe('Creation time.'),
  })
  .describe('Standard object metadata.');
