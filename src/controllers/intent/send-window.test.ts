import { createServer, type Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createBackupClient, isBackupApiError } from '../../backup-api/index.ts';
import { refusedUrl } from '../../backup-api/test-server.ts';
import { DELIVERY_GRACE_MS, SEND_WINDOW_MS } from './constants.ts';
import { sendWindowRemainingMs, sendWindowSignal } from './send-window.ts';

/** How long the transport waits before its second round (a stand-in for a slow failover). */
const ROUND_GAP_MS = 500;

describe('sendWindowSignal', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  /**
   * A real client against a node that refuses connections until the transport's second round (the
   * POST is "not sent", so the transport tries again), and then answers. Returns the client and
   * the number of trigger requests the node received.
   */
  const lateNode = async () => {
    const url = await refusedUrl();
    const port = Number(new URL(url).port);
    let received = 0;
    const client = createBackupClient({
      urls: [url],
      auth: { username: 'admin', password: 'password' },
      retry: { attempts: 2, baseMs: 1, maxMs: 1 },
      sleep: async (_ms, signal) => {
        const server = createServer((req, res) => {
          received++;
          req.resume();
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"task_name":"BACKUP-1"}');
        });
        servers.push(server);
        await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
        await delay(ROUND_GAP_MS, undefined, { signal });
      },
    });
    return { client, received: () => received };
  };
  const never = new AbortController().signal;

  it('leaves half the delivery grace for the network and the service', () => {
    expect(SEND_WINDOW_MS * 2).toBe(DELIVERY_GRACE_MS);
  });

  it('a send well inside the window goes out in a later round', async () => {
    const { client, received } = await lateNode();
    const now = Date.now();
    const result = await client.backup('r1', { full: false, signal: sendWindowSignal(never, now, now) });
    expect(result.task_name).toBe('BACKUP-1');
    expect(received()).toBe(1);
    await client.close();
  });

  it('no attempt leaves once the window since sentAt has passed', async () => {
    const { client, received } = await lateNode();
    // The intent was recorded just before the window's end; the failed first round eats the rest.
    const now = Date.now();
    const err = await client
      .backup('r1', { full: false, signal: sendWindowSignal(never, now - SEND_WINDOW_MS + 100, now) })
      .catch((e: unknown) => e);
    expect(isBackupApiError(err) ? err.status : err).toBe(0);
    await delay(ROUND_GAP_MS + 200);
    expect(received()).toBe(0);
    await client.close();
  });

  it('is aborted at once when the window is over, and together with its parent', async () => {
    const now = Date.now();
    expect(sendWindowSignal(never, now, now).aborted).toBe(false);
    const late = sendWindowSignal(never, now - SEND_WINDOW_MS, now);
    await delay(5);
    expect(late.aborted).toBe(true);
    const parent = new AbortController();
    const child = sendWindowSignal(parent.signal, now, now);
    parent.abort();
    expect(child.aborted).toBe(true);
  });
});

describe('sendWindowRemainingMs', () => {
  const T0 = Date.parse('2025-01-01T12:00:00Z');
  it.each([
    { reason: 'right at the intent: the whole window', now: T0, want: SEND_WINDOW_MS },
    { reason: 'later: what is left', now: T0 + 3_500, want: SEND_WINDOW_MS - 3_500 },
    { reason: 'past the window: nothing (the request must not leave)', now: T0 + 60_000, want: 0 },
  ])('$reason', ({ now, want }) => {
    expect(sendWindowRemainingMs(T0, now)).toBe(want);
  });
  it('an unparsable time sends nothing', () => {
    expect(sendWindowRemainingMs(Date.parse(''), T0)).toBe(0);
  });
  it('the send window closes well inside the delivery grace', () => {
    expect(SEND_WINDOW_MS).toBeLessThanOrEqual(DELIVERY_GRACE_MS / 2);
  });
});
