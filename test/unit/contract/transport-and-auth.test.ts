import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BackupClient, BACKUP_API_ERROR_CODES as C } from '../../../src/backup-api/index.ts';
import { startTestEmulator, type TestEmulator } from '../../harness/emulator.ts';
import { ADMIN, clientFor, type EmulatorControl, emulatorControl } from './contract-support.ts';

// Error mapping, retries, faults, base paths and failover of the client against a real emulator.

let t: TestEmulator;
let emu: EmulatorControl;
let url = '';
const clients: BackupClient[] = [];

/** A client that is closed after the file. */
const track = (c: BackupClient): BackupClient => {
  clients.push(c);
  return c;
};

beforeAll(async () => {
  t = await startTestEmulator({
    profile: '7.6',
    users: [
      { name: 'admin', password: 'password', role: 'admin' },
      { name: 'ro', password: 'ropass', role: 'ro_admin' },
      { name: 'bk', password: 'bkpass', role: 'backup_admin' },
    ],
  });
  url = t.emulator.url;
  emu = emulatorControl(url);
});
afterEach(async () => {
  await emu.clearFaults();
  await emu.clearRequests();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await t.close();
});

/** Requests the emulator logged for a method and path prefix. */
async function logged(method: string, path: string) {
  return (await emu.requests({ method, path })).entries;
}

