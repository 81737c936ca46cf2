/**
 * The cluster's local users, changeable at run time through the cluster manager's user API
 * (docs/backup-service-api.md §1.6): who exists, their password and their roles. Every request
 * authenticates against the current state, so a role granted or revoked applies to the next one.
 * Held in memory: users declared at start are the initial state of every start.
 */
import { basicCredentials, type EmulatorUser, rolesOf, sameString } from './auth.ts';

/** A local user as the directory holds it. */
export interface UserRecord {
  name: string;
  password: string;
  /** Role strings as ns_server spells them (`ro_admin`, `bucket_admin[b1]`). */
  roles: string[];
  /** The optional full name (`name` form field). */
  fullName?: string;
  passwordChangedAt: string;
}

/** Global roles the emulator knows (ns_server has more; unknown ones are refused like unknown roles). */
export const GLOBAL_ROLES: readonly string[] = [
  'admin',
  'ro_admin',
  'backup_admin',
  'cluster_admin',
  'security_admin_local',
  'security_admin_external',
  'ro_security_admin',
  'replication_admin',
  'query_external_access',
  'query_system_catalog',
  'analytics_reader',
  'eventing_admin',
  'external_stats_reader',
];

/** Roles with bucket[:scope[:collection]] parameters, and the JSON names of those parameters. */
const PARAM_ROLES: Record<string, number> = {
  bucket_admin: 1,
  bucket_full_access: 1,
  views_admin: 1,
  views_reader: 1,
  data_backup: 1,
  data_dcp_reader: 3,
  data_monitoring: 3,
  data_reader: 3,
  data_writer: 3,
  scope_admin: 2,
  query_select: 3,
  query_insert: 3,
  query_update: 3,
  query_delete: 3,
  query_manage_index: 3,
  fts_searcher: 3,
  fts_admin: 1,
  mobile_sync_gateway: 1,
};
const PARAM_NAMES = ['bucket_name', 'scope_name', 'collection_name'] as const;

/** ns_server's message for roles it cannot assign. */
export const badRolesMessage = (bad: readonly string[]): string =>
  `Cannot assign roles to user because the following roles are unknown, malformed or role parameters are undefined: [${bad.join(',')}]`;

/**
 * Parses the `roles` form field (comma-separated, `name` or `name[b:s:c]`) (pure). Parameterised
 * roles need an existing bucket (or `*`); returns the normalised roles or the rejected ones.
 */
export function parseRoles(
  raw: string,
  bucketExists: (name: string) => boolean,
): { roles: string[] } | { bad: string[] } {
  const roles: string[] = [];
  const bad: string[] = [];
  for (const token of raw.split(',')) {
    const role = token.trim();
    if (role === '') continue;
    const m = /^([a-z_]+)(?:\[([^\]]+)\])?$/.exec(role);
    const name = m?.[1] ?? '';
    const params = m?.[2];
    if (m === null) bad.push(role);
    else if (params === undefined) (GLOBAL_ROLES.includes(name) ? roles : bad).push(role);
    else {
      const max = PARAM_ROLES[name];
      const parts = params.split(':');
      const bucket = parts[0] ?? '';
      const ok =
        max !== undefined &&
        parts.length <= max &&
        parts.every((p) => p !== '') &&
        (bucket === '*' || bucketExists(bucket));
      (ok ? roles : bad).push(role);
    }
  }
  return bad.length > 0 ? { bad } : { roles: [...new Set(roles)] };
}

/** One role in ns_server's JSON: `{role, bucket_name?, …, origins:[{type:"user"}]}`. */
function roleJson(role: string): Record<string, unknown> {
  const m = /^([a-z_]+)(?:\[([^\]]+)\])?$/.exec(role);
  const out: Record<string, unknown> = { role: m?.[1] ?? role };
  (m?.[2]?.split(':') ?? []).forEach((p, i) => {
    const key = PARAM_NAMES[i];
    if (key !== undefined) out[key] = p;
  });
  out.origins = [{ type: 'user' }];
  return out;
}

/** A user as `GET /settings/rbac/users[/local/{name}]` shows it (never the password). */
export function userJson(u: UserRecord): Record<string, unknown> {
  return {
    id: u.name,
    domain: 'local',
    roles: u.roles.map(roleJson),
    groups: [],
    external_groups: [],
    ...(u.fullName === undefined ? {} : { name: u.fullName }),
    password_change_date: u.passwordChangedAt,
  };
}

/** The user directory. */
export interface UserDirectory {
  /** The user a Basic `Authorization` header names with the right password, or undefined. */
  authenticate(header: string | undefined): UserRecord | undefined;
  /** Whether `name`/`password` are a user's credentials, and that user's roles. */
  verify(name: string, password: string): UserRecord | undefined;
  get(name: string): UserRecord | undefined;
  list(): UserRecord[];
  /** Creates or replaces a user; `password` undefined keeps the current one. */
  put(name: string, spec: { password?: string; roles: string[]; fullName?: string }, nowIso: string): void;
  /** Removes a user; false when there was none. */
  delete(name: string): boolean;
}

/** Creates the directory with the users declared at start. */
export function createUserDirectory(initial: readonly EmulatorUser[], nowIso: string): UserDirectory {
  const users = new Map<string, UserRecord>(
    initial.map((u) => [
      u.name,
      { name: u.name, password: u.password, roles: rolesOf(u), passwordChangedAt: nowIso },
    ]),
  );
  const verify = (name: string, password: string): UserRecord | undefined => {
    const u = users.get(name);
    return u !== undefined && sameString(u.password, password) ? u : undefined;
  };
  return {
    authenticate(header) {
      const creds = basicCredentials(header);
      return creds === undefined ? undefined : verify(creds.name, creds.password);
    },
    verify,
    get: (name) => users.get(name),
    list: () => [...users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    put(name, spec, now) {
      const old = users.get(name);
      const password = spec.password ?? old?.password ?? '';
      const record: UserRecord = {
        name,
        password,
        roles: spec.roles,
        passwordChangedAt: spec.password === undefined && old ? old.passwordChangedAt : now,
      };
      // A PUT recreates the user (roles, name); only the password is kept when not sent.
      if (spec.fullName !== undefined) record.fullName = spec.fullName;
      users.set(name, record);
    },
    delete: (name) => users.delete(name),
  };
}
