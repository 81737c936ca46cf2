import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ServiceConnection } from '../service-connections.ts';
import { createVersionReader, VERSION_RECHECK_MS, VERSION_RETRY_MS } from './version.ts';

type Answer = () => Promise<{ implementationVersion: string }>;

function fakeConnection(identity: string, answers: Answer[]) {
  let calls = 0;
  const connection = {
    identity,
    clusterManager: () => ({
      getPools: () => (answers[Math.min(calls++, answers.length - 1)] as Answer)(),
      close: async () => {},
    }),
  } as unknown as ServiceConnection;
  return { connection, calls: () => calls };
}

describe('createVersionReader', () => {
  const log = pino({ level: 'silent' });
  const v76: Answer = async () => ({ implementationVersion: '7.6.2-3721-enterprise' });
  const v80: Answer = async () => ({ implementationVersion: '8.0.0-3777-enterprise' });
  const down: Answer = async () => {
    throw new Error('connect ECONNREFUSED');
  };
  const never: Answer = () => new Promise(() => {});

  it('reads once per identity in the background, again after an hour or on a new identity', async () => {
    let now = 0;
    const reader = createVersionReader({ now: () => now });
    const a = fakeConnection('a', [v76, v80]);
    expect(reader.current('uid', a.connection, log)).toBeUndefined();
    await reader.idle();
    expect(reader.current('uid', a.connection, log)).toEqual({
      version: '7.6.2-3721-enterprise',
      profile: '7.6',
    });
    now += VERSION_RECHECK_MS - 1;
    reader.current('uid', a.connection, log);
    expect(a.calls()).toBe(1);
    now += 1;
    expect(reader.current('uid', a.connection, log)?.profile).toBe('7.6');
    await reader.idle();
    expect(reader.current('uid', a.connection, log)?.profile).toBe('8.0');
    expect(a.calls()).toBe(2);
    const b = fakeConnection('b', [v76]);
    expect(reader.current('uid', b.connection, log)).toBeUndefined();
    await reader.idle();
    expect(b.calls()).toBe(1);
  });

  it('never throws; a failed read waits before it is tried again', async () => {
    let now = 0;
    const reader = createVersionReader({ now: () => now });
    const c = fakeConnection('c', [down, v80]);
    reader.current('uid', c.connection, log);
    await reader.idle();
    now += VERSION_RETRY_MS - 1;
    expect(reader.current('uid', c.connection, log)).toBeUndefined();
    expect(c.calls()).toBe(1);
    now += 1;
    reader.current('uid', c.connection, log);
    await reader.idle();
    expect(reader.current('uid', c.connection, log)?.version).toBe('8.0.0-3777-enterprise');
  });

  it('never waits for a cluster manager that does not answer, and asks it only once meanwhile', () => {
    const reader = createVersionReader({ now: () => 0 });
    const d = fakeConnection('d', [never]);
    for (let i = 0; i < 5; i++) expect(reader.current('uid', d.connection, log)).toBeUndefined();
    expect(d.calls()).toBe(1);
  });
});
