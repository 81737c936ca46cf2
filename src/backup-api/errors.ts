import { z } from 'zod';

/**
 * Stable, machine-readable error codes. Callers branch on these, never on `msg`: the service's
 * message wording changes between versions (docs/backup-service-api.md §10.10).
 */
export const BACKUP_API_ERROR_CODES = {
  invalid: 'BSVC_INVALID',
  unauthorized: 'BSVC_UNAUTHORIZED',
  forbidden: 'BSVC_FORBIDDEN',
  notFound: 'BSVC_NOT_FOUND',
  conflict: 'BSVC_CONFLICT',
  internal: 'BSVC_INTERNAL',
  unavailable: 'BSVC_UNAVAILABLE',
  http: 'BSVC_HTTP_ERROR',
  timeout: 'BSVC_TIMEOUT',
  connection: 'BSVC_CONNECTION',
  tls: 'BSVC_TLS',
  aborted: 'BSVC_ABORTED',
  badResponse: 'BSVC_BAD_RESPONSE',
} as const;

export type BackupApiErrorCode = (typeof BACKUP_API_ERROR_CODES)[keyof typeof BACKUP_API_ERROR_CODES];

const C = BACKUP_API_ERROR_CODES;

/**
 * Whether a later, identical call may succeed without anyone changing the request, credentials or
 * service state. 500 counts as retryable because the service uses it for transient failures such as
 * "could not send task" while a bucket check or the archive location is unavailable.
 */
const RETRYABLE: Record<BackupApiErrorCode, boolean> = {
  BSVC_INVALID: false,
  BSVC_UNAUTHORIZED: false,
  BSVC_FORBIDDEN: false,
  BSVC_NOT_FOUND: false,
  BSVC_CONFLICT: true,
  BSVC_INTERNAL: true,
  BSVC_UNAVAILABLE: true,
  BSVC_HTTP_ERROR: false,
  BSVC_TIMEOUT: true,
  BSVC_CONNECTION: true,
  BSVC_TLS: false,
  BSVC_ABORTED: false,
  BSVC_BAD_RESPONSE: false,
};

/** Maps an HTTP status of a failed response to its error code. */
export function codeForStatus(status: number): BackupApiErrorCode {
  switch (status) {
    case 400:
      return C.invalid;
    case 401:
      return C.unauthorized;
    case 403:
      return C.forbidden;
    case 404:
      return C.notFound;
    case 409:
      return C.conflict;
    case 500:
      return C.internal;
    case 502:
    case 503:
    case 504:
      return C.unavailable;
    default:
      return C.http;
  }
}

export interface BackupApiErrorInit {
  code: BackupApiErrorCode;
  /** HTTP status; 0 when no response was received. */
  status: number;
  /** `METHOD /path/{template}` of the call, e.g. `POST /cluster/self/repository/active/{id}/backup`. */
  endpoint: string;
  msg: string;
  extras?: string | undefined;
  /** Permissions listed by a cbauth 403 body. */
  permissions?: readonly string[] | undefined;
  /** Base URL of the node that answered or failed (never carries credentials). */
  node?: string | undefined;
  cause?: unknown;
}

/** The only error type the client throws for a failed call. */
export class BackupApiError extends Error {
  override readonly name = 'BackupApiError';
  readonly code: BackupApiErrorCode;
  readonly status: number;
  readonly endpoint: string;
  readonly msg: string;
  readonly extras: string | undefined;
  readonly permissions: readonly string[] | undefined;
  readonly node: string | undefined;
  readonly retryable: boolean;

  constructor(init: BackupApiErrorInit) {
    const statusPart = init.status === 0 ? init.code : `${init.status}`;
    // A cbauth 403 names what the user lacks: keep it in the message that reaches statuses and logs.
    const needs = init.permissions?.length ? `: ${init.permissions.join(', ')}` : '';
    super(
      `${init.endpoint}: ${statusPart} ${init.msg}${needs}`,
      init.cause === undefined ? {} : { cause: init.cause },
    );
    this.code = init.code;
    this.status = init.status;
    this.endpoint = init.endpoint;
    this.msg = init.msg;
    this.extras = init.extras;
    this.permissions = init.permissions;
    this.node = init.node;
    this.retryable = RETRYABLE[init.code];
  }
}

/** Type guard for errors thrown by this client. */
export function isBackupApiError(err: unknown): err is BackupApiError {
  return err instanceof BackupApiError;
}

/** True when the call failed because the addressed object (plan, repository, backup…) does not exist. */
export function isNotFound(err: unknown): boolean {
  return isBackupApiError(err) && err.code === C.notFound;
}

