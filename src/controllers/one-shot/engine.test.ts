import { describe, expect, it } from 'vitest';
import { fakeOneShotWorld } from '../../../test/support/one-shot-fake-deps.ts';
import { BackupApiError, BACKUP_API_ERROR_CODES as C, type TaskRun } from '../../backup-api/index.ts';
import { createBackupRunReconciler } from '../backup-run/reconciler.ts';
import { DELIVERY_GRACE_MS } from '../intent/index.ts';
import type { BackupRunResource } from '../resources.ts';
import { RETRY_TOKEN_ANNOTATION } from './retry-token.ts';

const endpoint = 'POST /api/v1/cluster/self/repository/active/r1/backup';
const unavailable = () =>
  new BackupApiError({ code: C.unavailable, status: 503, endpoint, msg: 'service unavailable' });
const noAnswer = () =>
  new BackupApiError({ code: C.connection, status: 0, endpoint, msg: 'no complete response' });
const unreadable = () =>
  new BackupApiError({ code: C.badResponse, status: 200, endpoint, msg: 'response body is not valid JSON' });
const req = (name: string) => ({ key: `ns/${name}`, namespace: 'ns', name });
const condition = (o: BackupRunResource, type: string) => o.status?.conditions?.find((c) => c.type === type);

/** A backup task that started at `startMs`. */
const backupTask = (name: string, startMs: number, status = 'done'): TaskRun => ({
  task_name: name,
  status,
  start: new Date(startMs).toISOString(),
  end: new Date(startMs + 1).toISOString(),
  type: 'BACKUP',
});

describe('one-shot engine', () => {
  it('a 2xx whose body cannot be read is not sent again: the task it started is adopted', async () => {
    const world = fakeOneShotWorld({
      backup: async () => {
        // The service started the task; the answer arrives truncated.
        world.repository.running_one_off = { 'BACKUP-1': backupTask('BACKUP-1', world.now(), 'running') };
        throw unreadable();
      },
    });
    const reconcile = createBackupRunReconciler(world.deps);
    world.createRun('garbled', 'uid-1');
    await reconcile(req('garbled'), world.ctx());
    for (let i = 0; i < 5 && !world.run('garbled').status?.taskName; i++) {
      world.advance(5_000);
      await reconcile(req('garbled'), world.ctx());
    }
    expect(world.backupCalls).toHaveLength(1);
    expect(world.run('garbled').status?.taskName).toBe('BACKUP-1');
  });

  it('a recreated object of the same name starts its tries afresh (state is per UID)', async () => {
    const world = fakeOneShotWorld({ backup: async () => Promise.reject(unavailable()) });
    const reconcile = createBackupRunReconciler(world.deps);
    world.createRun('again', 'uid-1');
    await reconcile(req('again'), world.ctx());
    expect(world.backupCalls).toHaveLength(1);
    // Deleted and created again before the controller saw the gap (one queue pickup for both).
    world.createRun('again', 'uid-2');
    world.advance(5_000);
    await reconcile(req('again'), world.ctx());
    expect(world.backupCalls).toHaveLength(2);
    expect(condition(world.run('again'), 'Reconciling')).toMatchObject({ reason: 'Triggering' });
    expect(
      world
        .run('again')
        .status?.conditions?.map((c) => c.message)
        .join(' '),
    ).not.toContain('try 2');
  });

  it('a used retry token stays used after a refused try and a re-send whose outcome is unknown', async () => {
    const answers = [unavailable, noAnswer];
    const world = fakeOneShotWorld({
      backup: async () => Promise.reject((answers.shift() ?? noAnswer)()),
    });
    const reconcile = createBackupRunReconciler(world.deps);
    world.createRun('amb', 'uid-1');
    const sentAt = world.now();
    // As if an operator had recorded its intent and died; two backups appear that could be it.
    world.edit('amb', { status: { intent: { token: 'lost', sentAt: new Date(sentAt).toISOString() } } });
    world.history.push(backupTask('BACKUP-a', sentAt + 1_000), backupTask('BACKUP-b', sentAt + 2_000));
    world.advance(DELIVERY_GRACE_MS + 1_000);
    await reconcile(req('amb'), world.ctx());
    expect(condition(world.run('amb'), 'Stalled')?.reason).toBe('TriggerOutcomeUnknown');
    expect(world.backupCalls).toHaveLength(0);

    world.edit('amb', { metadata: { annotations: { [RETRY_TOKEN_ANNOTATION]: 'once' } } });
    await reconcile(req('amb'), world.ctx()); // the allowed retry: refused for now (503)
    expect(world.backupCalls).toHaveLength(1);
    world.advance(10_000);
    await reconcile(req('amb'), world.ctx()); // its re-send: no answer
    expect(world.backupCalls).toHaveLength(2);
    world.advance(DELIVERY_GRACE_MS + 1_000);
    await reconcile(req('amb'), world.ctx()); // still two candidates: ask the user again
    expect(condition(world.run('amb'), 'Stalled')?.reason).toBe('TriggerOutcomeUnknown');

    // Without a new annotation value nothing is sent again, however often it reconciles.
    for (let i = 0; i < 3; i++) {
      world.advance(30_000);
      await reconcile(req('amb'), world.ctx());
    }
    expect(world.backupCalls).toHaveLength(2);
    expect(condition(world.run('amb'), 'Stalled')?.reason).toBe('TriggerOutcomeUnknown');
  });
});
