import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  ErrorPolicy,
  errorPolicy,
  isConflict,
  isGone,
  isInvalid,
  isNotFound,
  kubeStatus,
  kubeStatusCode,
  TerminalError,
} from './errors.ts';

const status = (code: number, reason: string) =>
  JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code,
    reason,
    message: `x ${reason}`,
  });
const apiErr = (code: number, reason: string) => new ApiException(code, 'msg', status(code, reason), {});

describe('errorPolicy', () => {
  it.each([
    { reason: 'a TerminalError is terminal', err: new TerminalError('bad spec'), want: ErrorPolicy.Terminal },
    {
      reason: 'a TerminalError wrapped in cause is terminal',
      err: new Error('observe plan', { cause: new TerminalError('bad') }),
      want: ErrorPolicy.Terminal,
    },
    { reason: 'a 409 ApiException is a conflict', err: apiErr(409, 'Conflict'), want: ErrorPolicy.Conflict },
    {
      reason: 'a wrapped 409 is a conflict',
      err: new Error('patch status', { cause: apiErr(409, 'Conflict') }),
      want: ErrorPolicy.Conflict,
    },
    { reason: 'a 500 is retried', err: apiErr(500, 'InternalError'), want: ErrorPolicy.Retry },
    {
      reason: 'a network error is retried',
      err: Object.assign(new Error('x'), { code: 'ECONNRESET' }),
      want: ErrorPolicy.Retry,
    },
    { reason: 'a thrown string is retried', err: 'boom', want: ErrorPolicy.Retry },
    { reason: 'undefined is retried', err: undefined, want: ErrorPolicy.Retry },
  ])('$reason', ({ err, want }) => {
    expect(errorPolicy(err)).toBe(want);
  });
});

describe('status predicates', () => {
  it.each([
    { err: apiErr(404, 'NotFound'), notFound: true, conflict: false, gone: false, invalid: false },
    { err: apiErr(409, 'AlreadyExists'), notFound: false, conflict: true, gone: false, invalid: false },
    { err: apiErr(422, 'Invalid'), notFound: false, conflict: false, gone: false, invalid: true },
    {
      err: Object.assign(new Error('Gone'), { statusCode: 410 }),
      notFound: false,
      conflict: false,
      gone: true,
      invalid: false,
    },
  ])('classifies HTTP $err.code$err.statusCode', ({ err, notFound, conflict, gone, invalid }) => {
    expect([isNotFound(err), isConflict(err), isGone(err), isInvalid(err)]).toEqual([
      notFound,
      conflict,
      gone,
      invalid,
    ]);
  });

  it('parses the metav1.Status out of the string body', () => {
    expect(kubeStatus(apiErr(409, 'Conflict'))).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(kubeStatusCode(apiErr(409, 'Conflict'))).toBe(409);
  });

  it('returns undefined for a non-JSON body and for a 401 without body', () => {
    expect(kubeStatus(new ApiException(502, 'x', '<html>bad gateway</html>', {}))).toBeUndefined();
    expect(kubeStatus(new ApiException(401, 'Unauthorized', undefined, {}))).toBeUndefined();
  });
});
