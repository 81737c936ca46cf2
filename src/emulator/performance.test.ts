import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from './test-support.ts';

// The emulator runs in its own process (as users run it) so the client's cost is not counted.
let child: ChildProcess;
let base = '';
const auth = basic('admin', 'password');

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cbbs-emu-perf-'));
  child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'main.ts'), '--data-dir', dir, '--port', '0', '--manual-clock'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', () => reject(new Error(out)));
  });
  for (let i = 0; i < 1000; i++) {
    const res = await fetch(`${base}/api/v1/cluster/self/repository/active/repo-${i}`, {
      method: 'POST',
      headers: { authorization: auth },
      body: JSON.stringify({ plan: '_hourly_backups', archive: join(dir, 'archive') }),
    });
    if (res.status !== 200) throw new Error(await res.text());
  }
}, 60_000);
afterAll(() => {
  child.kill('SIGKILL');
});

async function rate(encoding: string, total: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const get = () =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        `${base}/api/v1/cluster/self`,
        { headers: { authorization: auth, 'accept-encoding': encoding }, agent },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next++ < total) expect(await get()).toBe(200);
    }),
  );
  agent.destroy();
  return total / ((performance.now() - started) / 1000);
}

describe('GET /cluster/self with 1,000 repositories', () => {
  it('returns every repository', async () => {
    const res = await fetch(`${base}/api/v1/cluster/self`, { headers: { authorization: auth } });
    expect(Object.keys(((await res.json()) as { active: object }).active)).toHaveLength(1000);
  });

  it.each(['identity', 'gzip'])(
    'sustains well over 500 requests/s (%s)',
    async (encoding) => {
      expect(await rate(encoding, 2000)).toBeGreaterThan(500);
    },
    30_000,
  );
});
