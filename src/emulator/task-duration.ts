/**
 * How long a task stays `running`. A real task starts cbbackupmgr, connects to the cluster and
 * writes metadata before it moves any data, so even a backup of an empty bucket takes seconds
 * (docs/backup-service-api.md §6.5); clients that trigger a task and then look for it running
 * must see it. The emulator does the work at once, then holds the task `running` with its
 * progress moving until the duration has passed.
 */
import type { ClockMode } from './clock.ts';

/** The default minimum: what a backup of an empty bucket takes on a real node. */
export const DEFAULT_MIN_TASK_DURATION_MS = 3_000;

/** Items (documents) a task moves per extra minimum duration: 100,000 items double it. */
export const ITEMS_PER_MIN_DURATION = 100_000;

/** The emulated duration of a task that moved `items` documents (pure; 0 when the minimum is 0). */
export function taskDurationMs(minMs: number, items: number): number {
  if (!(minMs > 0)) return 0;
  return Math.round(minMs * (1 + Math.max(0, items) / ITEMS_PER_MIN_DURATION));
}

/**
 * Real milliseconds to wait for an emulated duration (pure): a scaled clock runs `scale` emulated
 * ms per real ms; a manual clock does not move by itself, so the wait is real time.
 */
export function realWaitMs(emulatedMs: number, mode: ClockMode, scale: number): number {
  if (emulatedMs <= 0) return 0;
  return mode === 'scaled' ? Math.ceil(emulatedMs / scale) : emulatedMs;
}

/** Progress (0..99) after `elapsed` of `total` real ms: 100 is kept for the end of the task. */
export function pacedProgress(elapsedMs: number, totalMs: number): number {
  if (totalMs <= 0) return 99;
  return Math.max(0, Math.min(99, Math.floor((elapsedMs * 100) / totalMs)));
}

/** Settings of the task pacing, changeable at run time through `/_emulator/tasks/duration`. */
export interface TaskDurationSettings {
  /** Minimum emulated milliseconds a task stays running. */
  minTaskDurationMs: number;
}
