import { describe, expect, it } from 'vitest';
import { BackupApiError, codeForStatus } from '../../backup-api/index.ts';
import { CONNECTION_ERROR_CODES, ConnectionError } from '../service-connections.ts';
import type { RepositoryAction } from './desired.ts';
import {
  classifyRepositoryError,
  ObservationStaleError,
  PlanChangeUnsupportedError,
  REFUSAL_RECHECK_MS,
  WaitingForPollError,
} from './refusals.ts';

const create: RepositoryAction = { kind: 'create', plan: '_hourly_backups' };
const importRepo: RepositoryAction = { kind: 'import' };
const pause: RepositoryAction = { kind: 'pause' };
const changePlan: RepositoryAction = { kind: 'change-plan', from: 'a', to: 'b', resume: true };

const answered = (status: number, msg = 'the server says no') =>
  new BackupApiError({
    code: codeForStatus(status),
    status,
    endpoint: 'POST /cluster/self/repository/active/{id}',
    msg,
  });

describe('classifyRepositoryError', () => {
  it.each([
    [401, REFUSAL_RECHECK_MS.credentials],
    [403, REFUSAL_RECHECK_MS.credentials],
    [400, REFUSAL_RECHECK_MS.invalid],
    [404, REFUSAL_RECHECK_MS.invalid],
  ])('a %i on a write is ServerRejected, re-checked after %i ms', (status, recheck) => {
    for (const action of [create, importRepo, pause, changePlan]) {
      expect(classifyRepositoryError(answered(status), action, 'r1')).toEqual({
        reason: 'ServerRejected',
        message: expect.stringContaining('the server says no'),
        recheckAfterMs: recheck,
      });
    }
  });

  it('a 500 on create or import is an unusable location, re-checked after its own time', () => {
    for (const action of [create, importRepo]) {
      expect(classifyRepositoryError(answered(500), action, 'r1')).toMatchObject({
        reason: 'ServerRejected',
        recheckAfterMs: REFUSAL_RECHECK_MS.location,
      });
    }
  });

  it('a 500 on any other write is transient', () => {
    expect(classifyRepositoryError(answered(500), pause, 'r1')).toBeUndefined();
    expect(classifyRepositoryError(answered(500), changePlan, 'r1')).toBeUndefined();
  });

  it.each([429, 503, 502, 504, 409])('a %i is transient (retried with backoff)', (status) => {
    expect(classifyRepositoryError(answered(status), create, 'r1')).toBeUndefined();
    expect(classifyRepositoryError(answered(status), pause, 'r1')).toBeUndefined();
  });

  it('an error without an answer (status 0) or of a read is transient', () => {
    const lost = new BackupApiError({ code: 'BSVC_CONNECTION', status: 0, endpoint: 'GET /x', msg: 'reset' });
    expect(classifyRepositoryError(lost, create, 'r1')).toBeUndefined();
    expect(classifyRepositoryError(answered(403), undefined, 'r1')).toBeUndefined();
    expect(classifyRepositoryError(new Error('boom'), create, 'r1')).toBeUndefined();
  });

  it('names the verb and the repository in the message', () => {
    expect(classifyRepositoryError(answered(403, 'Forbidden'), changePlan, 'r1')?.message).toBe(
      'The Backup Service rejected the plan change of repository r1: Forbidden',
    );
    expect(classifyRepositoryError(answered(400, 'bad'), pause, 'repo-x')?.message).toContain(
      'rejected pause of repository repo-x',
    );
  });

  it('a ConnectionError is a refusal with its code and no re-check (a Secret change retries)', () => {
    const err = new ConnectionError(CONNECTION_ERROR_CODES.secretNotFound, 'Secret cb-admin not found');
    for (const action of [create, undefined]) {
      const refusal = classifyRepositoryError(err, action, 'r1');
      expect(refusal).toEqual({ reason: 'SecretNotFound', message: 'Secret cb-admin not found' });
      expect(refusal?.recheckAfterMs).toBeUndefined();
    }
  });

  it('waiting for the first poll waits quietly (the poll re-enqueues the repository)', () => {
    expect(classifyRepositoryError(new WaitingForPollError('first poll', false), undefined, 'r1')).toEqual({
      reason: 'WaitingForService',
      message: 'first poll',
      waiting: true,
    });
  });

  it('a stale observation is ServiceUnreachable, waiting for the service (no re-check of its own)', () => {
    expect(classifyRepositoryError(new ObservationStaleError('old poll'), undefined, 'r1')).toEqual({
      reason: 'ServiceUnreachable',
      message: 'old poll',
      waiting: true,
    });
  });

  it('an unsupported plan change is a refusal without re-check', () => {
    expect(classifyRepositoryError(new PlanChangeUnsupportedError('old server'), changePlan, 'r1')).toEqual({
      reason: 'PlanChangeUnsupported',
      message: 'old server',
    });
  });
});
