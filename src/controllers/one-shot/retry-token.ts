import { createHash, randomBytes, randomUUID } from 'node:crypto';

/**
 * Annotation a user sets to a fresh value to let the operator send a task request again after it
 * reported `TriggerOutcomeUnknown` (it could not tell whether the first request arrived).
 */
export const RETRY_TOKEN_ANNOTATION = 'cbbs.dev/retry-token';

/** The intent token recorded for a retry allowed by `value` (fits the 64-character limit of intent.token). */
export function retryIntentToken(value: string): string {
  return `retry-${createHash('sha256').update(value).digest('hex').slice(0, 40)}`;
}

const RETRY_LINEAGE = /^retry-[0-9a-f]{40}/;

/**
 * The token of the next intent of a resource whose last intent was `previous` (a re-send after a
 * refusal or after "never arrived"). Unique per try, but it keeps the retry value's hash of a
 * user-allowed retry: a consumed annotation value stays consumed across every later re-send, so
 * it can never allow a second request on its own.
 */
export function nextIntentToken(previous: string | undefined): string {
  const lineage = previous === undefined ? undefined : RETRY_LINEAGE.exec(previous)?.[0];
  return lineage ? `${lineage}.${randomBytes(6).toString('hex')}` : randomUUID();
}

/**
 * The retry token value the user set that has not been used yet, or undefined (pure): a value is
 * used once the recorded intent is its retry or any re-send after it.
 */
export function unusedRetryToken(
  annotations: Readonly<Record<string, string>> | undefined,
  intentToken: string | undefined,
): string | undefined {
  const value = annotations?.[RETRY_TOKEN_ANNOTATION]?.trim();
  if (!value) return undefined;
  const used = retryIntentToken(value);
  return intentToken === used || intentToken?.startsWith(`${used}.`) ? undefined : value;
}
