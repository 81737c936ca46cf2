import type { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { type ComputedMetric, computedMetricOf } from '../controllers/computed-metric.ts';

/** Text is handed to the socket in pieces of about this size. */
const CHUNK_CHARS = 64 * 1024;

const escapeHelp = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string): string => escapeHelp(s).replace(/"/g, '\\"');
const valueText = (v: number): string =>
  Number.isNaN(v) ? 'Nan' : Number.isFinite(v) ? `${v}` : v < 0 ? '-Inf' : '+Inf';

/** One computed series as prom-client writes it (same label order, escaping and number format). */
function seriesLine(name: string, labels: Readonly<Record<string, string>>, value: number): string {
  let text = '';
  for (const k in labels) text += `${text ? ',' : ''}${k}="${escapeLabel(String(labels[k]))}"`;
  return `${name}${text ? `{${text}}` : ''} ${valueText(value)}`;
}

/** Resolves when `out` drains; rejects if it closes first (a scraper that went away mid-answer). */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: Error): void => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => settle();
    const onClose = (): void => settle(new Error('the scraper went away'));
    out.on('drain', onDrain);
    out.on('close', onClose);
  });
}

/**
 * Writes what `registry.metrics()` returns to `out`, and ends it, without building it whole: the
 * computed metrics (a dozen series per repository, 3 MB of text at 3,000 repositories) go out a
 * piece at a time as their series are read from the caches, waiting for the socket to drain.
 *
 * Why: the whole text and the series behind it lived long enough to be promoted to the old
 * generation, and each scrape at N = 3,000 raised the operator's RSS by 18-28 MiB for good
 * (docs/scale.md). OpenMetrics and default labels take prom-client's own path.
 */
export async function writeMetrics(registry: Registry, out: Writable): Promise<void> {
  const defaultLabels = (registry as unknown as { _defaultLabels?: object })._defaultLabels ?? {};
  if (registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE || Object.keys(defaultLabels).length > 0) {
    out.end(await registry.metrics());
    return;
  }
  let chunk = '';
  const flush = async (): Promise<void> => {
    const piece = chunk;
    chunk = '';
    if (out.destroyed) throw new Error('the scraper went away');
    if (!out.write(piece)) await drained(out);
  };
  let first = true;
  for (const metric of registry.getMetricsAsArray()) {
    if (!first) chunk += '\n\n';
    first = false;
    const computed: ComputedMetric | undefined = computedMetricOf(metric);
    if (!computed) {
      chunk += await registry.getSingleMetricAsString(metric.name);
      if (chunk.length >= CHUNK_CHARS) await flush();
      continue;
    }
    const name = escapeHelp(computed.name);
    chunk += `# HELP ${name} ${escapeHelp(computed.help)}\n# TYPE ${name} ${computed.type}`;
    for (const s of computed.series()) {
      chunk += `\n${seriesLine(name, s.labels, s.value)}`;
      if (chunk.length >= CHUNK_CHARS) await flush();
    }
  }
  // The last piece with end(): a small answer goes out whole, with its Content-Length.
  if (out.destroyed) throw new Error('the scraper went away');
  out.end(`${chunk}\n`);
}
