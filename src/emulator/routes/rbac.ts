/**
 * The cluster manager's user API (ns_server `/settings/rbac/users`, docs/backup-service-api.md
 * §1.6): list, read, create or replace, delete local users, with ns_server's answers: form-encoded
 * bodies, `{"errors":{field: message}}` 400s, JSON-string 404s and an empty JSON string on success.
 */
import { forbiddenBody, roleName, SECURITY_ROLES } from '../auth.ts';
import { json, type Reply, type RequestContext, type Route } from '../router.ts';
import type { ServiceContext } from '../service-context.ts';
import { badRolesMessage, parseRoles, userJson } from '../users.ts';
import { param } from './common.ts';

/** ns_server's default password policy: at least six characters. */
export const MIN_PASSWORD_LENGTH = 6;
const FORM_FIELDS = ['name', 'password', 'roles', 'groups', 'limits'];
const DONE: Reply = { status: 200, json: '' };

const errors = (e: Record<string, string>): Reply => ({ status: 400, json: { errors: e } });

/** ns_server's user-id rule (validate_id), or undefined when valid (pure). */
export function userIdError(id: string): string | undefined {
  if (id === '') return 'Username must not be empty';
  if (id.length > 128) return 'Username may not exceed 128 characters';
  if (id.startsWith('@')) return "Username cannot start with '@'";
  if (
    [...id].some((c) => c.charCodeAt(0) <= 32 || c.charCodeAt(0) === 127 || '()<>,;:\\"/[]?={}'.includes(c))
  )
    return 'Username must not contain spaces, control or any of ()<>,;:\\"/[]?={} characters and must be valid utf8';
  return undefined;
}

/** The password policy (pure): undefined when the password is acceptable. */
export function passwordError(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH)
    return `The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`;
  if ([...password].some((c) => c.charCodeAt(0) <= 31 || c.charCodeAt(0) === 127))
    return 'The password must not contain control characters';
  return undefined;
}

const holdsSecurityRole = (roles: readonly string[]): boolean =>
  roles.some((r) => SECURITY_ROLES.includes(roleName(r)));

/** The user API routes. */
export function rbacRoutes(ctx: ServiceContext): Route[] {
  const unknownDomain = (domain: string): Reply | undefined =>
    domain === 'local'
      ? undefined
      : domain === 'external'
        ? errors({ _: 'External users are not emulated (no LDAP or PAM)' })
        : { status: 404, json: 'Unknown user domain.' };
  // Only Full Admin may touch a user who holds or is given a security role (verify_security_roles_access).
  const securityGate = (c: RequestContext, roles: readonly string[]): Reply | undefined =>
    holdsSecurityRole(roles) && !(c.user?.roles ?? []).includes('admin')
      ? { status: 403, json: forbiddenBody('cluster.admin.security!write') }
      : undefined;
  const list = () => json(200, ctx.users.list().map(userJson));

  return [
    { method: 'GET', pattern: '/settings/rbac/users', area: 'security', handle: list },
    {
      method: 'GET',
      pattern: '/settings/rbac/users/:domain',
      area: 'security',
      handle: ({ params }) => unknownDomain(param(params, 'domain')) ?? list(),
    },
    {
      method: 'GET',
      pattern: '/settings/rbac/users/:domain/:name',
      area: 'security',
      handle: ({ params }) => {
        const refused = unknownDomain(param(params, 'domain'));
        if (refused) return refused;
        const u = ctx.users.get(param(params, 'name'));
        return u === undefined ? { status: 404, json: 'Unknown user.' } : json(200, userJson(u));
      },
    },
    {
      method: 'PUT',
      pattern: '/settings/rbac/users/:domain/:name',
      area: 'security',
      handle: (c) =>
        ctx.exclusive(() => {
          const name = param(c.params, 'name');
          const idError = userIdError(name);
          if (idError) return errors({ _: idError });
          const refused = unknownDomain(param(c.params, 'domain'));
          if (refused) return refused;
          const form = new URLSearchParams(c.rawBody);
          const found: Record<string, string> = {};
          for (const key of new Set(form.keys())) {
            if (!FORM_FIELDS.includes(key)) found[key] = 'Unsupported key';
          }
          const groups = form.get('groups');
          if (groups !== null && groups.trim() !== '')
            found.groups = `Groups do not exist: ${groups
              .split(',')
              .map((g) => g.trim())
              .join(',')}`;
          const parsed = parseRoles(form.get('roles') ?? '', (b) => ctx.data.getBucket(b) !== undefined);
          if ('bad' in parsed) found.roles = badRolesMessage(parsed.bad);
          const password = form.get('password') ?? undefined;
          const old = ctx.users.get(name);
          if (password !== undefined) {
            const pe = passwordError(password);
            if (pe) found.password = pe;
          } else if (old === undefined) found.password = 'Password is required for new user.';
          if (Object.keys(found).length > 0) return errors(found);
          const roles = 'roles' in parsed ? parsed.roles : [];
          const gate = securityGate(c, [...roles, ...(old?.roles ?? [])]);
          if (gate) return gate;
          const fullName = form.get('name') ?? undefined;
          ctx.users.put(
            name,
            {
              roles,
              ...(password === undefined ? {} : { password }),
              ...(fullName === undefined ? {} : { fullName }),
            },
            ctx.clock.now().toISOString(),
          );
          return DONE;
        }),
    },
    {
      method: 'DELETE',
      pattern: '/settings/rbac/users/:domain/:name',
      area: 'security',
      handle: (c) =>
        ctx.exclusive(() => {
          const refused = unknownDomain(param(c.params, 'domain'));
          if (refused) return refused;
          const name = param(c.params, 'name');
          const gate = securityGate(c, ctx.users.get(name)?.roles ?? []);
          if (gate) return gate;
          return ctx.users.delete(name) ? DONE : { status: 404, json: 'User was not found.' };
        }),
    },
  ];
}
