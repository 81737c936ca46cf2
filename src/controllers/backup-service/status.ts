import type { BackupApiErrorCode, ClusterInfo } from '../../backup-api/index.ts';
import { BACKUP_API_ERROR_CODES, isBackupApiError } from '../../backup-api/index.ts';
import { CONDITION_TYPES } from '../../crds/index.ts';
import type { Result } from '../engine/managed-kind.ts';
import type { BackupServiceResource } from '../resources.ts';
import { type Condition, KStatusState, setCondition, setKStatus } from '../runtime/index.ts';
import { CONNECTION_ERROR_CODES, ConnectionError, type ConnectionErrorCode } from '../service-connections.ts';
import type { ConfigAction, ObservedConfig } from './config.ts';
import type { ServerVersion } from './version.ts';

type Status = NonNullable<BackupServiceResource['status']>;

/** Condition reasons of BackupService (machine-readable, never reworded). */
export const SERVICE_REASONS = {
  available: 'Available',
  connected: 'Connected',
  unreachable: 'Unreachable',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  credentialsAccepted: 'CredentialsAccepted',
  unknown: 'Unknown',
  configApplied: 'ConfigApplied',
  configRejected: 'ConfigRejected',
  /** The spec asks for a configuration the server's version lacks (a node thread map before 7.6). */
  unsupportedByServer: 'UnsupportedByServer',
} as const;

/** What one reconcile learned about the Backup Service. */
export type ServiceObservation =
  | { kind: 'connection-error'; code: ConnectionErrorCode; message: string }
  | { kind: 'api-error'; code: BackupApiErrorCode; message: string }
  | {
      kind: 'ok';
      info: ClusterInfo;
      activeEndpoint: string;
      historyRotationSize?: number | undefined;
      /** Undefined while not read: status keeps the last known version. */
      version?: ServerVersion | undefined;
      /** Set when the server rejected the desired configuration: the whole message. */
      configError?: string | undefined;
      /** The refusal's reason with a configError (default ConfigRejected). */
      configErrorReason?: string | undefined;
    };

const AUTH_CODES: readonly BackupApiErrorCode[] = [
  BACKUP_API_ERROR_CODES.unauthorized,
  BACKUP_API_ERROR_CODES.forbidden,
];

/** Repository counts by state; paused repositories live in the active group with state "paused". */
export function repositoryCounts(info: ClusterInfo): NonNullable<Status['repositories']> {
  const active = Object.values(info.active ?? {});
  const paused = active.filter((r) => r.state === 'paused').length;
  return {
    active: active.length - paused,
    paused,
    archived: Object.keys(info.archived ?? {}).length,
    imported: Object.keys(info.imported ?? {}).length,
  };
}

/** One condition to set: type, status, reason, message. */
type ConditionRow = [string, Condition['status'], string, string];

/** What an observation says, before it is folded into the previous status. */
interface Verdict {
  conditions: ConditionRow[];
  kstatus: { state: KStatusState; reason: string; message: string };
  fields: Partial<Status>;
}

const REACHABLE: ConditionRow = [
  CONDITION_TYPES.ServiceReachable,
  'True',
  SERVICE_REASONS.connected,
  'The Backup Service answers.',
];

/** The verdict of a connection that could not even be built (pure). */
function connectionVerdict(obs: Extract<ServiceObservation, { kind: 'connection-error' }>): Verdict {
  const kstatus = { state: KStatusState.Stalled, reason: obs.code, message: obs.message };
  // The endpoints are at fault, not the credentials, which stay unchecked.
  const conditions: ConditionRow[] =
    obs.code === CONNECTION_ERROR_CODES.invalidEndpoint
      ? [
          [CONDITION_TYPES.ServiceReachable, 'False', obs.code, obs.message],
          [
            CONDITION_TYPES.CredentialsValid,
            'Unknown',
            SERVICE_REASONS.unknown,
            'Not checked: the endpoints cannot be used.',
          ],
        ]
      : [
          [CONDITION_TYPES.CredentialsValid, 'False', obs.code, obs.message],
          [
            CONDITION_TYPES.ServiceReachable,
            'Unknown',
            SERVICE_REASONS.unknown,
            'Not contacted: the credentials are incomplete.',
          ],
        ];
  return { conditions, kstatus, fields: { reachable: false } };
}

/** The verdict of an error answer: rejected credentials (Stalled) or unreachable (Reconciling) (pure). */
function apiErrorVerdict(obs: Extract<ServiceObservation, { kind: 'api-error' }>): Verdict {
  if (AUTH_CODES.includes(obs.code)) {
    const unauthorized = obs.code === BACKUP_API_ERROR_CODES.unauthorized;
    const reason = unauthorized ? SERVICE_REASONS.unauthorized : SERVICE_REASONS.forbidden;
    const message = unauthorized
      ? `The Backup Service rejected the credentials: ${obs.message}`
      : `The user lacks the Full Admin or Backup Full Admin role: ${obs.message}`;
    return {
      conditions: [REACHABLE, [CONDITION_TYPES.CredentialsValid, 'False', reason, message]],
      kstatus: { state: KStatusState.Stalled, reason, message },
      fields: { reachable: true },
    };
  }
  const message = `The Backup Service cannot be reached: ${obs.message}`;
  return {
    conditions: [[CONDITION_TYPES.ServiceReachable, 'False', SERVICE_REASONS.unreachable, message]],
    kstatus: { state: KStatusState.Reconciling, reason: SERVICE_REASONS.unreachable, message },
    fields: { reachable: false },
  };
}