/** A port on 127.0.0.1 nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('authentication and authorisation', () => {
  it('a wrong password → BSVC_UNAUTHORIZED, not retried', async () => {
    const client = track(clientFor(url, { auth: { username: 'admin', password: 'wrong' } }));
    await expect(client.getConfig()).rejects.toMatchObject({
      code: C.unauthorized,
      status: 401,
      retryable: false,
    });
    expect(await logged('GET', '/api/v1/config')).toHaveLength(1);
  });

  it('an unknown user → BSVC_UNAUTHORIZED; the message never carries the password', async () => {
    const client = track(clientFor(url, { auth: { username: 'nobody', password: 's3cret-pw' } }));
    const err = await client.listPlans().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: C.unauthorized });
    expect(String((err as Error).message)).not.toContain('s3cret-pw');
  });

  it('ro_admin may read (7.6) but writing → BSVC_FORBIDDEN with the cbauth permissions', async () => {
    const ro = track(clientFor(url, { auth: { username: 'ro', password: 'ropass' } }));
    expect((await ro.getConfig()).history_rotation_size).toBe(50);
    await expect(ro.updateConfig({ history_rotation_size: 10 })).rejects.toMatchObject({
      code: C.forbidden,
      status: 403,
      msg: 'Forbidden. User needs one of the following permissions',
      permissions: ['cluster.backup!all'],
    });
    await expect(ro.createPlan('p', { tasks: [] })).rejects.toMatchObject({ code: C.forbidden });
  });

  it('backup_admin may write the backup API', async () => {
    const bk = track(clientFor(url, { auth: { username: 'bk', password: 'bkpass' } }));
    await bk.updateConfig({ history_rotation_size: 50 }, { method: 'PATCH' });
  });
});

describe('server errors and injected faults', () => {
  it('a GET answered 503 once is retried and succeeds', async () => {
    await emu.setFaults({
      rules: [{ method: 'GET', path: '/api/v1/config', errorRate: 1, errorStatus: 503 }],
    });
    // The retry wait is where the fault goes away: deterministic, no probability involved.
    const client = track(clientFor(url, { sleep: async () => void (await emu.clearFaults()) }));
    expect((await client.getConfig()).history_rotation_size).toBe(50);
    expect((await logged('GET', '/api/v1/config')).map((e) => e.status)).toEqual([503, 200]);
  });

  it('a GET answered 503 every time → BSVC_UNAVAILABLE after `attempts` tries', async () => {
    await emu.setFaults({ rules: [{ path: '/api/v1/plan', errorRate: 1, errorStatus: 503 }] });
    const client = track(clientFor(url));
    await expect(client.listPlans()).rejects.toMatchObject({
      code: C.unavailable,
      status: 503,
      msg: 'service unavailable',
      extras: 'injected fault',
      retryable: true,
    });
    expect(await logged('GET', '/api/v1/plan')).toHaveLength(3);
  });

  it('a POST answered 503 is not repeated (it may have started work)', async () => {
    await emu.setFaults({ rules: [{ method: 'POST', errorRate: 1, errorStatus: 503 }] });
    const client = track(clientFor(url));
    await expect(client.updateConfig({ history_rotation_size: 40 })).rejects.toMatchObject({
      code: C.unavailable,
    });
    expect(await logged('POST', '/api/v1/config')).toHaveLength(1);
  });

  it('an injected 500 on a GET → BSVC_INTERNAL, not retried', async () => {
    await emu.setFaults({ rules: [{ path: '/api/v1/cluster/self', errorRate: 1, errorStatus: 500 }] });
    const client = track(clientFor(url));
    await expect(client.getClusterInfo()).rejects.toMatchObject({ code: C.internal, status: 500 });
    expect(await logged('GET', '/api/v1/cluster/self')).toHaveLength(1);
  });

  it('the paused service (leader lost) → BSVC_UNAVAILABLE "backup service is paused"', async () => {
    await emu.setFaults({ servicePaused: true });
    const client = track(clientFor(url, { retry: { attempts: 1 } }));
    await expect(client.getClusterInfo()).rejects.toMatchObject({
      code: C.unavailable,
      msg: 'backup service is paused',
    });
  });

  it('a connection reset on a GET is retried; persistent resets → BSVC_CONNECTION', async () => {
    await emu.setFaults({ rules: [{ method: 'GET', path: '/api/v1/config', resetRate: 1 }] });
    const flaky = track(clientFor(url, { sleep: async () => void (await emu.clearFaults()) }));
    expect((await flaky.getConfig()).history_rotation_size).toBe(50);
    expect((await logged('GET', '/api/v1/config')).map((e) => e.status)).toEqual([-1, 200]);

    await emu.setFaults({ rules: [{ method: 'GET', path: '/api/v1/config', resetRate: 1 }] });
    await emu.clearRequests();
    const client = track(clientFor(url));
    await expect(client.getConfig()).rejects.toMatchObject({ code: C.connection, status: 0 });
    expect(await logged('GET', '/api/v1/config')).toHaveLength(3);
  });

  it('a connection reset on a POST → BSVC_CONNECTION, sent once', async () => {
    await emu.setFaults({ rules: [{ method: 'POST', path: '/api/v1/config', resetRate: 1 }] });
    const client = track(clientFor(url));
    await expect(client.updateConfig({ history_rotation_size: 40 })).rejects.toMatchObject({
      code: C.connection,
    });
    expect(await logged('POST', '/api/v1/config')).toHaveLength(1);
  });

  it('a truncated JSON body → BSVC_BAD_RESPONSE, not retried', async () => {
    await emu.setFaults({ rules: [{ path: '/api/v1/plan', malformedRate: 1 }] });
    const client = track(clientFor(url));
    await expect(client.listPlans()).rejects.toMatchObject({
      code: C.badResponse,
      status: 200,
      msg: 'response body is not valid JSON',
      retryable: false,
    });
    expect(await logged('GET', '/api/v1/plan')).toHaveLength(1);
  });

  it('the fault switch authFailure → BSVC_UNAUTHORIZED even with good credentials', async () => {
    await emu.setFaults({ authFailure: true });
    await expect(track(clientFor(url)).getConfig()).rejects.toMatchObject({ code: C.unauthorized });
  });

  it('a per-call timeout shorter than injected latency → BSVC_TIMEOUT', async () => {
    await emu.setFaults({ rules: [{ path: '/api/v1/config', latencyMs: 300 }] });
    const client = track(clientFor(url, { timeoutMs: 50, retry: { attempts: 1 } }));
    await expect(client.getConfig()).rejects.toMatchObject({ code: C.timeout });
  });

  it('a bad cluster name in the path → 400 "Remote clusters not supported" (raw check of the route)', async () => {
    const res = await fetch(`${url}/api/v1/cluster/other`, {
      headers: { authorization: `Basic ${Buffer.from('admin:password').toString('base64')}` },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ msg: 'Remote clusters not supported' });
  });
});

describe('base paths and failover', () => {
  it.each([
    ['the service port', ''],
    ['the service port with /api/v1 given', '/api/v1'],
    ['the cluster-manager proxy', '/_p/backup'],
  ])('%s serves every call', async (_what, suffix) => {
    const client = track(clientFor(`${url}${suffix}`));
    const name = `via${suffix.replaceAll(/[^a-z]/g, '') || 'port'}`;
    await client.createPlan(name, {
      tasks: [
        {
          name: 't',
          task_type: 'BACKUP',
          schedule: { job_type: 'BACKUP', frequency: 1, period: 'DAYS' },
        },
      ],
    });
    expect((await client.getPlan(name)).name).toBe(name);
    expect((await client.getClusterInfo()).name).toBe('self');
    const prefix = suffix === '/_p/backup' ? '/_p/backup/api/v1' : '/api/v1';
    const posts = await logged('POST', `${prefix}/plan/${name}`);
    expect(posts.map((e) => e.status)).toEqual([200]);
  });

  it('fails over from a closed port to the emulator for GETs and POSTs, then prefers the emulator', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const client = track(
      clientFor(dead, { urls: [dead, `${url}/_p/backup`], auth: ADMIN, sleep: async () => undefined }),
    );
    expect((await client.getConfig()).history_rotation_size).toBeGreaterThan(0);
    expect(client.activeNode()).toBe(`${url}/_p/backup`);
    await client.updateConfig({ history_rotation_size: 50 });
    expect(await logged('POST', '/_p/backup/api/v1/config')).toHaveLength(1);
  });

  it('all nodes down → BSVC_CONNECTION (not sent)', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const client = track(clientFor(dead, { sleep: async () => undefined }));
    await expect(client.getConfig()).rejects.toMatchObject({ code: C.connection, status: 0 });
  });
});
