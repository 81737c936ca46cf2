import type { V1Secret } from '@kubernetes/client-node';
import type { ReadonlyStore } from '../runtime/index.ts';
import { secretValue } from '../secret-values.ts';

/** A username/password pair read from a Secret, or why it could not be. */
export type BasicAuth = { kind: 'ok'; user: string; password: string } | { kind: 'missing'; message: string };

/** Reads username and password from a Secret in the cache (the values never leave this call's result). */
export function readBasicAuth(
  secrets: ReadonlyStore<V1Secret>,
  namespace: string,
  ref: { name: string; usernameKey: string; passwordKey: string },
): BasicAuth {
  const secret = secrets.get(`${namespace}/${ref.name}`);
  if (!secret) return { kind: 'missing', message: `Secret ${ref.name} does not exist` };
  const user = secretValue(secret, ref.usernameKey);
  const password = secretValue(secret, ref.passwordKey);
  if (!user) return { kind: 'missing', message: `Secret ${ref.name} has no key "${ref.usernameKey}"` };
  if (password === undefined)
    return { kind: 'missing', message: `Secret ${ref.name} has no key "${ref.passwordKey}"` };
  return { kind: 'ok', user, password };
}
