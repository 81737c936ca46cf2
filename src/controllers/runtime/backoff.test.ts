import { describe, expect, it } from 'vitest';
import { createBackoff } from './backoff.ts';

describe('createBackoff', () => {
  it.each([
    {
      reason: 'doubles from the base delay',
      opts: { baseMs: 1000, maxMs: 300_000 },
      want: [1000, 2000, 4000, 8000],
    },
    { reason: 'is capped at maxMs', opts: { baseMs: 1000, maxMs: 3000 }, want: [1000, 2000, 3000, 3000] },
    {
      reason: 'honours a custom factor',
      opts: { baseMs: 10, maxMs: 1000, factor: 3 },
      want: [10, 30, 90, 270],
    },
  ])('$reason', ({ opts, want }) => {
    const b = createBackoff({ ...opts, random: () => 0.5 });
    expect(want.map(() => b.next('k'))).toEqual(want);
    expect(b.failures('k')).toBe(want.length);
  });

  it('forget resets one key and leaves the others alone', () => {
    const b = createBackoff({ baseMs: 100, maxMs: 10_000, jitter: 0 });
    b.next('a');
    b.next('a');
    b.next('b');
    b.forget('a');
    expect(b.failures('a')).toBe(0);
    expect(b.next('a')).toBe(100);
    expect(b.next('b')).toBe(200);
  });

  it.each([
    { reason: 'lowest random gives -jitter', random: 0, want: 800 },
    { reason: 'highest random gives +jitter', random: 0.999999, want: 1200 },
  ])('jitter spreads the delay: $reason', ({ random, want }) => {
    const b = createBackoff({ baseMs: 1000, maxMs: 10_000, jitter: 0.2, random: () => random });
    expect(b.next('k')).toBe(want);
  });

  it('jitter never exceeds maxMs', () => {
    const b = createBackoff({ baseMs: 1000, maxMs: 1000, jitter: 0.5, random: () => 0.999 });
    expect(b.next('k')).toBe(1000);
  });

  it('does not overflow after very many failures', () => {
    const b = createBackoff({ baseMs: 1, maxMs: 5000, jitter: 0 });
    let last = 0;
    for (let i = 0; i < 5000; i++) last = b.next('k');
    expect(last).toBe(5000);
  });
});
