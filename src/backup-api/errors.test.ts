import { describe, expect, it } from 'vitest';
import {
  BackupApiError,
  type BackupApiErrorCode,
  CREATE_REPOSITORY_ENDPOINT,
  classifyTransportError,
  codeForStatus,
  describeAnswer,
  errorFromResponse,
  isNotFound,
  mayBePlanNotFound,
  serverMessage,
  serverText,
} from './errors.ts';

function errnoError(code: string, extra: object = {}): Error {
  return Object.assign(new Error(code), { code }, extra);
}

describe('codeForStatus', () => {
  it.each<[number, BackupApiErrorCode]>([
    [400, 'BSVC_INVALID'],
    [401, 'BSVC_UNAUTHORIZED'],
    [403, 'BSVC_FORBIDDEN'],
    [404, 'BSVC_NOT_FOUND'],
    [409, 'BSVC_CONFLICT'],
    [500, 'BSVC_INTERNAL'],
    [502, 'BSVC_UNAVAILABLE'],
    [503, 'BSVC_UNAVAILABLE'],
    [504, 'BSVC_UNAVAILABLE'],
    [501, 'BSVC_HTTP_ERROR'],
    [302, 'BSVC_HTTP_ERROR'],
  ])('%i → %s', (status, code) => {
    expect(codeForStatus(status)).toBe(code);
  });
});

describe('errorFromResponse', () => {
  it('takes the code from the status, never from msg', () => {
    const err = errorFromResponse({
      status: 400,
      endpoint: 'DELETE /plan/{name}',
      bodyText: JSON.stringify({ status: 404, msg: 'requested plan not found' }),
    });
    expect(err.code).toBe('BSVC_INVALID');
    expect(err.msg).toBe('requested plan not found');
    expect(err.extras).toBeUndefined();
  });

  it('keeps a long text body short', () => {
    const err = errorFromResponse({
      status: 502,
      endpoint: 'GET /plan',
      bodyText: `<html>${'x'.repeat(5000)}`,
    });
    expect(err.msg.length).toBeLessThanOrEqual(300);
    expect(err.code).toBe('BSVC_UNAVAILABLE');
  });

  it('formats the message with endpoint, status and msg', () => {
    const err = errorFromResponse({ status: 404, endpoint: 'GET /plan/{name}', bodyText: '{"msg":"gone"}' });
    expect(err.message).toBe('GET /plan/{name}: 404 gone');
    expect(err.name).toBe('BackupApiError');
  });
});

describe('classifyTransportError', () => {
  it.each<{ reason: string; err: unknown; code: BackupApiErrorCode; notSent: boolean }>([
    { reason: 'refused', err: errnoError('ECONNREFUSED'), code: 'BSVC_CONNECTION', notSent: true },
    {
      reason: 'refused on every address (happy eyeballs)',
      err: Object.assign(new AggregateError([errnoError('ECONNREFUSED'), errnoError('ECONNREFUSED')]), {
        code: 'ECONNREFUSED',
      }),
      code: 'BSVC_CONNECTION',
      notSent: true,
    },
    { reason: 'DNS failure', err: errnoError('ENOTFOUND'), code: 'BSVC_CONNECTION', notSent: true },
    {
      reason: 'connect timeout',
      err: errnoError('UND_ERR_CONNECT_TIMEOUT'),
      code: 'BSVC_TIMEOUT',
      notSent: true,
    },
    {
      reason: 'headers timeout',
      err: errnoError('UND_ERR_HEADERS_TIMEOUT'),
      code: 'BSVC_TIMEOUT',
      notSent: false,
    },
    { reason: 'reset', err: errnoError('ECONNRESET'), code: 'BSVC_CONNECTION', notSent: false },
    {
      reason: 'socket closed wrapping a reset',
      err: errnoError('UND_ERR_SOCKET', { cause: errnoError('ECONNRESET') }),
      code: 'BSVC_CONNECTION',
      notSent: false,
    },
    {
      reason: 'self-signed',
      err: errnoError('DEPTH_ZERO_SELF_SIGNED_CERT'),
      code: 'BSVC_TLS',
      notSent: true,
    },
    {
      reason: 'unknown CA',
      err: errnoError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      code: 'BSVC_TLS',
      notSent: true,
    },
    { reason: 'hostname', err: errnoError('ERR_TLS_CERT_ALTNAME_INVALID'), code: 'BSVC_TLS', notSent: true },
    { reason: 'no code at all', err: new Error('weird'), code: 'BSVC_CONNECTION', notSent: false },
    { reason: 'not an object', err: 'boom', code: 'BSVC_CONNECTION', notSent: false },
  ])('$reason → $code (notSent $notSent)', ({ err, code, notSent }) => {
    expect(classifyTransportError(err)).toEqual({ code, notSent });
  });
});

