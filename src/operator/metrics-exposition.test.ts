import { Writable } from 'node:stream';
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerComputedMetric } from '../controllers/computed-metric.ts';
import { writeMetrics } from './metrics-exposition.ts';

/** A registry with prom-client metrics and computed ones of `n` series each. */
function registryOf(n: number): Registry {
  const registry = new Registry();
  new Counter({
    name: 'cbbs_test_requests_total',
    help: 'Requests.',
    labelNames: ['outcome'],
    registers: [registry],
  })
    .labels('OK')
    .inc(2);
  registerComputedMetric(registry, {
    name: 'cbbs_test_ready',
    help: 'Ready or not.\nSecond line with a \\ backslash.',
    type: 'gauge',
    *series() {
      for (let i = 0; i < n; i++)
        yield { labels: { namespace: 'ns', repository: `repo-${i} "q" \\ \n` }, value: i % 2 };
    },
  });
  new Histogram({
    name: 'cbbs_test_seconds',
    help: 'Durations.',
    buckets: [0.1, 1],
    registers: [registry],
  }).observe(0.5);
  registerComputedMetric(registry, {
    name: 'cbbs_test_odd',
    help: 'Odd values.',
    type: 'gauge',
    series: () => [
      { labels: {}, value: Number.NaN },
      { labels: { a: 'x' }, value: Number.POSITIVE_INFINITY },
      { labels: { a: 'y' }, value: Number.NEGATIVE_INFINITY },
      { labels: { a: 'z' }, value: 1.5e-7 },
    ],
  });
  registerComputedMetric(registry, {
    name: 'cbbs_test_none',
    help: 'No series.',
    type: 'counter',
    series: () => [],
  });
  return registry;
}

/** A socket-like sink that takes `highWaterMark` bytes before asking the writer to wait. */
function slowSink(highWaterMark: number) {
  const pieces: string[] = [];
  const out = new Writable({
    highWaterMark,
    decodeStrings: false,
    write(chunk: string, _enc, done) {
      pieces.push(chunk);
      setImmediate(done);
    },
  });
  const ended = new Promise<void>((resolve) => out.on('finish', resolve));
  return { out, pieces, ended };
}

describe('writeMetrics', () => {
  it('writes exactly what prom-client would, computed metrics included', async () => {
    const registry = registryOf(3);
    const { out, pieces, ended } = slowSink(1 << 20);
    await writeMetrics(registry, out);
    await ended;
    expect(pieces.join('')).toBe(await registry.metrics());
  });

  it('hands a large exposition to the socket a piece at a time, waiting for it to drain', async () => {
    const registry = registryOf(5_000);
    const { out, pieces, ended } = slowSink(16 * 1024);
    let mostBuffered = 0;
    out.on('drain', () => {});
    const write = out.write.bind(out);
    out.write = ((chunk: string, ...rest: never[]) => {
      const ok = write(chunk, ...rest);
      mostBuffered = Math.max(mostBuffered, out.writableLength);
      return ok;
    }) as typeof out.write;
    await writeMetrics(registry, out);
    await ended;
    const text = pieces.join('');
    expect(text).toBe(await registry.metrics());
    expect(text.length).toBeGreaterThan(300_000);
    expect(pieces.length).toBeGreaterThan(4);
    // Never more than one piece (64 Ki characters) beyond what the socket took.
    expect(mostBuffered).toBeLessThan(16 * 1024 + 70 * 1024);
  });

  it('gives up when the scraper goes away mid-answer instead of waiting forever', async () => {
    const registry = registryOf(20_000);
    const out = new Writable({
      highWaterMark: 1024,
      write(_chunk, _enc, _done) {
        // Never done: the socket is stuck, then closes.
        setImmediate(() => out.destroy());
      },
    });
    await expect(writeMetrics(registry, out)).rejects.toThrow(/went away/);
  });

  it("takes prom-client's path for OpenMetrics", async () => {
    const registry = registryOf(2);
    (registry as unknown as Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>).setContentType(
      Registry.OPENMETRICS_CONTENT_TYPE,
    );
    const { out, pieces, ended } = slowSink(1 << 20);
    await writeMetrics(registry, out);
    await ended;
    expect(pieces.join('')).toBe(await registry.metrics());
    expect(pieces.join('')).toContain('# EOF');
  });
});
