/**
 * One fleet size, start to finish, on a fresh control plane: the floor on its own emulators, then
 * the operator's cold sync, idle, (optional) restart and change latency on fresh emulators.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, startControlPlane } from '../../test/harness/control-plane.ts';
import { installCrds, readCrds } from '../../test/harness/crds.ts';
import { kubeConfigFrom } from '../../test/harness/kube.ts';
import { installFinalizerPolicy } from './admission-policy.ts';
import {
  EVENTS,
  type FleetShape,
  KINDS,
  PLAN_TASKS,
  planManifest,
  planSlots,
  READY_KINDS,
  repositoryManifest,
  repositorySlots,
  SECRETS,
  SOAK_PLAN_TASKS,
  secretManifest,
  serviceManifest,
} from './fleet.ts';
import { createFloorObjects, pooled, runFloor } from './floor.ts';
import { createMemoryCgroup, type MemoryCgroup } from './image-runtime.ts';
import { createKubeRest, type KubeRest } from './kube-rest.ts';
import {
  countByRoute,
  type LoggedRequest,
  lastSeq,
  peakPerSecond,
  requestsSince,
  scrape,
  snapshot,
  sumOf,
} from './observe.ts';
import {
  type EmulatorProcess,
  onKill,
  startEmulatorProcess,
  startOperatorProcess,
  stopChild,
} from './processes.ts';
import type { Percentiles, SizeResult } from './report.ts';
import { startTracker, type Tracker } from './tracker.ts';

/** Settings shared by every size. */
export interface RunSettings {
  binDir: string;
  workDir: string;
  services: number;
  plansPerService: number;
  workersPerKind: number;
  pollIntervalSeconds: number;
  idleMs: number;
  changes: number;
  restart: boolean;
  coldSyncTimeoutMs: number;
  createConcurrency: number;
  nodeFlags: readonly string[];
  /** Run the operator in a memory cgroup with this limit (bytes); unconstrained when undefined. */
  memoryLimitBytes?: number | undefined;
  /** The soak: emulators on the real clock with plans whose tasks fire every few minutes. */
  schedules?: boolean;
  /** Install the chart's finalizer admission policy for the operator's namespace (as `helm install` does on 1.36+). */
  admissionFinalizer: boolean;
  /** Sample RSS and heap this often during the idle window (the soak's leak check). */
  sampleEveryMs?: number | undefined;
  log: (line: string) => void;
}

const NAMESPACE = 'bench';
const FLOOR_NAMESPACE = 'bench-floor';
const CONTROLLER_OF = { services: 'backupservice', plans: 'backupplan', repositories: 'backuprepository' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, d = 2): number => Number(n.toFixed(d));

/** Nearest-rank percentiles. */
export function percentiles(samples: readonly number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
  return {
    samples: s.length,
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(at(1)),
  };
}

async function startEmulators(dir: string, count: number, schedules = false): Promise<EmulatorProcess[]> {
  await mkdir(dir, { recursive: true });
  return await Promise.all(
    Array.from({ length: count }, (_, s) =>
      startEmulatorProcess(join(dir, `emulator-${s}`), join(dir, `emulator-${s}.log`), { schedules }),
    ),
  );
}

async function requestsOf(
  emus: readonly EmulatorProcess[],
  since: readonly number[],
): Promise<LoggedRequest[][]> {
  return await Promise.all(emus.map((e, i) => requestsSince(e.url, since[i]!)));
}

const seqs = (emus: readonly EmulatorProcess[]) => Promise.all(emus.map((e) => lastSeq(e.url)));

function writesByKind(tracker: Tracker, fromIndex: number, toIndex = Number.POSITIVE_INFINITY) {
  const byKind: Record<string, number> = {};
  const slice = tracker.writes().slice(fromIndex, toIndex);
  for (const w of slice) byKind[w.kind] = (byKind[w.kind] ?? 0) + 1;
  return { total: slice.length, byKind };
}

