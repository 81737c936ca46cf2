import { afterEach, describe, expect, it, vi } from 'vitest';
import { deadline } from './deadline.ts';

describe('deadline', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts with a TimeoutError when the time runs out', () => {
    vi.useFakeTimers();
    const d = deadline(100);
    vi.advanceTimersByTime(99);
    expect(d.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(d.signal.aborted).toBe(true);
    expect((d.signal.reason as DOMException).name).toBe('TimeoutError');
    expect(d.timedOut()).toBe(true);
  });

  it('aborts with the parent, at once when the parent already has', () => {
    const parent = new AbortController();
    const d = deadline(10_000, parent.signal);
    parent.abort(new Error('shutdown'));
    expect(d.signal.reason).toEqual(new Error('shutdown'));
    expect(d.timedOut()).toBe(false);
    // Its timer running out afterwards is no timeout.
    vi.useFakeTimers();
    const undisposed = deadline(
      100,
      (() => {
        const p = new AbortController();
        p.abort(new Error('first'));
        return p.signal;
      })(),
    );
    vi.advanceTimersByTime(200);
    expect(undisposed.timedOut()).toBe(false);
    d.dispose();
    const late = deadline(10_000, parent.signal);
    expect(late.signal.aborted).toBe(true);
    late.dispose();
  });

  it('once disposed, holds no timer and no listener on the parent', () => {
    vi.useFakeTimers();
    const parent = new AbortController();
    const added = vi.spyOn(parent.signal, 'addEventListener');
    const removed = vi.spyOn(parent.signal, 'removeEventListener');
    const d = deadline(100, parent.signal);
    expect(vi.getTimerCount()).toBe(1);
    d.dispose();
    expect(vi.getTimerCount()).toBe(0);
    expect(removed).toHaveBeenCalledWith('abort', added.mock.calls[0]?.[1]);
    vi.advanceTimersByTime(1_000);
    parent.abort();
    expect(d.signal.aborted).toBe(false);
  });
});
