/**
 * Basic authentication and what each role may do (docs/backup-service-api.md §1.2): which roles
 * reach the backup API, the cluster manager and the user API, and the cbauth 403 body.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Profile, Role } from './model.ts';

/**
 * A user as tests and the CLI declare it: one `role` (the common case) or a list of `roles` in
 * ns_server's spelling (`admin`, `bucket_admin[travel-sample]`, …; empty = no role).
 */
export interface EmulatorUser {
  name: string;
  password: string;
  role?: Role;
  roles?: readonly string[];
}

export const DEFAULT_USERS: readonly EmulatorUser[] = [
  { name: 'admin', password: 'password', role: 'admin' },
];

/** The roles of a declared user: `roles` when given, else `role` (default admin). */
export const rolesOf = (u: EmulatorUser): string[] => [...(u.roles ?? [u.role ?? 'admin'])];

/** The cbauth 403 body (§1.2). */
export function forbiddenBody(permission: string): { message: string; permissions: string[] } {
  return { message: 'Forbidden. User needs one of the following permissions', permissions: [permission] };
}

/** Constant-time string comparison (passwords). */
export const sameString = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The `user:password` pair of a Basic `Authorization` header, or undefined when absent or not Basic. */
export function basicCredentials(header: string | undefined): { name: string; password: string } | undefined {
  if (header === undefined || !header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export type AccessKind = 'read' | 'write';
/** `security` is the cluster manager's user API (`/settings/rbac/...`). */
export type ApiArea = 'backup' | 'cluster' | 'security';

/** Roles that hold or grant security administration: only Full Admin may assign them (§1.2). */
export const SECURITY_ROLES: readonly string[] = [
  'admin',
  'security_admin_local',
  'security_admin_external',
  'ro_security_admin',
];

/** Roles whose holders may write data into buckets (what a restore target checks). */
const DATA_WRITE_ROLES: readonly string[] = [
  'admin',
  'backup_admin',
  'cluster_admin',
  'data_backup',
  'bucket_full_access',
  'data_writer',
];

/** The role name of a role string (`bucket_admin[b]` → `bucket_admin`). */
export const roleName = (role: string): string => role.split('[')[0] ?? role;

/**
 * Whether one role may perform `kind` on `area` (pure). Backup API reads by ro_admin exist from
 * 7.6.2 (§1.2), so the 7.2 profile refuses them; cluster_admin and security_admin_local have no
 * backup access (§1.2); backup_admin cannot manage buckets; only admin and security_admin_local
 * manage local users.
 */
function roleAllows(role: string, kind: AccessKind, area: ApiArea, profile: Profile): boolean {
  switch (role) {
    case 'admin':
      return true;
    case 'backup_admin':
      return area === 'backup' || (area === 'cluster' && kind === 'read');
    case 'ro_admin':
      return kind === 'read' && (area === 'cluster' || (area === 'backup' && profile !== '7.2'));
    case 'cluster_admin':
      return area === 'cluster';
    case 'security_admin_local':
      return area === 'security' || (area === 'cluster' && kind === 'read');
    default:
      return false;
  }
}

/** Whether a user with `roles` may perform `kind` on `area` (pure): any one role suffices. */
export function isAllowed(
  roles: readonly string[],
  kind: AccessKind,
  area: ApiArea,
  profile: Profile,
): boolean {
  return roles.some((r) => roleAllows(roleName(r), kind, area, profile));
}

/** Whether `roles` let their holder write data (restore target credentials). */
export const canWriteDataWith = (roles: readonly string[]): boolean =>
  roles.some((r) => DATA_WRITE_ROLES.includes(roleName(r)));

/** The permission named in a 403 body. */
export function permissionFor(kind: AccessKind, area: ApiArea): string {
  if (area === 'cluster')
    return kind === 'read' ? 'cluster.bucket[.].settings!read' : 'cluster.buckets!create';
  if (area === 'security')
    return kind === 'read' ? 'cluster.admin.security.local!read' : 'cluster.admin.security.local!write';
  return kind === 'read' ? 'cluster.backup!read' : 'cluster.backup!all';
}
