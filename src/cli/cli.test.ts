import { PassThrough } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { cobraCompletions, errorLine, runCli } from './app.ts';
import { problemOf, statusRows } from './commands/status.ts';
import { kindByName, referencesOf } from './commands/why.ts';
import { confirm, confirmDecision, isYes } from './confirm.ts';
import { CliError } from './exit-codes.ts';
import { forbiddenMessage, mergeKubeConfigs, resolveNamespace } from './kube.ts';
import { renderTable } from './output.ts';

const capture = () => {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: (t: string) => {
        out.stdout += t;
      },
      stderr: (t: string) => {
        out.stderr += t;
      },
    },
  };
};

describe('kubectl cbbs decisions and formatting', () => {
  it('confirms destructive commands only with --yes or a yes on a terminal', () => {
    expect(confirmDecision(true, false)).toBe('proceed');
    expect(confirmDecision(false, true)).toBe('ask');
    expect(confirmDecision(false, false)).toBe('refuse');
    expect(['y', 'YES', ' yes '].every(isYes)).toBe(true);
    expect(['', 'n', 'yep'].some(isYes)).toBe(false);
  });

  it('names the missing permission in one line', () => {
    expect(
      forbiddenMessage({ verb: 'get', resource: 'secrets', namespace: 'db', name: 'cb-admin' }, 'alice'),
    ).toBe(
      'forbidden: user "alice" may not get secrets "cb-admin" in namespace "db" (needs RBAC verb "get" on resource "secrets" in namespace "db")',
    );
  });

  it('picks the problem from conditions: Stalled, then Ready, then another False, then a refusal', () => {
    const c = (type: string, status: string, reason: string) => ({
      type,
      status,
      reason,
      message: `${reason} text`,
    });
    expect(
      problemOf({ conditions: [c('Ready', 'False', 'NotReady'), c('Stalled', 'True', 'SecretNotFound')] }),
    ).toBe('SecretNotFound: SecretNotFound text');
    expect(problemOf({ conditions: [c('Ready', 'False', 'Unreachable')] })).toBe(
      'Unreachable: Unreachable text',
    );
    expect(problemOf({ conditions: [c('Ready', 'True', 'Ok'), c('RPOMet', 'False', 'Late')] })).toBe(
      'RPOMet=False Late: Late text',
    );
    expect(problemOf({ conditions: [c('Ready', 'True', 'Ok')], refusal: { message: 'refused' } })).toBe(
      'refused',
    );
    expect(problemOf(undefined)).toBe('');
  });

  it('builds status rows from objects', () => {
    const rows = statusRows({
      services: [
        {
          apiVersion: 'x',
          kind: 'BackupService',
          metadata: { name: 'cb', namespace: 'ns' },
          status: { reachable: false },
        },
      ],
      plans: [],
      repositories: [
        {
          apiVersion: 'x',
          kind: 'BackupRepository',
          metadata: { name: 'r', namespace: 'ns' },
          status: {
            health: { healthy: true },
            lastSuccessfulBackupTime: '2026-12-01T09:00:00Z',
            nextRuns: [
              { taskName: 'late', type: 'BACKUP', time: '2026-12-02T00:00:00Z' },
              { taskName: 'soon', type: 'BACKUP', time: '2026-12-01T10:00:00Z' },
            ],
            runningTasks: [{ taskName: 't', type: 'BACKUP', status: 'running', oneOff: true }],
          },
        },
      ],
    });
    expect(rows[0]).toMatchObject({ kind: 'BackupService', healthy: 'False', ready: 'Unknown' });
    expect(rows[1]).toMatchObject({ healthy: 'True', nextRun: '2026-12-01T10:00:00Z (soon)', running: 1 });
  });

  it('finds kinds by any of their names and lists references', () => {
    expect(kindByName('cbrepo')?.kind).toBe('BackupRepository');
    expect(kindByName('BackupRuns.cbbs.dev')?.kind).toBe('BackupRun');
    expect(kindByName('pods')).toBeUndefined();
    expect(
      referencesOf('BackupRestore', {
        source: { serviceRef: { name: 'cb' }, repositoryId: 'x' },
        target: { credentialsSecretRef: { name: 's' } },
      }),
    ).toEqual([
      { kind: 'BackupService', name: 'cb' },
      { kind: 'Secret', name: 's' },
    ]);
  });

  it('renders kubectl-style tables, wide columns only with -o wide', () => {
    const cols = [
      { header: 'NAME', value: (r: { n: string }) => r.n },
      { header: 'EXTRA', value: () => 'x', wide: true },
    ];
    expect(renderTable(cols, [{ n: 'a' }, { n: 'bbb' }], false)).toBe('NAME\na\nbbb\n');
    expect(renderTable(cols, [{ n: 'a' }], true)).toBe('NAME   EXTRA\na      x\n');
  });

  it('turns every failure into one line with its exit code', () => {
    expect(errorLine(new CliError(3, 'gone'))).toEqual({ code: 3, line: 'gone' });
    expect(errorLine(new Error('first\nsecond'))).toEqual({ code: 1, line: 'first' });
  });

  it('exits 2 on usage errors and 0 on --help, without touching a cluster', async () => {
    const a = capture();
    expect(await runCli(['backups'], { out: a.io })).toBe(2);
    expect(a.out.stderr).toMatch(/^error: Not enough non-option arguments.*\(see --help\)\n$/);
    const b = capture();
    expect(
      await runCli(['history', 'r', '--limit', '-1'], { out: b.io, env: { KUBECONFIG: '/nonexistent' } }),
    ).toBe(2);
    expect(b.out.stderr).toContain('--limit');
  });

  it('exits 2 when there is no kubeconfig', async () => {
    const a = capture();
    expect(await runCli(['status'], { out: a.io, env: { HOME: '/nonexistent' } })).toBe(2);
    expect(a.out.stderr).toContain('no kubeconfig');
  });

  it("answers kubectl's plugin completion in Cobra's format", async () => {
    expect(await cobraCompletions(['del'])).toBe('delete-backup\n:4\n');
    expect(await cobraCompletions(['restore', '--auto-c'])).toBe('--auto-create-buckets\n:4\n');
  });

  it('merges KUBECONFIG files the way kubectl does: the first name and the first current-context win', () => {
    const config = (server: string, ns: string, current: string) => {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'c', server, skipTLSVerify: false }],
        users: [{ name: 'u', token: server }],
        contexts: [{ name: 'ctx', cluster: 'c', user: 'u', namespace: ns }],
        currentContext: current,
      });
      return kc;
    };
    const merged = mergeKubeConfigs([config('https://a', 'first', ''), config('https://b', 'second', 'ctx')]);
    expect(merged.getCurrentContext()).toBe('ctx');
    expect(merged.getCurrentCluster()?.server).toBe('https://a');
    expect(resolveNamespace(merged, undefined)).toBe('first');
    expect(resolveNamespace(merged, 'flag')).toBe('flag');
  });

  it('asks on a terminal and goes on only after yes', async () => {
    const ask = async (answer: string) => {
      const input = new PassThrough();
      const output = new PassThrough();
      let asked = '';
      output.on('data', (d) => {
        asked += String(d);
      });
      const done = confirm('Delete backup b1?', 'delete backup b1', false, true, { input, output });
      input.end(`${answer}\n`);
      await done;
      return asked;
    };
    expect(await ask('y')).toBe('Delete backup b1? [y/N] ');
    await expect(ask('n')).rejects.toMatchObject({
      exitCode: 7,
      message: 'not confirmed: did not delete backup b1',
    });
    await expect(ask('')).rejects.toMatchObject({ exitCode: 7 });
    await expect(confirm('q', 'delete backup b1', false, false)).rejects.toMatchObject({
      exitCode: 7,
      message: 'refusing to delete backup b1 without --yes: stdin is not a terminal',
    });
  });
});
