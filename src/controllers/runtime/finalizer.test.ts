import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startTestApiServer,
  type TestApiServer,
  type TestObject,
} from '../../../test/support/scripted-apiserver.ts';
import { ErrorPolicy, errorPolicy } from './errors.ts';
import {
  addFinalizerPatch,
  ensureFinalizer,
  FinalizerConflictError,
  hasFinalizer,
  isDeleting,
  removeFinalizer,
  removeFinalizerPatch,
} from './finalizer.ts';
import { createCustomResourceClient, createKubeRest } from './kube-client.ts';

const F = 'cbbs.dev/finalizer';
const obj = (finalizers?: string[]) => ({
  metadata: { name: 'n', namespace: 'ns', ...(finalizers ? { finalizers } : {}) },
});

describe('finalizer patches', () => {
  it.each([
    {
      reason: 'no list: test absence, add the list',
      o: obj(),
      want: [
        { op: 'test', path: '/metadata/finalizers', value: null },
        { op: 'add', path: '/metadata/finalizers', value: [F] },
      ],
    },
    {
      reason: 'existing list: test it whole, append',
      o: obj(['other']),
      want: [
        { op: 'test', path: '/metadata/finalizers', value: ['other'] },
        { op: 'add', path: '/metadata/finalizers/-', value: F },
      ],
    },
  ])('add: $reason', ({ o, want }) => {
    expect(addFinalizerPatch(o, F)).toEqual(want);
  });

  it.each([
    { reason: 'absent: nothing to do', o: obj(['other']), want: [] },
    {
      reason: 'present: test and remove at its index',
      o: obj(['other', F]),
      want: [
        { op: 'test', path: '/metadata/finalizers/1', value: F },
        { op: 'remove', path: '/metadata/finalizers/1' },
      ],
    },
  ])('remove: $reason', ({ o, want }) => {
    expect(removeFinalizerPatch(o, F)).toEqual(want);
  });

  it('hasFinalizer and isDeleting', () => {
    expect(hasFinalizer(obj([F]), F)).toBe(true);
    expect(hasFinalizer(obj(), F)).toBe(false);
    expect(isDeleting({ metadata: { deletionTimestamp: new Date() } })).toBe(true);
    expect(isDeleting(obj())).toBe(false);
  });
});

describe('ensureFinalizer / removeFinalizer against a real HTTP server', () => {
  let server: TestApiServer;
  beforeEach(async () => {
    server = await startTestApiServer();
  });
  afterEach(async () => {
    await server.close();
  });
  const client = () => createCustomResourceClient<TestObject>(createKubeRest(server.kc), server);

  it('adds once, then removes', async () => {
    const o = server.create('ns', 'one');
    expect(await ensureFinalizer(client(), o, F)).toBe(true);
    expect(server.get('ns', 'one')?.metadata.finalizers).toEqual([F]);
    expect(await ensureFinalizer(client(), server.get('ns', 'one')!, F)).toBe(false);
    expect(await removeFinalizer(client(), server.get('ns', 'one')!, F)).toBe(true);
    expect(server.get('ns', 'one')?.metadata.finalizers).toEqual([]);
  });

  it('a concurrent change of the list becomes a quiet conflict, not a lost write', async () => {
    const stale = server.create('ns', 'one');
    await ensureFinalizer(client(), { ...stale, metadata: { ...stale.metadata } }, 'someone.else/f');
    const err = await ensureFinalizer(client(), stale, F).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FinalizerConflictError);
    expect(errorPolicy(err)).toBe(ErrorPolicy.Conflict);
    expect(server.get('ns', 'one')?.metadata.finalizers).toEqual(['someone.else/f']);
  });
});
