import { describe, expect, it } from 'vitest';
import { pollSawCreation } from './observe.ts';

describe('pollSawCreation', () => {
  const created = '2026-12-01T10:00:00Z';
  it('trusts an absence shown by a poll taken after the object was created', () => {
    expect(pollSawCreation(Date.parse(created) + 1_500, created)).toBe(true);
    expect(pollSawCreation(Date.parse(created) + 1_500, new Date(created))).toBe(true);
  });
  it('confirms it when the poll is older, within the timestamp precision, or the time is unknown', () => {
    expect(pollSawCreation(Date.parse(created) - 10_000, created)).toBe(false);
    expect(pollSawCreation(Date.parse(created) + 900, created)).toBe(false);
    expect(pollSawCreation(Date.parse(created) + 60_000, undefined)).toBe(false);
  });
});
