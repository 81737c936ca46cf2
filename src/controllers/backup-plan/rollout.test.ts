import { describe, expect, it } from 'vitest';
import type { PlanBody } from '../../backup-api/index.ts';
import {
  decideVersions,
  rolloutProgress,
  type ServerVersion,
  targetVersion,
  type VersionsInput,
} from './rollout.ts';

const body = (frequency: number): PlanBody => ({
  tasks: [
    { name: 'hourly', task_type: 'BACKUP', schedule: { job_type: 'BACKUP', frequency, period: 'HOURS' } },
  ],
});
const v = (name: string, frequency: number, users: string[] = []): ServerVersion => ({
  name,
  plan: body(frequency),
  users,
});
const input = (over: Partial<VersionsInput>): VersionsInput => ({
  base: 'p',
  generation: 2,
  current: 'p',
  desired: body(3),
  versions: [],
  report: false,
  ...over,
});

describe('decideVersions', () => {
  it('creates the base of a new plan', () => {
    expect(decideVersions(input({}))).toEqual({ kind: 'act', action: { kind: 'create', name: 'p' } });
  });
  it('replaces an unused plan in place', () => {
    const d = decideVersions(input({ versions: [v('p', 1)] }));
    expect(d).toMatchObject({ kind: 'act', action: { kind: 'replace', name: 'p' } });
  });
  it('creates <base>-v<generation> for an edit of a plan in use', () => {
    const d = decideVersions(input({ versions: [v('p', 1, ['r1'])] }));
    expect(d).toEqual({ kind: 'act', action: { kind: 'create', name: 'p-v2' } });
  });
  it('publishes the new version before switching anything', () => {
    const d = decideVersions(input({ versions: [v('p', 1, ['r1']), v('p-v2', 3)] }));
    expect(d).toEqual({ kind: 'publish', target: 'p-v2' });
  });
  it('switches each repository on an older version once published, then deletes it', () => {
    const published = input({ current: 'p-v2', versions: [v('p', 1, ['r1', 'r2']), v('p-v2', 3)] });
    expect(decideVersions(published)).toEqual({
      kind: 'act',
      action: { kind: 'switch', repository: 'r1', from: 'p', to: 'p-v2' },
    });
    const switched = input({ current: 'p-v2', versions: [v('p', 1), v('p-v2', 3, ['r1', 'r2'])] });
    expect(decideVersions(switched)).toEqual({ kind: 'act', action: { kind: 'retire', name: 'p' } });
    expect(decideVersions(input({ current: 'p-v2', versions: [v('p-v2', 3, ['r1'])] }))).toEqual({
      kind: 'synced',
    });
  });
  it('needs no publish step when nothing uses the older version', () => {
    const d = decideVersions(input({ versions: [v('p', 1), v('p-v2', 3)] }));
    expect(d).toEqual({ kind: 'act', action: { kind: 'retire', name: 'p' } });
  });
  it('goes back to an older version whose content is the spec again (a revert)', () => {
    const d = decideVersions(
      input({ current: 'p-v2', desired: body(1), versions: [v('p', 1), v('p-v2', 3, ['r1'])] }),
    );
    expect(d).toEqual({ kind: 'publish', target: 'p' });
  });
  it('reports, never writes, a differing plan under driftPolicy Report', () => {
    const d = decideVersions(input({ report: true, versions: [v('p', 1, ['r1'])] }));
    expect(d).toMatchObject({ kind: 'drift' });
  });
  it('replaces the current version when the new one is in use too (the server refuses and says why)', () => {
    const d = decideVersions(input({ current: 'p-v2', generation: 2, versions: [v('p-v2', 5, ['r1'])] }));
    expect(d).toMatchObject({ kind: 'act', action: { kind: 'replace', name: 'p-v2' } });
  });
  it('recreates the published version when it vanished', () => {
    const d = decideVersions(input({ current: 'p-v2', versions: [v('p', 1, ['r1'])] }));
    expect(d).toEqual({ kind: 'act', action: { kind: 'create', name: 'p-v2' } });
  });
});

describe('targetVersion', () => {
  it('prefers the published version, then the current generation, then the newest', () => {
    const all = [v('p', 3), v('p-v1', 3), v('p-v2', 3)];
    expect(targetVersion(input({ current: 'p-v1', versions: all }))).toBe('p-v1');
    expect(targetVersion(input({ current: 'gone', versions: all }))).toBe('p-v2');
    expect(
      targetVersion(input({ current: 'gone', generation: 9, versions: [v('p', 3), v('p-v1', 3)] })),
    ).toBe('p-v1');
    expect(targetVersion(input({ versions: [v('p', 1)] }))).toBeUndefined();
  });
});

describe('rolloutProgress', () => {
  it('lists what is left to retire and to switch', () => {
    expect(rolloutProgress('p-v2', [v('p', 1, ['b', 'a']), v('p-v2', 3, ['c'])])).toEqual({
      serverPlanName: 'p-v2',
      retiring: ['p'],
      switched: ['c'],
      pending: ['a', 'b'],
    });
  });
  it('is undefined without older versions or target', () => {
    expect(rolloutProgress('p', [v('p', 1)])).toBeUndefined();
    expect(rolloutProgress(undefined, [v('p', 1)])).toBeUndefined();
  });
});
