import type { V1Secret } from '@kubernetes/client-node';
import type { ReadonlyDeep, ReadonlyStore } from '../runtime/index.ts';

/** A username/password pair read from a Secret, or why it could not be. */
export type BasicAuth = { kind: 'ok'; user: string; password: string } | { kind: 'missing'; message: string };

function value(secret: ReadonlyDeep<V1Secret>, key: string): string | undefined {
  const data = secret.data?.[key];
  if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8');
  return secret.stringData?.[key];
}

/** Reads username and password from a Secret in the cache (the values never leave this call's result). */
export function readBasicAuth(
  secrets: ReadonlyStore<V1Secret>,
  namespace: string,
  ref: { name: string; usernameKey: string; passwordKey: string },
): BasicAuth {
  const secret = secrets.get(`${namespace}/${ref.name}`);
  if (!secret) return { kind: 'missing', message: `Secret ${ref.name} does not exist` };
  const user = value(secret, ref.usernameKey);
  const password = value(secret, ref.passwordKey);
  if (!user) return { kind: 'missing', message: `Secret ${ref.name} has no key "${ref.usernameKey}"` };
  if (password === undefined)
    return { kind: 'missing', message: `Secret ${ref.name} has no key "${ref.passwordKey}"` };
  return { kind: 'ok', user, password };
}
