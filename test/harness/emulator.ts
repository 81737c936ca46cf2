import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.ts';
import { TEST_MIN_TASK_DURATION_MS } from '../../src/emulator/test-support.ts';

export { TEST_MIN_TASK_DURATION_MS };

/** An emulator on an ephemeral port with its own data and archive directories. */
export interface TestEmulator {
  emulator: Emulator;
  /** A directory that repositories can use as their archive location (absolute, writable, empty). */
  archiveDir: string;
  close(): Promise<void>;
}

/**
 * Starts an emulator for one test file; `close()` stops it and removes its directories. Tasks
 * complete at once ({@link TEST_MIN_TASK_DURATION_MS}) unless `minTaskDurationMs` says otherwise.
 */
export async function startTestEmulator(options: Partial<EmulatorOptions> = {}): Promise<TestEmulator> {
  const dir = await mkdtemp(join(tmpdir(), 'cbbs-emulator-'));
  const emulator = await createEmulator({
    dataDir: join(dir, 'data'),
    minTaskDurationMs: TEST_MIN_TASK_DURATION_MS,
    ...options,
  });
  return {
    emulator,
    archiveDir: join(dir, 'archive'),
    async close() {
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
