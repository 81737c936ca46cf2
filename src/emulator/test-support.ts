/** Helpers for the emulator's own tests: a started emulator in a temp dir and a tiny HTTP client. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator, type Emulator, type EmulatorOptions } from './emulator.ts';

export interface TestEmulator {
  emulator: Emulator;
  dir: string;
  archive: string;
  /** Calls the emulator; `body` objects are JSON-encoded, strings sent as is. */
  call(
    method: string,
    path: string,
    body?: unknown,
    auth?: string | null,
  ): Promise<{ status: number; json: unknown; text: string }>;
}

/**
 * The task duration every test emulator gets unless it asks for another: tasks complete at once,
 * as the suites were written for. Tests of the running phase set their own (option
 * `minTaskDurationMs` or `PUT /_emulator/tasks/duration`).
 */
export const TEST_MIN_TASK_DURATION_MS = 0;

export const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Starts an emulator on an ephemeral port with a fresh data dir (or the given one). */
export async function startEmulator(options: Partial<EmulatorOptions> = {}): Promise<TestEmulator> {
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cbbs-emu-'));
  const archive = join(dir, 'archive');
  const emulator = await createEmulator({
    minTaskDurationMs: TEST_MIN_TASK_DURATION_MS,
    ...options,
    dataDir: dir,
  });
  const call: TestEmulator['call'] = async (method, path, body, auth = basic('admin', 'password')) => {
    const headers: Record<string, string> = {};
    if (auth !== null) headers.authorization = auth;
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(`${emulator.url}${path}`, init);
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  };
  return { emulator, dir, archive, call };
}

/** A minimal valid plan body with one task. */
export const simplePlan = (overrides: Record<string, unknown> = {}) => ({
  description: 'test plan',
  services: ['data'],
  tasks: [
    {
      name: 'incr',
      task_type: 'BACKUP',
      full_backup: false,
      schedule: { job_type: 'BACKUP', frequency: 1, period: 'HOURS' },
    },
  ],
  ...overrides,
});

/** Polls until `predicate` holds (real time), failing after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T>,
  predicate: (v: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (predicate(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
