/** Basic authentication and the three emulated roles (reference §1.2). */
import { timingSafeEqual } from 'node:crypto';
import type { Profile, Role } from './model.ts';

export interface EmulatorUser {
  name: string;
  password: string;
  role: Role;
}

export const DEFAULT_USERS: readonly EmulatorUser[] = [
  { name: 'admin', password: 'password', role: 'admin' },
];

/** The cbauth 403 body (§1.2). */
export function forbiddenBody(permission: string): { message: string; permissions: string[] } {
  return { message: 'Forbidden. User needs one of the following permissions', permissions: [permission] };
}

const sameString = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The user named by a Basic `Authorization` header, or undefined when absent or wrong. */
export function authenticate(
  header: string | undefined,
  users: ReadonlyMap<string, EmulatorUser>,
): EmulatorUser | undefined {
  if (header === undefined || !header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const user = users.get(decoded.slice(0, colon));
  return user !== undefined && sameString(user.password, decoded.slice(colon + 1)) ? user : undefined;
}

/** Credentials check used by restore: the user exists, the password matches, it may write data. */
export function canWriteData(
  users: ReadonlyMap<string, EmulatorUser>,
  name: string,
  password: string,
): boolean {
  const user = users.get(name);
  return user !== undefined && sameString(user.password, password) && user.role !== 'ro_admin';
}

export type AccessKind = 'read' | 'write';
export type ApiArea = 'backup' | 'cluster';

/**
 * Whether `role` may perform `kind` on `area`. Backup API reads by ro_admin exist from 7.6.2
 * (§1.2), so the 7.2 profile refuses them; cluster-manager reads are open to ro_admin everywhere.
 * backup_admin cannot manage buckets.
 */
export function isAllowed(role: Role, kind: AccessKind, area: ApiArea, profile: Profile): boolean {
  if (role === 'admin') return true;
  if (role === 'backup_admin') return area === 'backup' || kind === 'read';
  if (kind === 'write') return false;
  return area === 'cluster' || profile !== '7.2';
}

/** The permission named in a 403 body. */
export function permissionFor(kind: AccessKind, area: ApiArea): string {
  if (area === 'cluster')
    return kind === 'read' ? 'cluster.bucket[.].settings!read' : 'cluster.buckets!create';
  return kind === 'read' ? 'cluster.backup!read' : 'cluster.backup!all';
}
