import type { ProgressListener } from './contract.ts';

/** Counts work done against a known total and reports strictly increasing whole percentages. */
export interface ProgressMeter {
  advance(units: number): void;
  /** Reports 100 (once). */
  done(): void;
}

/** A meter over `total` units that calls `listener` (if any) only when the percentage grows. */
export function createProgressMeter(total: number, listener: ProgressListener | undefined): ProgressMeter {
  let doneUnits = 0;
  let reported = -1;
  const report = (percent: number): void => {
    if (listener === undefined || percent <= reported) return;
    reported = percent;
    listener(percent);
  };
  report(0);
  return {
    advance(units) {
      doneUnits += units;
      // 100 is kept for done(): work is not finished until the caller says so.
      report(total <= 0 ? 0 : Math.min(99, Math.floor((doneUnits * 100) / total)));
    },
    done() {
      report(100);
    },
  };
}
