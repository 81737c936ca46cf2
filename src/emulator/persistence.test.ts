import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TaskRun } from './model.ts';
import { basic, simplePlan, startEmulator } from './test-support.ts';

const R = '/api/v1/cluster/self/repository';

describe('persistence', () => {
  it('close + restart on the same dataDir keeps plans, repositories, history, config, clock and documents', async () => {
    const a = await startEmulator({ clock: { mode: 'manual', start: '2025-01-01T00:00:00Z' } });
    a.emulator.data.createBucket({ name: 'b1' });
    a.emulator.data.upsertDocument(
      { bucket: 'b1', scope: '_default', collection: '_default', key: 'k' },
      { v: 1 },
    );
    await a.call('POST', '/api/v1/plan/p1', simplePlan());
    await a.call('POST', `${R}/active/r1`, { plan: 'p1', archive: a.archive, bucket_name: 'b1' });
    await a.call('POST', '/api/v1/config', { history_rotation_size: 7 });
    await a.call('POST', `${R}/active/r1/backup`, { full_backup: true });
    await a.emulator.idle();
    await a.emulator.clock.advance(30 * 60_000);
    const cluster = (await a.call('GET', '/api/v1/cluster/self')).json;
    await a.emulator.close();

    const b = await startEmulator({ dataDir: a.dir, clock: { mode: 'manual' } });
    try {
      expect((await b.call('GET', '/api/v1/cluster/self')).json).toEqual(cluster);
      expect((await b.call('GET', '/api/v1/plan/p1')).status).toBe(200);
      expect((await b.call('GET', '/api/v1/config')).json).toEqual({ history_rotation_size: 7 });
      expect(((await b.call('GET', `${R}/active/r1/taskHistory`)).json as unknown[]).length).toBe(1);
      expect(b.emulator.clock.now().toISOString()).toBe('2025-01-01T00:30:00.000Z');
      expect(b.emulator.data.getBucket('b1')).toBeDefined();
      expect(((await b.call('GET', `${R}/active/r1/info`)).json as { count: number }).count).toBe(1);
      // The schedule keeps running after the restart.
      await b.emulator.clock.advance(31 * 60_000);
      await b.emulator.idle();
      expect(((await b.call('GET', `${R}/active/r1/taskHistory`)).json as unknown[]).length).toBe(2);
    } finally {
      await b.emulator.close();
    }
  });

  it('kill -9 loses nothing answered 200; the running task becomes failed "orphaned"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cbbs-emu-kill-'));
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'main.ts'), '--data-dir', dir, '--port', '0', '--manual-clock'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on (\S+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.once('exit', () => reject(new Error(`emulator exited: ${out}`)));
    });
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${url}${path}`, {
        method,
        headers: { authorization: basic('admin', 'password') },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    expect((await call('POST', '/api/v1/plan/p1', simplePlan())).status).toBe(200);
    expect((await call('POST', `${R}/active/r1`, { plan: 'p1', archive: join(dir, 'archive') })).status).toBe(
      200,
    );
    expect((await call('PATCH', '/_emulator/faults', { taskDelayMs: 60_000 })).status).toBe(200);
    const trig = await call('POST', `${R}/active/r1/backup`, {});
    expect(trig.status).toBe(200);
    const { task_name } = (await trig.json()) as { task_name: string };
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;

    const b = await startEmulator({ dataDir: dir, clock: { mode: 'manual' } });
    try {
      expect((await b.call('GET', '/api/v1/plan/p1')).status).toBe(200);
      const repo = (await b.call('GET', `${R}/active/r1`)).json as Record<string, unknown>;
      expect(repo.running_one_off).toBeUndefined();
      const runs = (await b.call('GET', `${R}/active/r1/taskHistory`)).json as TaskRun[];
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ task_name, status: 'failed' });
      expect(runs[0]?.error).toMatch(/orphaned/);
    } finally {
      await b.emulator.close();
    }
  });
});
