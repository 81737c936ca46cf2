import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dump, load, loadAll } from 'js-yaml';
import pino from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createOperator } from '../../src/controllers/operator.ts';
import { allReconcilers } from '../../src/controllers/reconcilers.ts';
import { kubeConfigFrom } from '../harness/kube.ts';

// The chart's alerts and dashboard, checked with the real tools: `promtool check rules` and
// `promtool test rules` (test/prometheus/alerts.test.yaml) on the rendered PrometheusRule, the
// runbook of every alert, and every metric name in the dashboard against the operator's registry.

const root = fileURLToPath(new URL('../..', import.meta.url));
const chartDir = join(root, 'deploy/helm/cbbs-operator');
const runbookDir = join(root, 'docs/runbooks');
const alertTests = join(root, 'test/prometheus/alerts.test.yaml');
const exec = promisify(execFile);

/** Series Prometheus itself adds to every scrape target. */
const SCRAPE_SERIES = ['up'];

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations: Record<string, string>;
}
interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { groups: { name: string; rules: Rule[] }[] };
  data?: Record<string, string>;
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool']);
const PROMQL_WORDS_ALSO = new Set(['and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression reads (pure, good enough for our expressions). */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values and strings
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
    .replace(/\$\w+/g, ''); // dashboard variables
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = m[0];
    // A function name: followed by "(".
    if (/^\s*\(/.test(stripped.slice((m.index ?? 0) + word.length))) continue;
    if (PROMQL_WORDS.has(word) || PROMQL_WORDS_ALSO.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/** Every series name the operator's registry exports, histogram and summary parts included. */
async function exportedNames(): Promise<Set<string>> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // The real operator, built exactly as main.ts builds it, never started: it registers everything.
  createOperator({
    kc: kubeConfigFrom(inject('kubeconfig')),
    namespaces: ['metric-names'],
    reconcilers: allReconcilers,
    timings: { servicePollIntervalMs: 30_000, taskPollIntervalMs: 5_000, finalizerTimeoutMs: 600_000 },
    identity: 'metric-names',
    log: pino({ level: 'silent' }),
    registry,
  });
  const names = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name);
    const type = String(m.type);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(`${m.name}${s}`);
  }
  return names;
}

describe('the chart’s alerts and dashboard', () => {
  let work: string;
  let promtool: string;
  let helmBin: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    helmBin = join(inject('kubeBinDir'), 'helm');
    work = await mkdtemp(join(tmpdir(), 'cbbs-observability-'));
    env = {
      ...process.env,
      HELM_CACHE_HOME: join(work, 'helm-cache'),
      HELM_CONFIG_HOME: join(work, 'helm-config'),
      HELM_DATA_HOME: join(work, 'helm-data'),
    };
    // Built once into the cache by scripts/setup.sh; built here only on a machine that skipped it.
    promtool =
      process.env.PROMTOOL ?? (await exec('bash', [join(root, 'scripts/promtool.sh')])).stdout.trim();
  }, 60 * 60_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const helm = async (args: readonly string[]) => (await exec(helmBin, args, { env })).stdout;
  const render = async (values: Record<string, unknown>) => {
    const file = join(work, 'values.yaml');
    await writeFile(file, dump(values));
    const text = await helm(['template', 'cbbs', chartDir, '--namespace', 'monitoring', '--values', file]);
    return (loadAll(text) as (Manifest | null)[]).filter((d): d is Manifest => d !== null);
  };
  const renderRules = async () => {
    const docs = await render({ metrics: { prometheusRule: { enabled: true } } });
    const rule = docs.find((d) => d.kind === 'PrometheusRule');
    expect(rule?.spec?.groups.length).toBeGreaterThan(0);
    return rule?.spec?.groups ?? [];
  };
  const allRules = async () => (await renderRules()).flatMap((g) => g.rules);

  it('passes promtool check rules', async () => {
    const file = join(work, 'rules-full.yaml');
    await writeFile(file, dump({ groups: await renderRules() }));
    const { stdout } = await exec(promtool, ['check', 'rules', file]);
    expect(stdout).toContain('SUCCESS: 10 rules found');
  });

  it('passes promtool test rules: every alert fires when it should and stays silent when it should not', async () => {
    const groups = await renderRules();
    // The unit tests compare annotations exactly; they check runbook_url. `check rules` above
    // validated the description templates.
    const forTests = groups.map((g) => ({
      ...g,
      rules: g.rules.map((r) => ({ ...r, annotations: { runbook_url: r.annotations.runbook_url } })),
    }));
    await writeFile(join(work, 'rules.yaml'), dump({ groups: forTests }));
    await copyFile(alertTests, join(work, 'alerts.test.yaml'));
    const result = await exec(promtool, ['test', 'rules', join(work, 'alerts.test.yaml')]).catch(
      (err: { stdout?: string; stderr?: string }) => ({ stdout: `${err.stdout}\n${err.stderr}` }),
    );
    expect(result.stdout).toContain('SUCCESS');
    expect(result.stdout).not.toContain('FAILED');

    interface Case {
      alertname: string;
      exp_alerts: unknown[];
    }
    const tests = load(await readFile(alertTests, 'utf8')) as { tests: { alert_rule_test: Case[] }[] };
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    for (const rule of groups.flatMap((g) => g.rules)) {
      const mine = cases.filter((c) => c.alertname === rule.alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${rule.alert} has a case where it fires`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${rule.alert} has a case where it stays silent`,
      ).toBe(true);
    }
  });

  it('links every alert to its runbook, which says what it means, how to check and how to fix', async () => {
    for (const rule of await allRules()) {
      expect(rule.annotations.runbook_url).toBe(
        `https://github.com/cbbs-operator/cbbs-operator/blob/main/docs/runbooks/${rule.alert}.md`,
      );
      const text = await readFile(join(runbookDir, `${rule.alert}.md`), 'utf8');
      expect(text.startsWith(`# ${rule.alert}\n`)).toBe(true);
      for (const section of ['## What it means', '## How to check', '## How to fix']) {
        expect(text, `${rule.alert}.md: ${section}`).toContain(section);
      }
      expect(text, `${rule.alert}.md names kubectl or curl`).toMatch(/kubectl|curl/);
    }
    const index = await readFile(join(runbookDir, 'README.md'), 'utf8');
    for (const rule of await allRules()) expect(index).toContain(`(${rule.alert}.md)`);
  });

  it('ships the dashboard as a ConfigMap for the Grafana sidecar, off by default', async () => {
    expect((await render({})).some((d) => d.kind === 'ConfigMap')).toBe(false);
    const docs = await render({
      metrics: {
        grafanaDashboard: { enabled: true, namespace: 'grafana', annotations: { grafana_folder: 'Backups' } },
      },
    });
    const map = docs.find((d) => d.kind === 'ConfigMap');
    expect(map?.metadata.labels?.grafana_dashboard).toBe('1');
    expect(map?.metadata.namespace).toBe('grafana');
    const dashboard = JSON.parse(map?.data?.['cbbs-operator.json'] ?? '{}') as {
      uid: string;
      panels: { type: string; title: string }[];
    };
    expect(dashboard.uid).toBe('cbbs-operator');
    expect(dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual([
      'Fleet overview',
      'Repository backups over time',
      'Task outcomes',
      'Backup Service reachability and latency',
      'Operator health',
    ]);
    const lint = await helm([
      'lint',
      chartDir,
      '--set',
      'metrics.grafanaDashboard.enabled=true,metrics.prometheusRule.enabled=true,metrics.serviceMonitor.enabled=true',
    ]);
    expect(lint).toContain('0 chart(s) failed');
  });

  it('uses in every dashboard and alert expression only metrics the operator exports', async () => {
    const exported = await exportedNames();
    const known = new Set([...exported, ...SCRAPE_SERIES]);
    const dashboard = JSON.parse(
      await readFile(join(chartDir, 'files/dashboards/cbbs-operator.json'), 'utf8'),
    ) as {
      panels: { title: string; targets?: { expr: string }[] }[];
      templating: { list: { name: string; query?: string | { query: string } }[] };
    };
    const exprs: [string, string][] = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t): [string, string] => [p.title, t.expr])),
      ...dashboard.templating.list
        .filter((v) => typeof v.query === 'object')
        .map((v): [string, string] => [
          `variable ${v.name}`,
          (v.query as { query: string }).query.replace(/^label_values\((.*),\s*\w+\)$/, '$1'),
        ]),
      ...(await allRules()).map((r): [string, string] => [r.alert, r.expr]),
    ];
    expect(exprs.length).toBeGreaterThan(40);
    const used = new Set<string>();
    for (const [where, expr] of exprs) {
      const names = metricNames(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        expect(known.has(name), `${where} uses ${name}, which the operator does not export`).toBe(true);
        used.add(name);
      }
    }
    // The check itself can fail: a made-up name is caught.
    expect(metricNames('sum(rate(cbbs_made_up_total{job="x"}[5m])) by (le)')).toEqual(['cbbs_made_up_total']);
    expect(known.has('cbbs_made_up_total')).toBe(false);
    for (const name of [
      'cbbs_repository_tasks_total',
      'cbbs_backup_service_request_duration_seconds_bucket',
    ]) {
      expect(used.has(name)).toBe(true);
    }
  });
});
