import { describe, expect, it } from 'vitest';
import { classifySendFailure } from './send-failure.ts';

describe('classifySendFailure', () => {
  it.each([
    { reason: 'no response: may have arrived', status: 0, msg: 'no complete response', want: 'unknown' },
    { reason: 'bad gateway: the proxy may have forwarded it', status: 502, msg: 'HTTP 502', want: 'unknown' },
    { reason: 'gateway timeout: same', status: 504, msg: 'HTTP 504', want: 'unknown' },
    { reason: 'service paused', status: 503, msg: 'backup service is paused', want: 'transient' },
    { reason: 'rate limited', status: 429, msg: 'HTTP 429', want: 'transient' },
    {
      reason: '500 with a service body (bucket check)',
      status: 500,
      msg: 'could not send task',
      want: 'permanent',
    },
    { reason: '500 with an empty body', status: 500, msg: 'HTTP 500', want: 'transient' },
    { reason: 'unauthorized', status: 401, msg: 'HTTP 401', want: 'permanent' },
    {
      reason: 'forbidden',
      status: 403,
      msg: 'Forbidden. User needs one of the following permissions',
      want: 'permanent',
    },
    { reason: 'invalid body', status: 400, msg: 'invalid', want: 'permanent' },
    { reason: 'repository gone', status: 404, msg: 'repository does not exist', want: 'permanent' },
    { reason: 'another 5xx', status: 507, msg: 'HTTP 507', want: 'transient' },
    // A 2xx the client could not read (BSVC_BAD_RESPONSE): the service accepted the request, so a
    // task may exist; sending again could start a second one.
    {
      reason: 'a 200 with a truncated body',
      status: 200,
      msg: 'response body is not valid JSON',
      want: 'unknown',
    },
    { reason: 'a 200 with another shape', status: 200, msg: 'unexpected response shape', want: 'unknown' },
    { reason: 'a 201 with an empty body', status: 201, msg: 'unexpected response shape', want: 'unknown' },
  ])('$reason', ({ status, msg, want }) => {
    expect(classifySendFailure({ status, msg })).toBe(want);
  });
});
