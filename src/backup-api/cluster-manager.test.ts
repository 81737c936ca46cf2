import { describe, expect, it } from 'vitest';
import { profileAtLeast, profileOfVersion } from './cluster-manager.ts';

describe('profileOfVersion', () => {
  it.each([
    ['7.0.5-7659-enterprise', '7.2'],
    ['7.2.4-7070-enterprise', '7.2'],
    ['7.6.2-3721-enterprise', '7.6'],
    ['7.6.0-2176-community', '7.6'],
    ['8.0.0-3777-enterprise', '8.0'],
    ['8.1.0-1000-enterprise', '8.0'],
    ['9.0.0', '8.0'],
  ])('%s → %s', (version, profile) => {
    expect(profileOfVersion(version)).toBe(profile);
  });

  it('is undefined for text that is no version', () => {
    expect(profileOfVersion('')).toBeUndefined();
    expect(profileOfVersion('enterprise')).toBeUndefined();
  });

  it('orders the profiles', () => {
    expect(profileAtLeast('8.0', '8.0')).toBe(true);
    expect(profileAtLeast('7.6', '8.0')).toBe(false);
    expect(profileAtLeast('7.6', '7.2')).toBe(true);
  });
});
