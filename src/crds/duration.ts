// Go-style durations as metav1.Duration accepts them, limited to units that make sense for polling.
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Milliseconds of a Go-style duration as accepted by spec.pollInterval ("30s", "1m30s", "500ms"). */
export function parseDurationMs(text: string): number {
  if (!new RegExp(DURATION_PATTERN).test(text)) throw new Error(`invalid duration ${JSON.stringify(text)}`);
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return Math.round(total);
}

/** A millisecond count as the shortest Go-style duration that parses back to it ("30s", "1m30s", "1500ms"). */
export function formatDurationMs(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`;
  let rest = ms / 1000;
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  const out = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
  return out || '0s';
}