const allReady = (tracker: Tracker, expected: Record<string, number>) => () =>
  READY_KINDS.every((k) => tracker.readyCount(k) >= expected[k]!);

/** Creates the fleet in the bench namespace (untimed). */
async function createFleet(
  kube: KubeRest,
  shape: FleetShape,
  emus: EmulatorProcess[],
  archives: string[],
  c: number,
  schedules: boolean,
) {
  await kube.create(SECRETS, NAMESPACE, secretManifest());
  await pooled(emus, c, async (e) => {
    await kube.create(KINDS.services, NAMESPACE, serviceManifest(emus.indexOf(e), e.url, '30s'));
  });
  await pooled(planSlots(shape), c, async (p) => {
    await kube.create(
      KINDS.plans,
      NAMESPACE,
      planManifest(p.name, p.service, schedules ? SOAK_PLAN_TASKS : PLAN_TASKS),
    );
  });
  await pooled(repositorySlots(shape), c, async (slot) => {
    await kube.create(KINDS.repositories, NAMESPACE, repositoryManifest(slot, archives[slot.service]!));
  });
}

/** Measures one fleet size; every process it starts is stopped before it returns or throws. */
export async function runSize(n: number, st: RunSettings): Promise<SizeResult> {
  const shape: FleetShape = { repositories: n, services: st.services, plansPerService: st.plansPerService };
  const dir = join(st.workDir, `n${n}`);
  const plane = await startControlPlane({ binDir: st.binDir });
  const unregister = onKill(() => plane.killNow());
  const kube = createKubeRest(plane.server, plane.token, plane.caFile);
  let operator: ChildProcess | undefined;
  let tracker: Tracker | undefined;
  let cgroup: MemoryCgroup | undefined;
  let memoryLimit: SizeResult['memoryLimit'];
  const emulators: EmulatorProcess[] = [];
  try {
    await installCrds(
      kubeConfigFrom(plane.kubeconfigPath),
      await readCrds(join(import.meta.dirname, '../../deploy/crds')),
    );

    // (a) The floor, on emulators of its own, in a namespace the operator does not watch.
    st.log(`N=${n}: floor (${st.workersPerKind} workers per kind)`);
    const floorEmus = await startEmulators(join(dir, 'floor'), st.services);
    emulators.push(...floorEmus);
    const floorArchives = floorEmus.map((_, s) => join(dir, 'floor', `archive-${s}`));
    await kube.createNamespace(FLOOR_NAMESPACE);
    const urls = floorEmus.map((e) => e.url);
    const slots = await createFloorObjects(
      kube,
      FLOOR_NAMESPACE,
      shape,
      urls,
      floorArchives,
      st.createConcurrency,
    );
    const floor = await runFloor(kube, FLOOR_NAMESPACE, shape, slots, urls, floorArchives, st.workersPerKind);
    st.log(`N=${n}: floor ${floor.totalSeconds.toFixed(2)} s`);
    for (const e of floorEmus) await stopChild(e.child);
    emulators.length = 0;
    for (const kind of READY_KINDS) await kube.deleteCollection(KINDS[kind], FLOOR_NAMESPACE);

    // (b) Cold sync: the fleet exists, then the operator starts.
    const emus = await startEmulators(join(dir, 'operator'), st.services, st.schedules);
    emulators.push(...emus);
    const archives = emus.map((_, s) => join(dir, 'operator', `archive-${s}`));
    await kube.createNamespace(NAMESPACE);
    if (st.admissionFinalizer) await installFinalizerPolicy(st.binDir, plane.kubeconfigPath, NAMESPACE);
    tracker = await startTracker(kube, NAMESPACE, { ...KINDS, events: EVENTS });
    await createFleet(kube, shape, emus, archives, st.createConcurrency, st.schedules === true);
    const expected = { services: st.services, plans: st.services * st.plansPerService, repositories: n };
    await tracker.until(
      () => READY_KINDS.every((k) => tracker!.total(k) === expected[k]),
      60_000,
      'the fleet in the watch',
    );
    const writesBefore = tracker.writes().length;
    const seq0 = await seqs(emus);
    const made =
      st.memoryLimitBytes === undefined
        ? undefined
        : createMemoryCgroup(st.memoryLimitBytes, `cbbs-bench-${process.pid}-n${n}`);
    if (made && 'unavailable' in made) st.log(`N=${n}: not under a memory limit: ${made.unavailable}`);
    cgroup = made && !('unavailable' in made) ? made : undefined;
    memoryLimit = made && 'unavailable' in made ? { unavailable: made.unavailable } : undefined;
    const [metricsPort, healthPort] = [await freePort(), await freePort()];
    const launch = {
      kubeconfig: plane.kubeconfigPath,
      namespace: NAMESPACE,
      metricsPort,
      healthPort,
      servicePollInterval: `${st.pollIntervalSeconds}s`,
      workers: st.workersPerKind,
      logFile: join(dir, 'operator.log'),
      nodeFlags: st.nodeFlags,
      cgroup,
    };
    st.log(`N=${n}: cold sync`);
    const t0 = performance.now();
    operator = startOperatorProcess(launch);
    const exited = new Promise<never>((_, reject) =>
      operator!.once('exit', (code, sig) =>
        reject(new Error(`operator exited (${code ?? sig}); see ${launch.logFile}`)),
      ),
    );
    exited.catch(() => {});
    // The first /metrics answer: CPU spent loading and starting, before any reconcile of the fleet.
    const startup = (async () => {
      for (;;) {
        const snap = await snapshot(operator!.pid!, metricsPort).catch(() => undefined);
        if (snap) return { seconds: (performance.now() - t0) / 1000, cpuSeconds: snap.cpuSeconds };
        await sleep(100);
      }
    })();
    const kindSeconds: Record<string, number> = {};
    const kindWaits = READY_KINDS.map((k) =>
      tracker!
        .until(() => tracker!.readyCount(k) >= expected[k], st.coldSyncTimeoutMs, `${k} Ready`)
        .then((t) => {
          kindSeconds[k] = round((t - t0) / 1000);
        }),
    );
    const tReady = await Promise.race([
      tracker.until(allReady(tracker, expected), st.coldSyncTimeoutMs, 'every object Ready'),
      exited,
    ]);
    await Promise.all(kindWaits);
    const coldSeconds = (tReady - t0) / 1000;
    const started = await startup;
    const afterSync = await snapshot(operator.pid!, metricsPort);
    const coldRequests = (await requestsOf(emus, seq0)).flat();
    // Up to the last Ready: the Events written after it are counted apart (below).
    const writesAtReady = tracker.writes().findIndex((w, i) => i >= writesBefore && w.at > tReady);
    const coldWrites = writesByKind(tracker, writesBefore, writesAtReady === -1 ? undefined : writesAtReady);
    const coldEvents = coldWrites.byKind.events ?? 0;
    st.log(
      `N=${n}: cold sync ${coldSeconds.toFixed(2)} s (${(coldSeconds / floor.totalSeconds).toFixed(2)} × floor)`,
    );

    // Events wait behind status while the work queues are busy (event-sink.ts): the idle window
    // starts once they are written (no Event for 2 s; watched, not scraped: a scrape at N = 3,000
    // builds 3 MB of text), and the table says how many came after the last Ready and when the
    // last of them was written.
    const eventsAfter = () => tracker!.writes().filter((w) => w.kind === 'events' && w.at > tReady);
    const drainDeadline = performance.now() + 120_000;
    while (performance.now() - Math.max(tReady, eventsAfter().at(-1)?.at ?? 0) < 2_000) {
      if (performance.now() > drainDeadline)
        throw new Error('events still written 2 minutes after cold sync');
      await Promise.race([sleep(250), exited]);
    }
    const eventsAfterReady = eventsAfter().length;
    const eventsDrainedSeconds = Math.max(0, ((eventsAfter().at(-1)?.at ?? tReady) - tReady) / 1000);

    // (c) Idle: nothing changes; count requests and writes over the window.
    await sleep(5_000);
    st.log(`N=${n}: idle ${st.idleMs / 1000} s`);
    const seqIdle = await seqs(emus);
    const writesIdle = tracker.writes().length;
    const tIdle = performance.now();
    const samples: NonNullable<SizeResult['idle']['samples']> = [];
    const idleEnds = tIdle + st.idleMs;
    while (performance.now() < idleEnds) {
      const wait = Math.min(st.sampleEveryMs ?? st.idleMs, idleEnds - performance.now());
      await Promise.race([sleep(wait), exited]);
      if (st.sampleEveryMs === undefined) continue;
      const s = await snapshot(operator.pid!, metricsPort);
      samples.push({
        atSeconds: round((performance.now() - tIdle) / 1000, 0),
        rssMiB: s.vmRssMiB,
        heapUsedMiB: s.heapUsedMiB,
      });
      st.log(
        `N=${n}: idle +${samples.at(-1)?.atSeconds} s: RSS ${s.vmRssMiB} MiB, heap ${s.heapUsedMiB} MiB`,
      );
    }
    const idleMinutes = (performance.now() - tIdle) / 60_000;
    const idleRequests = (await requestsOf(emus, seqIdle)).flat();
    const idleWrites = writesByKind(tracker, writesIdle);
    const afterIdle = await snapshot(operator.pid!, metricsPort);
    const perMinute = (counts: Record<string, number>) =>
      Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, round(v / idleMinutes, 1)]));
    const minimumPerMinute = st.services * 2 * (60 / st.pollIntervalSeconds);

    const sumReconciles = (s: typeof afterSync) => Object.values(s.reconciles).reduce((a, b) => a + b, 0);
    const result: SizeResult = {
      repositories: n,
      services: st.services,
      plans: expected.plans,
      floor,
      coldSync: {
        seconds: round(coldSeconds),
        kindSeconds,
        metricsUpSeconds: round(started.seconds),
        startupCpuSeconds: started.cpuSeconds,
        ratioToFloor: round(coldSeconds / floor.totalSeconds),
        backupServiceRequests: coldRequests.length,
        backupServiceRequestsByRoute: countByRoute(coldRequests),
        minimumBackupServiceRequests: floor.calls.backupService,
        apiServerWrites: coldWrites.total - coldEvents,
        eventsWritten: coldEvents,
        eventsAfterReady,
        eventsDrainedSeconds: round(eventsDrainedSeconds),
        apiServerWritesByKind: coldWrites.byKind,
        minimumApiServerWrites: floor.calls.apiServerWrites,
      },
      afterSync,
      idle: {
        seconds: round(idleMinutes * 60, 1),
        pollIntervalSeconds: st.pollIntervalSeconds,
        backupServiceRequestsPerMinute: round(idleRequests.length / idleMinutes, 1),
        backupServiceRequestsPerMinuteByRoute: perMinute(countByRoute(idleRequests)),
        minimumRequestsPerMinute: minimumPerMinute,
        ratio: round(idleRequests.length / idleMinutes / minimumPerMinute),
        apiServerWritesPerMinute: round(idleWrites.total / idleMinutes, 1),
        apiServerWritesByKind: idleWrites.byKind,
        ...(samples.length > 0 ? { samples } : {}),
      },
      afterIdle,
      cpuSecondsPer1000Reconciles: {
        coldSync: round((afterSync.cpuSeconds - started.cpuSeconds) / (sumReconciles(afterSync) / 1000)),
        total: round(afterIdle.cpuSeconds / (sumReconciles(afterIdle) / 1000)),
      },
    };
    st.log(
      `N=${n}: idle ${result.idle.backupServiceRequestsPerMinute} req/min (× ${result.idle.ratio}), RSS ${afterIdle.vmRssMiB} MiB`,
    );

    // (e) Restart: a new process confirms every object; how hard does it hit each service?
    if (st.restart) {
      st.log(`N=${n}: restart`);
      await stopChild(operator);
      const seqR = await seqs(emus);
      const writesR = tracker.writes().length;
      const tR = performance.now();
      operator = startOperatorProcess(launch);
      const restartExit = new Promise<never>((_, reject) =>
        operator!.once('exit', (code) => reject(new Error(`operator exited (${code}) after restart`))),
      );
      restartExit.catch(() => {});
      const deadline = tR + st.coldSyncTimeoutMs;
      // Confirmed: each kind's controller reconciled at least as often as it has objects, and its
      // queue is empty with no worker busy (the initial list enqueued every object once).
      for (;;) {
        const samples = await scrape(metricsPort).catch(() => undefined);
        const confirmed = (k: (typeof READY_KINDS)[number]): boolean => {
          const c = CONTROLLER_OF[k];
          return (
            sumOf(samples!, 'controller_runtime_reconcile_total', { controller: c }) >= expected[k] &&
            sumOf(samples!, 'workqueue_depth', { name: c }) === 0 &&
            sumOf(samples!, 'controller_runtime_active_workers', { controller: c }) === 0
          );
        };
        if (samples && READY_KINDS.every(confirmed)) break;
        if (performance.now() > deadline) throw new Error('restart: not every object reconciled in time');
        await Promise.race([sleep(250), restartExit]);
      }
      const restartSeconds = (performance.now() - tR) / 1000;
      await sleep(2_000);
      const perService = await requestsOf(emus, seqR);
      const all = perService.flat();
      result.restart = {
        seconds: round(restartSeconds),
        backupServiceRequests: all.length,
        backupServiceRequestsByRoute: countByRoute(all),
        peakRequestsPerSecondByService: perService.map(peakPerSecond),
        apiServerWrites: writesByKind(tracker, writesR).total,
      };
      st.log(`N=${n}: restart confirmed in ${restartSeconds.toFixed(2)} s, ${all.length} requests`);
    }

    // (e) Change latency: a new trigger token on K repositories, one at a time.
    if (st.changes > 0) {
      st.log(`N=${n}: change latency on ${st.changes} repositories`);
      const names = repositorySlots(shape).map((s) => s.name);
      const step = Math.max(1, Math.floor(n / st.changes));
      const latencies: number[] = [];
      for (let i = 0; i < Math.min(st.changes, n); i++) {
        const name = names[(i * step) % n]!;
        const token = `bench-${Date.now()}-${i}`;
        const t = performance.now();
        await kube.mergePatch(KINDS.repositories, NAMESPACE, name, { spec: { triggers: { backup: token } } });
        const echoed = await tracker.until(
          () => tracker!.get('repositories', name)?.status?.triggers?.backup?.token === token,
          30_000,
          `token ${token} echoed by ${name}`,
        );
        latencies.push(echoed - t);
      }
      result.changeLatencyMs = percentiles(latencies);
    }
    result.watch = tracker.watchRestarts();
    if (cgroup) {
      const read = cgroup.read();
      result.memoryLimit = { limitMiB: Math.round(cgroup.limitBytes / 2 ** 20), ...read };
      st.log(
        `N=${n}: under ${result.memoryLimit.limitMiB} MiB: peak ${read.peakMiB} MiB, OOM kills ${read.oomKills}`,
      );
    } else if (memoryLimit) result.memoryLimit = memoryLimit;
    return result;
  } finally {
    tracker?.stop();
    if (operator) await stopChild(operator);
    cgroup?.remove();
    for (const e of emulators) await stopChild(e.child);
    await kube.close();
    await plane.stop();
    unregister();
  }
}
