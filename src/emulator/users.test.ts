import { describe, expect, it } from 'vitest';
import { passwordError, userIdError } from './routes/rbac.ts';
import { badRolesMessage, createUserDirectory, parseRoles, userJson } from './users.ts';

const buckets = (b: string) => b === 'travel-sample';

describe('parseRoles (ns_server spelling)', () => {
  it('accepts global roles, parameterised roles on existing buckets or *, and empty', () => {
    expect(parseRoles('admin, ro_admin', buckets)).toEqual({ roles: ['admin', 'ro_admin'] });
    expect(parseRoles('bucket_admin[travel-sample],data_reader[*]', buckets)).toEqual({
      roles: ['bucket_admin[travel-sample]', 'data_reader[*]'],
    });
    expect(parseRoles('data_reader[travel-sample:inventory:airline]', buckets)).toEqual({
      roles: ['data_reader[travel-sample:inventory:airline]'],
    });
    expect(parseRoles('', buckets)).toEqual({ roles: [] });
  });

  it('rejects unknown roles, unknown buckets, extra parameters and parameters on global roles', () => {
    expect(parseRoles('ro_admine,admin', buckets)).toEqual({ bad: ['ro_admine'] });
    expect(parseRoles('bucket_admin[nope]', buckets)).toEqual({ bad: ['bucket_admin[nope]'] });
    expect(parseRoles('bucket_admin[travel-sample:s]', buckets)).toEqual({
      bad: ['bucket_admin[travel-sample:s]'],
    });
    expect(parseRoles('admin[travel-sample]', buckets)).toEqual({ bad: ['admin[travel-sample]'] });
    expect(badRolesMessage(['x', 'y'])).toBe(
      'Cannot assign roles to user because the following roles are unknown, malformed or role parameters are undefined: [x,y]',
    );
  });
});

describe('user records', () => {
  it('shows parameterised roles with their bucket/scope/collection names', () => {
    const dir = createUserDirectory([], '2025-01-01T00:00:00.000Z');
    dir.put(
      'u',
      { password: 'secret1', roles: ['data_reader[b:s:c]', 'ro_admin'] },
      '2025-01-02T00:00:00.000Z',
    );
    expect(userJson(dir.get('u')!)).toEqual({
      id: 'u',
      domain: 'local',
      roles: [
        {
          role: 'data_reader',
          bucket_name: 'b',
          scope_name: 's',
          collection_name: 'c',
          origins: [{ type: 'user' }],
        },
        { role: 'ro_admin', origins: [{ type: 'user' }] },
      ],
      groups: [],
      external_groups: [],
      password_change_date: '2025-01-02T00:00:00.000Z',
    });
  });

  it('a PUT without password keeps the password and its change date', () => {
    const dir = createUserDirectory([{ name: 'u', password: 'first1', role: 'admin' }], 'T0');
    dir.put('u', { roles: [] }, 'T1');
    expect(dir.verify('u', 'first1')?.roles).toEqual([]);
    expect(dir.get('u')?.passwordChangedAt).toBe('T0');
  });

  it('user ids and passwords follow ns_server rules', () => {
    expect(userIdError('ok-user_1.x')).toBeUndefined();
    expect(userIdError('@x')).toBe("Username cannot start with '@'");
    expect(userIdError('a b')).toMatch(/must not contain spaces/);
    expect(userIdError('a'.repeat(129))).toBe('Username may not exceed 128 characters');
    expect(passwordError('12345')).toBe('The password must be at least 6 characters long.');
    expect(passwordError('123456')).toBeUndefined();
  });
});
