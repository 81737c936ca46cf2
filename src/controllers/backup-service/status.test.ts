import { describe, expect, it } from 'vitest';
import { CONDITION_TYPES } from '../../crds/index.ts';
import { CONNECTION_ERROR_CODES } from '../service-connections.ts';
import { serviceStatus } from './status.ts';

const now = new Date('2026-01-01T00:00:00Z');
const condition = (status: ReturnType<typeof serviceStatus>, type: string) =>
  status.conditions?.find((c) => c.type === type);

describe('serviceStatus on a connection error', () => {
  it('blames the endpoints, not the credentials, for an InvalidEndpoint', () => {
    const message = 'BackupService ns/cb has an endpoint the operator cannot use: port out of range';
    const status = serviceStatus(
      undefined,
      { kind: 'connection-error', code: CONNECTION_ERROR_CODES.invalidEndpoint, message },
      3,
      now,
    );
    expect(condition(status, CONDITION_TYPES.ServiceReachable)).toMatchObject({
      status: 'False',
      reason: 'InvalidEndpoint',
      message,
    });
    expect(condition(status, CONDITION_TYPES.CredentialsValid)).toMatchObject({ status: 'Unknown' });
    expect(JSON.stringify(status.conditions)).not.toContain('credentials are incomplete');
    expect(condition(status, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidEndpoint' });
    expect(status.reachable).toBe(false);
  });

  it('blames the credentials for a missing Secret key', () => {
    const message = 'Secret ns/creds has no key "password"';
    const status = serviceStatus(
      undefined,
      { kind: 'connection-error', code: CONNECTION_ERROR_CODES.secretKeyMissing, message },
      3,
      now,
    );
    expect(condition(status, CONDITION_TYPES.CredentialsValid)).toMatchObject({
      status: 'False',
      reason: 'SecretKeyMissing',
      message,
    });
    expect(condition(status, CONDITION_TYPES.ServiceReachable)?.message).toBe(
      'Not contacted: the credentials are incomplete.',
    );
    expect(condition(status, 'Stalled')).toMatchObject({ status: 'True', reason: 'SecretKeyMissing' });
  });
});
