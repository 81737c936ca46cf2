import pino, { type Logger } from 'pino';

/** Field paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  'headers.authorization',
  '*.cloud_credentials_key',
  '*.cloud_credentials_refresh_token',
  '*.data',
  'secret',
  '*.secret',
];

/**
 * Serializes errors compactly: client-node's ApiException carries the whole response (body, headers)
 * in its message, which would flood the log; keep the HTTP code and the Status message instead.
 */
export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as Error & { code?: unknown; body?: unknown };
  if (typeof e.code === 'number' && (typeof e.body === 'string' || e.body === undefined)) {
    let status: { reason?: string; message?: string } = {};
    try {
      status = typeof e.body === 'string' ? JSON.parse(e.body) : {};
    } catch {
      // not a Status body
    }
    return {
      type: e.name || 'ApiException',
      code: e.code,
      reason: status.reason,
      message: status.message ?? `HTTP ${e.code}`,
    };
  }
  return pino.stdSerializers.err(err);
}

/** Creates the root logger: JSON lines on `destination` (stdout by default) with secrets redacted. */
export function createLogger(opts: { level: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      base: { app: 'cbbs-operator' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      serializers: { err: serializeError },
    },
    opts.destination ?? pino.destination({ sync: false }),
  );
}
