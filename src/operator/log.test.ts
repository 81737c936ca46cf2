import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './log.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      cb();
    },
  });
  return { lines, log: createLogger({ level: 'debug', destination }) };
}

describe('createLogger', () => {
  it.each([
    { reason: 'top-level password', fields: { password: 's3cret' }, path: ['password'] },
    {
      reason: 'nested credentials',
      fields: { auth: { username: 'admin', password: 's3cret' } },
      path: ['auth', 'password'],
    },
    {
      reason: 'request authorization header',
      fields: { req: { headers: { authorization: 'Basic s3cret' } } },
      path: ['req', 'headers', 'authorization'],
    },
    { reason: 'Secret data', fields: { secret: { data: { password: 'czNjcmV0' } } }, path: ['secret'] },
    {
      reason: 'cloud secret key',
      fields: { body: { cloud_credentials_key: 's3cret' } },
      path: ['body', 'cloud_credentials_key'],
    },
  ])('redacts $reason', ({ fields, path }) => {
    const { lines, log } = capture();
    log.info(fields, 'msg');
    let value: unknown = lines[0];
    for (const p of path) value = (value as Record<string, unknown>)[p];
    expect(value).toBe('[REDACTED]');
    expect(JSON.stringify(lines[0])).not.toContain('s3cret');
    expect(JSON.stringify(lines[0])).not.toContain('czNjcmV0');
  });

  it('writes the level as a label and keeps child bindings', () => {
    const { lines, log } = capture();
    log.child({ controller: 'backupplan', namespace: 'ns', name: 'p', reconcileID: 'r1' }).warn('hello');
    expect(lines[0]).toMatchObject({
      level: 'warn',
      controller: 'backupplan',
      namespace: 'ns',
      name: 'p',
      reconcileID: 'r1',
      msg: 'hello',
    });
  });
});

describe('error serialization', () => {
  it('keeps an API error to its code and Status message, without body or headers', () => {
    const { lines, log } = capture();
    const err = Object.assign(new Error('HTTP-Code: 429 Body: {...} Headers: {...}'), {
      name: 'ApiException',
      code: 429,
      body: JSON.stringify({
        kind: 'Status',
        reason: 'TooManyRequests',
        message: 'storage is (re)initializing',
      }),
      headers: { 'audit-id': 'x' },
    });
    log.warn({ err }, 'list failed');
    expect(lines[0]?.err).toEqual({
      type: 'ApiException',
      code: 429,
      reason: 'TooManyRequests',
      message: 'storage is (re)initializing',
    });
  });

  it('keeps ordinary errors with their stack', () => {
    const { lines, log } = capture();
    log.error({ err: new TypeError('boom') }, 'failed');
    expect(lines[0]?.err).toMatchObject({ type: 'TypeError', message: 'boom' });
    expect(JSON.stringify(lines[0])).toContain('TypeError: boom');
  });
});
