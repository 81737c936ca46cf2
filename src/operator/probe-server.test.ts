import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { registerComputedMetric } from '../controllers/computed-metric.ts';
import { type RunningServer, startMetricsServer, startProbeServer } from './probe-server.ts';

const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('probe server', () => {
  it('answers 200 when all checks pass and 500 naming the failing check otherwise', async () => {
    let synced = false;
    const s = await startProbeServer({
      host: '127.0.0.1',
      port: 0,
      liveness: [{ name: 'event-loop', check: () => true }],
      readiness: [
        { name: 'informers-synced', check: () => synced },
        { name: 'always', check: async () => true },
      ],
    });
    servers.push(s);
    const base = `http://127.0.0.1:${s.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(500);
    expect(await notReady.text()).toContain('[-]informers-synced failed');
    synced = true;
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toContain('[+]informers-synced ok');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('treats a throwing check as failed', async () => {
    const s = await startProbeServer({
      host: '127.0.0.1',
      port: 0,
      liveness: [
        {
          name: 'boom',
          check: () => {
            throw new Error('x');
          },
        },
      ],
      readiness: [],
    });
    servers.push(s);
    expect((await fetch(`http://127.0.0.1:${s.port}/healthz`)).status).toBe(500);
  });
});

describe('metrics server', () => {
  it('serves the registry in the Prometheus text format', async () => {
    const registry = new Registry();
    new Counter({ name: 'cbbs_test_total', help: 'test', registers: [registry] }).inc(3);
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0, registry });
    servers.push(s);
    const res = await fetch(`http://127.0.0.1:${s.port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('cbbs_test_total 3');
  });

  it('answers 500 when the metrics cannot be computed', async () => {
    const registry = new Registry();
    registerComputedMetric(registry, {
      name: 'cbbs_test_broken',
      help: 'test',
      type: 'gauge',
      series: () => {
        throw new Error('cache gone');
      },
    });
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0, registry });
    servers.push(s);
    const res = await fetch(`http://127.0.0.1:${s.port}/metrics`);
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('cache gone');
  });
});
