import { createHash } from 'node:crypto';

/**
 * Annotation a user sets to a fresh value to let the operator send a task request again after it
 * reported `TriggerOutcomeUnknown` (it could not tell whether the first request arrived).
 */
export const RETRY_TOKEN_ANNOTATION = 'cbbs.dev/retry-token';

/** The intent token recorded for a retry allowed by `value` (fits the 64-character limit of intent.token). */
export function retryIntentToken(value: string): string {
  return `retry-${createHash('sha256').update(value).digest('hex').slice(0, 40)}`;
}

/**
 * The retry token value the user set that has not been used yet, or undefined (pure): a value is
 * used once its intent token is the recorded intent.
 */
export function unusedRetryToken(
  annotations: Readonly<Record<string, string>> | undefined,
  intentToken: string | undefined,
): string | undefined {
  const value = annotations?.[RETRY_TOKEN_ANNOTATION]?.trim();
  if (!value) return undefined;
  return retryIntentToken(value) === intentToken ? undefined : value;
}
