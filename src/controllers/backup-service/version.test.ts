import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ServiceConnection } from '../service-connections.ts';
import { createVersionReader, VERSION_RECHECK_MS, VERSION_RETRY_MS } from './version.ts';

function fakeConnection(identity: string, answers: (() => Promise<{ implementationVersion: string }>)[]) {
  let calls = 0;
  const connection = {
    identity,
    clusterManager: () => ({
      getPools: () => {
        const answer = answers[Math.min(calls, answers.length - 1)] as () => Promise<{
          implementationVersion: string;
        }>;
        calls++;
        return answer();
      },
      close: async () => {},
    }),
  } as unknown as ServiceConnection;
  return { connection, calls: () => calls };
}

describe('createVersionReader', () => {
  const log = pino({ level: 'silent' });
  const signal = new AbortController().signal;
  const v76 = async () => ({ implementationVersion: '7.6.2-3721-enterprise' });
  const v80 = async () => ({ implementationVersion: '8.0.0-3777-enterprise' });
  const down = async () => {
    throw new Error('connect ECONNREFUSED');
  };

  it('reads once per identity, again after an hour or on a new identity', async () => {
    let now = 0;
    const reader = createVersionReader({ now: () => now });
    const a = fakeConnection('a', [v76, v80]);
    expect(await reader.read('uid', a.connection, signal, log)).toEqual({
      version: '7.6.2-3721-enterprise',
      profile: '7.6',
    });
    now += VERSION_RECHECK_MS - 1;
    await reader.read('uid', a.connection, signal, log);
    expect(a.calls()).toBe(1);
    now += 1;
    expect((await reader.read('uid', a.connection, signal, log))?.profile).toBe('8.0');
    expect(a.calls()).toBe(2);
    const b = fakeConnection('b', [v76]);
    await reader.read('uid', b.connection, signal, log);
    expect(b.calls()).toBe(1);
  });

  it('never throws; a failed read waits before it is tried again', async () => {
    let now = 0;
    const reader = createVersionReader({ now: () => now });
    const c = fakeConnection('c', [down, v80]);
    expect(await reader.read('uid', c.connection, signal, log)).toBeUndefined();
    now += VERSION_RETRY_MS - 1;
    expect(await reader.read('uid', c.connection, signal, log)).toBeUndefined();
    expect(c.calls()).toBe(1);
    now += 1;
    expect((await reader.read('uid', c.connection, signal, log))?.version).toBe('8.0.0-3777-enterprise');
  });
});
