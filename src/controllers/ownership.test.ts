import { describe, expect, it } from 'vitest';
import {
  claimOrder,
  holdsServerObject,
  OWNED_BY_OTHER,
  otherOwner,
  ownerAmong,
  sameServer,
  serviceIdentity,
} from './ownership.ts';
import { reachedServerObject } from './server-owners.ts';

const c = (name: string, creationTimestamp: string, uid: string, holds = false, namespace = 'a') => ({
  namespace,
  name,
  uid,
  creationTimestamp,
  holds,
});

describe('ownerAmong', () => {
  it('is the oldest claimant', () => {
    const owner = ownerAmong([c('new', '2026-01-02T00:00:00Z', '1'), c('old', '2026-01-01T00:00:00Z', '9')]);
    expect(owner?.name).toBe('old');
  });
  it('breaks a tie of whole seconds by uid', () => {
    const t = '2026-01-01T00:00:00Z';
    expect(ownerAmong([c('x', t, 'b'), c('y', t, 'a')])?.name).toBe('y');
  });
  it('prefers the claimant that holds the server object over an older newcomer', () => {
    const owner = ownerAmong([
      c('old', '2026-01-01T00:00:00Z', '1'),
      c('holder', '2026-01-02T00:00:00Z', '2', true),
    ]);
    expect(owner?.name).toBe('holder');
  });
  it('accepts Date creation times and sorts unstamped objects last', () => {
    const dated = { name: 'd', uid: 'z', creationTimestamp: new Date('2026-01-01T00:00:00Z') };
    expect(claimOrder(dated, { name: 'u', uid: 'a' })).toBeLessThan(0);
  });
});

describe('otherOwner', () => {
  const a = c('first', '2026-01-01T00:00:00Z', '1', false, 'team-a');
  const b = c('second', '2026-01-01T00:00:05Z', '2', false, 'team-b');
  it('names the owner for the second claimant, across namespaces or in one', () => {
    expect(otherOwner(b, [a, b])?.name).toBe('first');
    const same = c('again', '2026-01-01T00:00:09Z', '3', false, 'team-a');
    expect(otherOwner(same, [a, same])?.name).toBe('first');
  });
  it('is undefined for the owner and for a sole claimant', () => {
    expect(otherOwner(a, [a, b])).toBeUndefined();
    expect(otherOwner(b, [b])).toBeUndefined();
    expect(otherOwner(b, [])).toBeUndefined();
  });
});

describe('holdsServerObject', () => {
  it.each([
    { reason: 'never reconciled', conditions: undefined, want: false },
    { reason: 'synced', conditions: [{ type: 'Synced', reason: 'Synced' }], want: true },
    {
      reason: 'waiting for its service',
      conditions: [{ type: 'Synced', reason: 'ServiceNotReady' }],
      want: true,
    },
    {
      reason: 'refused as a non-owner',
      conditions: [
        { type: 'Synced', reason: OWNED_BY_OTHER },
        { type: 'Stalled', reason: OWNED_BY_OTHER },
      ],
      want: false,
    },
  ])('$reason', ({ conditions, want }) => {
    expect(holdsServerObject(conditions)).toBe(want);
  });
});

describe('sameServer', () => {
  const svc = (endpoints: string[], nodes: string[] = []) => ({
    spec: { endpoints },
    status: { nodes: nodes.map((uuid) => ({ uuid })) },
  });
  it('matches a shared endpoint, ignoring case and a trailing slash', () => {
    expect(sameServer(svc(['http://CB:8097/']), svc(['http://cb:8097']))).toBe(true);
  });
  it('matches a shared node UUID behind different endpoints', () => {
    expect(sameServer(svc(['http://a:8097'], ['n1']), svc(['https://b:18097'], ['n1', 'n2']))).toBe(true);
  });
  it('tells different services apart', () => {
    expect(sameServer(svc(['http://a:8097'], ['n1']), svc(['http://b:8097'], ['n2']))).toBe(false);
    expect(serviceIdentity(svc(['http://a:8097'], ['n1']))).toEqual(['endpoint:http://a:8097', 'node:n1']);
  });
});

describe('reachedServerObject', () => {
  const synced = (status: string) => ({ status: { conditions: [{ type: 'Synced', status, reason: 'X' }] } });
  const base = { metadata: { name: 'x' }, spec: { serviceRef: { name: 'cb' } } };
  it('a repository that mirrors the server UUID reached it; one that never did, did not', () => {
    expect(reachedServerObject('repositories', { ...base, status: { repo: 'uuid' } })).toBe(true);
    expect(reachedServerObject('repositories', { ...base, ...synced('False') })).toBe(false);
  });
  it('a plan with a Synced verdict reached it; Unknown (it could not look) did not', () => {
    expect(reachedServerObject('plans', { ...base, ...synced('False') })).toBe(true);
    expect(reachedServerObject('plans', { ...base, ...synced('Unknown') })).toBe(false);
    expect(reachedServerObject('plans', base)).toBe(false);
  });
});
