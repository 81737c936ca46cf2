import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerComputedMetric } from './computed-metric.ts';

describe('registerComputedMetric', () => {
  it('computes its series at each scrape from what the caches hold then', async () => {
    const registry = new Registry();
    const repositories = new Map([['a', 1]]);
    registerComputedMetric(registry, {
      name: 'cbbs_test_gauge',
      help: 'A test gauge.',
      type: 'gauge',
      *series() {
        for (const [name, value] of repositories) yield { labels: { repository: name }, value };
      },
    });
    expect(await registry.metrics()).toContain('cbbs_test_gauge{repository="a"} 1');
    repositories.delete('a');
    repositories.set('b "quoted"', 2);
    const text = await registry.metrics();
    expect(text).not.toContain('repository="a"');
    expect(text).toContain('# TYPE cbbs_test_gauge gauge');
    expect(text).toContain('cbbs_test_gauge{repository="b \\"quoted\\""} 2');
  });

  it('serves a counter as a counter, also to getSingleMetric', async () => {
    const registry = new Registry();
    registerComputedMetric(registry, {
      name: 'cbbs_test_total',
      help: 'A test counter.',
      type: 'counter',
      series: () => [{ labels: { type: 'BACKUP' }, value: 3 }],
    });
    expect(await registry.metrics()).toContain(
      '# TYPE cbbs_test_total counter\ncbbs_test_total{type="BACKUP"} 3',
    );
    const got = await registry.getSingleMetric('cbbs_test_total')?.get();
    expect(got?.values).toEqual([{ labels: { type: 'BACKUP' }, value: 3 }]);
  });
});
