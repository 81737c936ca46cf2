import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.ts';

/** An emulator on an ephemeral port with its own data and archive directories. */
export interface TestEmulator {
  emulator: Emulator;
  /** A directory that repositories can use as their archive location (absolute, writable, empty). */
  archiveDir: string;
  close(): Promise<void>;
}

/** Starts an emulator for one test file; `close()` stops it and removes its directories. */
export async function startTestEmulator(options: Partial<EmulatorOptions> = {}): Promise<TestEmulator> {
  const dir = await mkdtemp(join(tmpdir(), 'cbbs-emulator-'));
  const emulator = await createEmulator({ dataDir: join(dir, 'data'), ...options });
  return {
    emulator,
    archiveDir: join(dir, 'archive'),
    async close() {
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
