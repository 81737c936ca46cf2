/**
 * The cluster manager's user API spoken over plain HTTP, as a test (or an administrator with
 * curl) would: grant, revoke and delete roles of local users while clients run.
 */

/** One answer of the user API: status and the parsed JSON body (undefined when empty or not JSON). */
export interface UserApiAnswer {
  status: number;
  json: unknown;
}

/** The user API of a cluster at `baseUrl`, called as `admin` (Basic auth). */
export function clusterUsers(baseUrl: string, admin = { username: 'admin', password: 'password' }) {
  const authorization = `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`;
  async function call(method: string, path: string, form?: Record<string, string>): Promise<UserApiAnswer> {
    const init: RequestInit = { method, headers: { authorization } };
    if (form !== undefined) {
      init.body = new URLSearchParams(form).toString();
      init.headers = { authorization, 'content-type': 'application/x-www-form-urlencoded' };
    }
    const res = await fetch(`${baseUrl}/settings/rbac/users${path}`, init);
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json };
  }
  return {
    call,
    /** `PUT /settings/rbac/users/local/{name}` with `roles` comma-joined (empty = no role). */
    put: (name: string, roles: readonly string[], password?: string) =>
      call('PUT', `/local/${encodeURIComponent(name)}`, {
        roles: roles.join(','),
        ...(password === undefined ? {} : { password }),
      }),
    get: (name: string) => call('GET', `/local/${encodeURIComponent(name)}`),
    list: () => call('GET', ''),
    delete: (name: string) => call('DELETE', `/local/${encodeURIComponent(name)}`),
  };
}