describe('helpers', () => {
  const make = (status: number, endpoint: string) =>
    errorFromResponse({ status, endpoint, bodyText: '{"msg":"x"}' });

  it.each([
    { reason: '400 from repository create', err: make(400, CREATE_REPOSITORY_ENDPOINT), expected: true },
    { reason: '404 from repository create', err: make(404, CREATE_REPOSITORY_ENDPOINT), expected: true },
    { reason: '500 from repository create', err: make(500, CREATE_REPOSITORY_ENDPOINT), expected: false },
    { reason: '400 from plan create', err: make(400, 'POST /plan/{name}'), expected: false },
    { reason: 'a plain Error', err: new Error('400'), expected: false },
  ])('mayBePlanNotFound: $reason → $expected', ({ err, expected }) => {
    expect(mayBePlanNotFound(err)).toBe(expected);
  });

  it('isNotFound looks at the code only', () => {
    expect(isNotFound(make(404, 'GET /plan/{name}'))).toBe(true);
    expect(isNotFound(make(400, 'GET /plan/{name}'))).toBe(false);
    expect(isNotFound({ code: 'BSVC_NOT_FOUND' })).toBe(false);
  });

  it('transport errors report status 0 and the code in the message', () => {
    const err = new BackupApiError({ code: 'BSVC_TIMEOUT', status: 0, endpoint: 'GET /config', msg: 'slow' });
    expect(err.message).toBe('GET /config: BSVC_TIMEOUT slow');
    expect(err.retryable).toBe(true);
  });
});

describe('describeAnswer', () => {
  it.each([
    {
      reason: 'status, msg and extras',
      err: { status: 500, code: 'BSVC_INTERNAL', msg: 'could not send task', extras: 'failed bucket check' },
      want: '500 could not send task: failed bucket check',
    },
    {
      reason: 'no response: the code instead of a status',
      err: {
        status: 0,
        code: 'BSVC_TIMEOUT',
        msg: 'no complete response within 10000 ms',
        extras: undefined,
      },
      want: 'BSVC_TIMEOUT no complete response within 10000 ms',
    },
  ] as const)('$reason', ({ err, want }) => {
    expect(describeAnswer(err)).toBe(want);
  });
});

describe('serverMessage and serverText', () => {
  const answer = new BackupApiError({
    code: 'BSVC_INVALID',
    status: 400,
    endpoint: 'POST /plan/{name}',
    msg: 'invalid plan',
    extras: 'unknown task type PRUNE',
  });
  it.each([
    { reason: 'msg and extras', err: answer, want: 'invalid plan: unknown task type PRUNE' },
    { reason: 'msg alone', err: { msg: 'not found', extras: undefined }, want: 'not found' },
    { reason: 'empty extras are left out', err: { msg: 'not found', extras: '' }, want: 'not found' },
  ])('serverMessage: $reason', ({ err, want }) => expect(serverMessage(err)).toBe(want));
  it.each([
    {
      reason: 'a client error: the server words',
      err: answer,
      want: 'invalid plan: unknown task type PRUNE',
    },
    { reason: 'another error: its message', err: new Error('socket hang up'), want: 'socket hang up' },
    { reason: 'not an error: as text', err: 'boom', want: 'boom' },
  ])('serverText: $reason', ({ err, want }) => expect(serverText(err)).toBe(want));
});