/** The service's words for a failed call (`msg`, then `: extras` when it gave any); never a body or secret. */
export function serverMessage(err: Pick<BackupApiError, 'msg' | 'extras'>): string {
  return err.extras ? `${err.msg}: ${err.extras}` : err.msg;
}

/** {@link serverMessage} headed by the HTTP status, or by the code when no response came (`500 msg: extras`). */
export function describeAnswer(err: Pick<BackupApiError, 'status' | 'code' | 'msg' | 'extras'>): string {
  const head = err.status === 0 ? err.code : `${err.status}`;
  return `${head} ${serverMessage(err)}`;
}

/** Text of any caught error for a condition: {@link serverMessage} of a client error, else its message. */
export function serverText(err: unknown): string {
  if (isBackupApiError(err)) return serverMessage(err);
  return err instanceof Error ? err.message : String(err);
}

/** Endpoint string of repository creation, the one call where the reference gives an unknown plan two statuses. */
export const CREATE_REPOSITORY_ENDPOINT = 'POST /cluster/self/repository/active/{id}';

/**
 * True when a create-repository failure is consistent with "the plan does not exist": real servers
 * answer 400, the docs say 404 (docs/backup-service-api.md §5.4). Only meaningful for `createRepository`; for every
 * other endpoint it returns false. A 400 is ambiguous (it also covers a bad id, archive or bucket),
 * so callers should confirm with `getPlan` (404) before reporting a missing plan.
 */
export function mayBePlanNotFound(err: unknown): boolean {
  return (
    isBackupApiError(err) &&
    err.endpoint === CREATE_REPOSITORY_ENDPOINT &&
    (err.code === C.notFound || err.code === C.invalid)
  );
}

const serviceErrorBodySchema = z.looseObject({
  status: z.number().optional(),
  msg: z.string(),
  extras: z.string().optional(),
});

const cbauthErrorBodySchema = z.looseObject({
  message: z.string(),
  permissions: z.array(z.string()).optional(),
});

/** Longest slice of a non-JSON error body kept in `msg`. */
const MAX_TEXT_MSG = 300;

/**
 * Builds the error for a non-2xx response. Understands the service's `{status,msg,extras}` body and
 * the cbauth `{message,permissions}` 403 body; anything else (plain text, HTML, empty) becomes a
 * trimmed text `msg`. The code comes from the HTTP status alone.
 */
export function errorFromResponse(args: {
  status: number;
  endpoint: string;
  bodyText: string;
  node?: string;
}): BackupApiError {
  const { status, endpoint, bodyText, node } = args;
  const base = { code: codeForStatus(status), status, endpoint, node };
  const json = tryParseJson(bodyText);
  const service = serviceErrorBodySchema.safeParse(json);
  if (service.success) {
    return new BackupApiError({ ...base, msg: service.data.msg, extras: service.data.extras });
  }
  const cbauth = cbauthErrorBodySchema.safeParse(json);
  if (cbauth.success) {
    return new BackupApiError({ ...base, msg: cbauth.data.message, permissions: cbauth.data.permissions });
  }
  const text = bodyText.trim().slice(0, MAX_TEXT_MSG);
  return new BackupApiError({ ...base, msg: text === '' ? `HTTP ${status}` : text });
}

/** Parses JSON, returning undefined instead of throwing. */
export function tryParseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** How a transport failure relates to the request: `notSent` means the server cannot have seen it. */
export interface TransportFailure {
  code: BackupApiErrorCode;
  notSent: boolean;
}

/** Errors raised while resolving or connecting: the request never left the client. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

const TLS_CODE_PATTERN =
  /^(ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_|CERT_|HOSTNAME_MISMATCH$)/;

/**
 * Classifies an error thrown by undici (or node:net/tls underneath) by its `code`, looking through
 * `cause` and aggregate errors. TLS handshake failures count as not sent: no request byte goes out
 * before the handshake completes.
 */
export function classifyTransportError(err: unknown): TransportFailure {
  const codes = collectCodes(err);
  if (codes.some((c) => TLS_CODE_PATTERN.test(c))) return { code: C.tls, notSent: true };
  const notSent = codes.length > 0 && codes.every((c) => NOT_SENT_CODES.has(c));
  if (codes.some((c) => TIMEOUT_CODES.has(c))) return { code: C.timeout, notSent };
  return { code: C.connection, notSent };
}

function collectCodes(err: unknown, depth = 0): string[] {
  if (depth > 4 || typeof err !== 'object' || err === null) return [];
  const out: string[] = [];
  const { code, cause, errors } = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') out.push(code);
  if (Array.isArray(errors)) for (const e of errors) out.push(...collectCodes(e, depth + 1));
  out.push(...collectCodes(cause, depth + 1));
  return out;
}
