import {
  type BackupPlan,
  type BackupRepository,
  type BackupService,
  backupPlanKind,
  backupRepositoryKind,
  backupServiceKind,
} from '../../crds/index.ts';
import { defineCommand } from '../command.ts';
import type { Ctx } from '../context.ts';
import { age, parseTime, shortDuration, truncate } from '../format.ts';
import type { KubeObject } from '../kube.ts';
import { type Column, paint, paintStatus, printResult } from '../output.ts';

/** One line of `status`. */
export interface StatusRow {
  namespace: string;
  kind: string;
  name: string;
  ready: string;
  healthy: string;
  lastBackup?: string | undefined;
  nextRun?: string | undefined;
  running: number;
  problem: string;
}

type Condition = { type: string; status: string; reason?: string | undefined; message?: string | undefined };
type Conditioned =
  | { conditions?: Condition[] | undefined; refusal?: { message: string } | undefined }
  | undefined;

/** What is wrong, from conditions: Stalled, then a False Ready, then a standing refusal. */
export function problemOf(status: Conditioned): string {
  const conditions = status?.conditions ?? [];
  const stalled = conditions.find((c) => c.type === 'Stalled' && c.status === 'True');
  if (stalled) return `${stalled.reason ?? 'Stalled'}: ${stalled.message ?? ''}`.trim();
  const notReady = conditions.find((c) => c.type === 'Ready' && c.status !== 'True');
  if (notReady) return `${notReady.reason ?? 'NotReady'}: ${notReady.message ?? ''}`.trim();
  const failed = conditions.find((c) => c.status === 'False' && c.type !== 'Reconciling');
  if (failed) return `${failed.type}=False ${failed.reason ?? ''}: ${failed.message ?? ''}`.trim();
  return status?.refusal?.message ?? '';
}

function readyOf(status: Conditioned): string {
  return status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
}

/** Status rows of one namespace's objects (pure: objects in, rows out). */
export function statusRows(objs: {
  services: KubeObject[];
  plans: KubeObject[];
  repositories: KubeObject[];
}): StatusRow[] {
  const rows: StatusRow[] = [];
  for (const o of objs.services) {
    const s = (o as unknown as BackupService).status;
    rows.push({
      namespace: o.metadata.namespace ?? '',
      kind: 'BackupService',
      name: o.metadata.name,
      ready: readyOf(s),
      healthy: s?.reachable === undefined ? 'Unknown' : s.reachable ? 'True' : 'False',
      running: 0,
      problem: problemOf(s),
    });
  }
  for (const o of objs.plans) {
    const s = (o as unknown as BackupPlan).status;
    rows.push({
      namespace: o.metadata.namespace ?? '',
      kind: 'BackupPlan',
      name: o.metadata.name,
      ready: readyOf(s),
      healthy: s?.conditions?.find((c) => c.type === 'Synced')?.status ?? 'Unknown',
      running: 0,
      problem: problemOf(s),
    });
  }
  for (const o of objs.repositories) {
    const s = (o as unknown as BackupRepository).status;
    const next = [...(s?.nextRuns ?? [])].sort((a, b) => a.time.localeCompare(b.time))[0];
    rows.push({
      namespace: o.metadata.namespace ?? '',
      kind: 'BackupRepository',
      name: o.metadata.name,
      ready: readyOf(s),
      healthy: s?.health === undefined ? 'Unknown' : s.health.healthy ? 'True' : 'False',
      lastBackup: s?.lastSuccessfulBackupTime,
      nextRun: next ? `${next.time} (${next.taskName})` : undefined,
      running: s?.runningTasks?.length ?? 0,
      problem: problemOf(s) || (s?.health?.issue ?? ''),
    });
  }
  return rows;
}

function columns(ctx: Ctx, all: boolean): Column<StatusRow>[] {
  const now = ctx.now();
  const nextIn = (r: StatusRow) => {
    const t = parseTime(r.nextRun?.split(' ')[0]);
    return t === undefined ? '-' : shortDuration(now.getTime() - t);
  };
  const cols: Column<StatusRow>[] = [
    { header: 'KIND', value: (r) => r.kind },
    { header: 'NAME', value: (r) => r.name },
    { header: 'READY', value: (r) => paintStatus(r.ready) },
    { header: 'HEALTHY', value: (r) => paintStatus(r.healthy) },
    { header: 'LAST BACKUP', value: (r) => (r.lastBackup ? `${age(r.lastBackup, now)} ago` : '-') },
    { header: 'NEXT RUN', value: (r) => nextIn(r) },
    { header: 'NEXT TASK', value: (r) => r.nextRun?.split(' ')[1]?.replace(/[()]/g, '') ?? '-', wide: true },
    { header: 'RUNNING', value: (r) => (r.kind === 'BackupRepository' ? String(r.running) : '-') },
    { header: 'PROBLEM', value: (r) => (r.problem ? paint('red', truncate(r.problem, 60)) : '') },
    { header: 'DETAIL', value: (r) => r.problem, wide: true },
  ];
  return all ? [{ header: 'NAMESPACE', value: (r) => r.namespace }, ...cols] : cols;
}

/** `status`: every BackupService, plan and repository at a glance, from their status. */
export const statusCommand = defineCommand({
  command: 'status',
  describe:
    'Every BackupService, BackupPlan and BackupRepository at a glance: ready, healthy, last and next backup, what is wrong',
  builder: (y) => y.example('$0 status -A', 'all namespaces'),
  run: runStatus,
});

async function runStatus(ctx: Ctx): Promise<void> {
  const kube = ctx.kube();
  const ns = kube.allNamespaces ? undefined : kube.namespace;
  const [services, plans, repositories] = await Promise.all([
    kube.list(backupServiceKind, ns),
    kube.list(backupPlanKind, ns),
    kube.list(backupRepositoryKind, ns),
  ]);
  const rows = statusRows({ services, plans, repositories });
  const where = ns === undefined ? '' : ` in namespace ${ns}`;
  printResult(
    ctx.out,
    ctx.args.output,
    rows,
    columns(ctx, ns === undefined),
    rows,
    `No BackupServices, BackupPlans or BackupRepositories found${where}.`,
  );
}
