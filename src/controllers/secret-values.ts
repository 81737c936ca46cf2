import type { V1Secret } from '@kubernetes/client-node';
import type { ReadonlyDeep } from './runtime/index.ts';

/**
 * The text under `key` of a cached Secret: `data` (base64) first, else `stringData` (set on objects
 * that never went through the API server, such as test fixtures); undefined when neither has it.
 */
export function secretValue(secret: ReadonlyDeep<V1Secret>, key: string): string | undefined {
  const data = secret.data?.[key];
  if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8');
  return secret.stringData?.[key];
}
