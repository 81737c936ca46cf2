import { describe, expect, it } from 'vitest';
import { BackupApiError } from '../../backup-api/index.ts';
import { ConnectionError } from '../service-connections.ts';
import { afterConfigAction, nextConfigAction, unsupportedConfig } from './config.ts';
import { CREDENTIALS_RECHECK_MS, classifyServiceError, pollFloorWaitMs } from './kind.ts';

const spec = (config?: object) =>
  ({ endpoints: ['http://cb:8097'], credentialsSecretRef: { name: 's' }, config }) as never;

describe('BackupService configuration decisions', () => {
  it('writes the history rotation size only when it differs', () => {
    expect(nextConfigAction(spec({ historyRotationSize: 42 }), { historyRotationSize: 50 })).toEqual({
      kind: 'set-history-rotation',
      to: 42,
    });
    expect(nextConfigAction(spec({ historyRotationSize: 42 }), { historyRotationSize: 42 })).toBeUndefined();
    expect(nextConfigAction(spec(), { historyRotationSize: 42 })).toBeUndefined();
  });

  it('compares node thread maps regardless of key order', () => {
    const want = spec({ nodesThreads: { a: 1, b: 2 } });
    expect(nextConfigAction(want, { nodesThreads: { b: 2, a: 1 } })).toBeUndefined();
    const action = nextConfigAction(want, { nodesThreads: {} });
    expect(action).toEqual({ kind: 'set-nodes-threads', map: { a: 1, b: 2 } });
    expect(afterConfigAction({}, action as never)).toEqual({ nodesThreads: { a: 1, b: 2 } });
  });
});

describe('classifyServiceError', () => {
  const api = (status: number) =>
    new BackupApiError({
      code: status === 401 ? 'BSVC_UNAUTHORIZED' : status === 404 ? 'BSVC_NOT_FOUND' : 'BSVC_UNAVAILABLE',
      status,
      endpoint: 'POST /nodesThreadsMap',
      msg: 'no',
    });
  it('refuses a missing Secret without re-check (its appearance re-enqueues)', () => {
    const r = classifyServiceError(new ConnectionError('SecretNotFound', 'Secret x not found'), undefined);
    expect(r).toEqual({ reason: 'SecretNotFound', message: 'Secret x not found' });
  });
  it('re-checks rejected credentials', () => {
    expect(classifyServiceError(api(401), undefined)).toMatchObject({
      reason: 'Unauthorized',
      recheckAfterMs: CREDENTIALS_RECHECK_MS,
    });
  });
  it('refuses a configuration the server rejects, and treats 503 as transient', () => {
    const action = { kind: 'set-nodes-threads', map: {} } as const;
    expect(classifyServiceError(api(404), action)?.reason).toBe('ConfigRejected');
    expect(classifyServiceError(api(503), action)).toBeUndefined();
    expect(classifyServiceError(api(503), undefined)).toBeUndefined();
  });
});

describe('pollFloorWaitMs', () => {
  it('lets the first poll and a spec change through at once', () => {
    expect(pollFloorWaitMs(undefined, 1, 10_000, 1_000)).toBe(0);
    expect(pollFloorWaitMs({ generation: 1, at: 9_900 }, 2, 10_000, 1_000)).toBe(0);
  });
  it('holds a poll asked for within the floor until the floor passes', () => {
    expect(pollFloorWaitMs({ generation: 1, at: 9_600 }, 1, 10_000, 1_000)).toBe(600);
    expect(pollFloorWaitMs({ generation: 1, at: 9_000 }, 1, 10_000, 1_000)).toBe(0);
  });
});

describe('unsupportedConfig', () => {
  const threads = { kind: 'set-nodes-threads', map: { n1: 4 } } as const;
  it('refuses a node thread map on a 7.2 server, naming the version', () => {
    expect(unsupportedConfig(threads, '7.2.4-7070-enterprise', '7.2')).toContain('7.6.2');
    expect(unsupportedConfig(threads, '7.2.4-7070-enterprise', '7.2')).toContain('7.2.4-7070-enterprise');
  });
  it('lets it through on 7.6 and later, while unknown, and for other settings', () => {
    expect(unsupportedConfig(threads, '7.6.2', '7.6')).toBeUndefined();
    expect(unsupportedConfig(threads, undefined, undefined)).toBeUndefined();
    expect(unsupportedConfig({ kind: 'set-history-rotation', to: 10 }, '7.2.4', '7.2')).toBeUndefined();
  });
});
