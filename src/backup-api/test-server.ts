import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';

/** A request as the test server saw it. */
export interface RecordedRequest {
  method: string;
  /** Raw request target, exactly as sent (percent-encoding preserved). */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What the server does with one request. */
export interface ScriptedReply {
  status?: number;
  /** Objects/arrays are sent as JSON; strings are sent verbatim. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Destroy the socket instead of answering (the client sees a reset after sending). */
  destroy?: boolean;
}

export type Responder = (req: RecordedRequest) => ScriptedReply | Promise<ScriptedReply>;

export interface TestServer {
  /** `http(s)://127.0.0.1:<port>` */
  url: string;
  requests: RecordedRequest[];
  /** Replaces the responder; a list of replies is served in order, then the last one repeats. */
  respond(script: Responder | ScriptedReply | ScriptedReply[]): void;
  close(): Promise<void>;
}

/**
 * Starts a scripted HTTP(S) server on 127.0.0.1 and an ephemeral port, recording every request.
 * Test-only helper; not exported from the package index.
 */
export async function startTestServer(
  opts: { tls?: { key: string; cert: string; ca?: string; requestCert?: boolean } } = {},
): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  let responder: Responder = () => ({ status: 200, body: {} });
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const reply = await responder(recorded);
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
      if (reply.destroy) {
        req.socket.destroy();
        return;
      }
      const isText = typeof reply.body === 'string';
      const payload =
        reply.body === undefined ? '' : isText ? (reply.body as string) : JSON.stringify(reply.body);
      const headers: Record<string, string> = {
        'content-type': isText ? 'text/plain' : 'application/json',
        ...reply.headers,
      };
      if (!res.destroyed) res.writeHead(reply.status ?? 200, headers).end(payload);
    });
  };
  const server: Server = opts.tls
    ? createHttpsServer(
        {
          key: opts.tls.key,
          cert: opts.tls.cert,
          ...(opts.tls.ca === undefined ? {} : { ca: opts.tls.ca }),
          requestCert: opts.tls.requestCert ?? false,
          rejectUnauthorized: opts.tls.requestCert ?? false,
        },
        handler,
      )
    : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('test server has no port');
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${address.port}`,
    requests,
    respond(script) {
      if (typeof script === 'function') {
        responder = script;
      } else if (Array.isArray(script)) {
        const queue = [...script];
        responder = () => (queue.length > 1 ? (queue.shift() as ScriptedReply) : (queue[0] ?? {}));
      } else {
        responder = () => script;
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A 127.0.0.1 URL whose port was just released, so connections to it are refused. */
export async function refusedUrl(): Promise<string> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${address.port}`;
}
