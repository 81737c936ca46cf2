import { describe, expect, it } from 'vitest';
import { readConfig } from './config.ts';

describe('readConfig', () => {
  it('applies defaults when nothing is given', () => {
    const r = readConfig([], {});
    expect(r.kind).toBe('config');
    if (r.kind !== 'config') return;
    expect(r.config).toMatchObject({
      namespaces: [],
      leaderElect: true,
      leaseNamespace: 'default',
      leaseName: 'cbbs-operator',
      healthPort: 8081,
      metricsPort: 8080,
      logLevel: 'info',
      servicePollInterval: 30_000,
      taskPollInterval: 5_000,
      workers: 4,
    });
    expect(r.config.identity).toMatch(/-[0-9a-f]{8}$/);
  });

  it('lets a flag win over its environment variable, and the environment over the default', () => {
    const r = readConfig(['--log-level', 'debug', '--namespaces=a, b', '--workers=6'], {
      CBBS_LOG_LEVEL: 'warn',
      CBBS_WORKERS: '3',
      CBBS_HEALTH_PORT: '9000',
      POD_NAMESPACE: 'ops',
      POD_NAME: 'op-0',
    });
    if (r.kind !== 'config') throw new Error(JSON.stringify(r));
    expect(r.config).toMatchObject({
      logLevel: 'debug',
      namespaces: ['a', 'b'],
      healthPort: 9000,
      leaseNamespace: 'ops',
      identity: 'op-0',
      workers: 6,
    });
    const fromEnv = readConfig([], { CBBS_WORKERS: '3' });
    if (fromEnv.kind !== 'config') throw new Error(JSON.stringify(fromEnv));
    expect(fromEnv.config.workers).toBe(3);
  });

  it.each([
    { argv: ['--log-level', 'loud'], says: '--log-level (CBBS_LOG_LEVEL)' },
    { argv: ['--service-poll-interval', '10'], says: 'is not a duration' },
    { argv: ['--health-port', '70000'], says: '--health-port' },
    { argv: ['--leader-elect', 'maybe'], says: '--leader-elect' },
    { argv: ['--no-such-flag'], says: 'Run with --help' },
    { argv: ['--workers', '0'], says: '--workers (CBBS_WORKERS)' },
    { argv: ['--workers', '1.5'], says: '--workers' },
    { argv: ['--workers', 'many'], says: '--workers' },
    { argv: ['--workers', '65'], says: '--workers' },
  ])('rejects $argv with a message naming the flag', ({ argv, says }) => {
    const r = readConfig(argv, {});
    expect(r.kind).toBe('error');
    if (r.kind === 'error') expect(r.message).toContain(says);
  });

  it('prints every flag with its environment variable in --help', () => {
    const r = readConfig(['--help'], {});
    if (r.kind !== 'help') throw new Error('expected help');
    for (const flag of [
      '--kubeconfig',
      '--namespaces',
      '--leader-elect',
      '--health-port',
      '--metrics-port',
      '--log-level',
      '--workers',
    ]) {
      expect(r.text).toContain(flag);
    }
    expect(r.text).toContain('CBBS_WATCH_NAMESPACES');
    expect(r.text).toContain('env CBBS_WORKERS, default 4');
  });
});