/** The verdict of a successful poll, with a refused configuration Stalled (pure). */
function okVerdict(obs: Extract<ServiceObservation, { kind: 'ok' }>): Verdict {
  const accepted: ConditionRow = [
    CONDITION_TYPES.CredentialsValid,
    'True',
    SERVICE_REASONS.credentialsAccepted,
    'The credentials are accepted.',
  ];
  const fields: Partial<Status> = {
    reachable: true,
    activeEndpoint: obs.activeEndpoint,
    repositories: repositoryCounts(obs.info),
    ...(obs.version ? { version: obs.version.version, profile: obs.version.profile } : {}),
    ...(obs.historyRotationSize !== undefined
      ? { config: { historyRotationSize: obs.historyRotationSize } }
      : {}),
  };
  if (obs.configError) {
    const reason = obs.configErrorReason ?? SERVICE_REASONS.configRejected;
    return {
      conditions: [REACHABLE, accepted, [CONDITION_TYPES.Synced, 'False', reason, obs.configError]],
      kstatus: { state: KStatusState.Stalled, reason, message: obs.configError },
      fields,
    };
  }
  return {
    conditions: [
      REACHABLE,
      accepted,
      [CONDITION_TYPES.Synced, 'True', SERVICE_REASONS.configApplied, 'The configuration matches the spec.'],
    ],
    kstatus: {
      state: KStatusState.Ready,
      reason: SERVICE_REASONS.available,
      message: 'The Backup Service is reachable and the credentials are valid.',
    },
    fields,
  };
}

/**
 * Computes the whole status of a BackupService from an observation (pure). Fields the observation
 * says nothing about (counts while unreachable) keep their last known value.
 */
export function serviceStatus(
  previous: Status | undefined,
  obs: ServiceObservation,
  generation: number,
  now: Date,
): Status {
  const verdict =
    obs.kind === 'connection-error'
      ? connectionVerdict(obs)
      : obs.kind === 'api-error'
        ? apiErrorVerdict(obs)
        : okVerdict(obs);
  let conditions = (previous?.conditions ?? []) as Condition[];
  for (const [type, status, reason, message] of verdict.conditions) {
    conditions = setCondition(
      conditions,
      { type, status, reason, message, observedGeneration: generation },
      now,
    );
  }
  conditions = setKStatus(conditions, { ...verdict.kstatus, observedGeneration: generation }, now);
  return { ...previous, ...verdict.fields, conditions };
}

/** What a reconcile of the engine ended with, as the observation {@link serviceStatus} takes (pure). */
export function serviceObservationOf(
  observed:
    | {
        info: ClusterInfo;
        activeEndpoint: string;
        config: ObservedConfig;
        version?: ServerVersion | undefined;
      }
    | undefined,
  result: Result<ConfigAction, 'polled'>,
): ServiceObservation {
  const error = result.kind === 'unavailable' || result.kind === 'refused' ? result.error : undefined;
  if (error instanceof ConnectionError)
    return { kind: 'connection-error', code: error.code, message: error.message };
  if (isBackupApiError(error)) {
    const onRead =
      result.kind === 'unavailable' || (result.kind === 'refused' && result.action === undefined);
    if (onRead || AUTH_CODES.includes(error.code))
      return { kind: 'api-error', code: error.code, message: error.message };
  }
  if (!observed) {
    // A remembered refusal of a read or an error of no known type: nothing was observed.
    const message = result.kind === 'refused' ? result.refusal.message : String(error);
    return { kind: 'api-error', code: BACKUP_API_ERROR_CODES.http, message };
  }
  return {
    kind: 'ok',
    info: observed.info,
    activeEndpoint: observed.activeEndpoint,
    historyRotationSize: observed.config.historyRotationSize,
    version: observed.version,
    configError: result.kind === 'refused' ? result.refusal.message : undefined,
    configErrorReason: result.kind === 'refused' ? result.refusal.reason : undefined,
  };
}

/** The whole status of a BackupService after one reconcile of the engine (pure). */
export function serviceStatusFor(
  previous: Status | undefined,
  observed: Parameters<typeof serviceObservationOf>[0],
  result: Result<ConfigAction, 'polled'>,
  generation: number,
  now: Date,
): Status {
  return serviceStatus(previous, serviceObservationOf(observed, result), generation, now);
}
