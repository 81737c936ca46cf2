import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageRuntime } from '../../bench/lib/image-runtime.ts';

const root = join(import.meta.dirname, '..', '..');

// An HTTP/1 exchange through undici's Pool, as the Backup Service client makes them: the first one
// compiles llhttp's WebAssembly, where a flag such as --liftoff-only would abort the process.
const script = `
const http = require('node:http');
const { Pool } = require('undici');
const server = http.createServer((_, res) => res.end('{"ok":true}')).listen(0, async () => {
  const pool = new Pool('http://127.0.0.1:' + server.address().port);
  let body = '';
  for (let i = 0; i < 50; i++) body = await (await pool.request({ path: '/', method: 'GET' })).body.text();
  console.log(body);
  await pool.close();
  server.close();
});
`;

describe("the image's Node flags and environment", () => {
  it('run HTTP/1 requests through undici without aborting', () => {
    const { nodeFlags, env } = imageRuntime();
    expect(nodeFlags).toContain('--max-semi-space-size=1');
    const run = spawnSync(process.execPath, [...nodeFlags, '-e', script], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe('{"ok":true}');
  });
});
