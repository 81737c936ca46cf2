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

/** Creates the root logger: JSON lines on `destination` (stdout by default) with secrets redacted. */
export function createLogger(opts: { level: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      base: { app: 'cbbs-operator' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    },
    opts.destination ?? pino.destination({ sync: false }),
  );
}
