import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { writeMetrics } from './metrics-exposition.ts';

/** A named readiness or liveness check; resolves true when healthy. */
export interface Check {
  name: string;
  check: () => boolean | Promise<boolean>;
}

/** A started HTTP server and the port it listens on. */
export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

async function listen(server: Server, host: string, port: number): Promise<RunningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function runChecks(checks: readonly Check[]): Promise<{ ok: boolean; text: string }> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        return { name: c.name, ok: await c.check() };
      } catch {
        return { name: c.name, ok: false };
      }
    }),
  );
  const ok = results.every((r) => r.ok);
  const text = results.map((r) => `[${r.ok ? '+' : '-'}]${r.name} ${r.ok ? 'ok' : 'failed'}`).join('\n');
  return { ok, text: `${text}\n${ok ? 'ok' : 'not ok'}\n` };
}

/**
 * Serves `/healthz` (liveness) and `/readyz` (readiness) in the kube-apiserver text style:
 * 200 with `ok` when every check passes, 500 with the failing checks otherwise.
 */
export function startProbeServer(opts: {
  host: string;
  port: number;
  liveness: readonly Check[];
  readiness: readonly Check[];
}): Promise<RunningServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const checks =
      path === '/healthz' || path === '/livez'
        ? opts.liveness
        : path === '/readyz'
          ? opts.readiness
          : undefined;
    if (!checks) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    void runChecks(checks).then(({ ok, text }) => {
      res.writeHead(ok ? 200 : 500, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
    });
  });
  return listen(server, opts.host, opts.port);
}

/** How long a scrape's answer may sit unread before the connection is closed (Prometheus' default scrape timeout is 10 s). */
const METRICS_WRITE_TIMEOUT_MS = 60_000;

/** Serves the registry's metrics on `/metrics` in the Prometheus text format. */
export function startMetricsServer(opts: {
  host: string;
  port: number;
  registry: Registry;
}): Promise<RunningServer> {
  const server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    // A scraper that stops reading would hold the answer's caches snapshot for good.
    res.setTimeout(METRICS_WRITE_TIMEOUT_MS, () => res.destroy());
    // Not writeHead: the head goes out with the first piece, so a failure before it is still a 500.
    res.statusCode = 200;
    res.setHeader('content-type', opts.registry.contentType);
    writeMetrics(opts.registry, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`);
      // After the first piece: cut the answer short, so the scraper sees a failed scrape, not a partial one.
      else res.destroy(err);
    });
  });
  return listen(server, opts.host, opts.port);
}
