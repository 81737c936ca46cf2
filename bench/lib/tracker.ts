/**
 * Watches the bench namespace (one list + one watch per kind, no polling) and keeps, per object,
 * whether it is Ready with a current observedGeneration, plus a timestamped log of every change
 * the API server reports: each ADDED/MODIFIED/DELETED event is one write to that object, which is
 * how the bench counts API-server writes without an audit log.
 */
import type { KubeObject, KubeRest, ResourceRef } from './kube-rest.ts';

/** One write seen on the watch. */
export interface WriteRecord {
  at: number;
  kind: string;
  type: string;
  name: string;
}

/** True when the object is Ready=True and its status describes the current generation. */
export function isReadyCurrent(o: KubeObject): boolean {
  const ready = o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  return (
    ready && o.metadata.generation !== undefined && o.status?.observedGeneration === o.metadata.generation
  );
}

/** A running watch over several kinds of one namespace. */
export interface Tracker {
  /** Objects of a kind currently Ready and current. */
  readyCount(kind: string): number;
  total(kind: string): number;
  get(kind: string, name: string): KubeObject | undefined;
  writes(): readonly WriteRecord[];
  /** Watches resumed after an error, and lists repeated after a 410 (writes may be missed then). */
  watchRestarts(): { restarts: number; relists: number };
  /** Resolves (with the time it became true) once `predicate` holds; checked after every event. */
  until(predicate: () => boolean, timeoutMs: number, what: string): Promise<number>;
  stop(): void;
}

/** Starts list+watch for each kind in `kinds` (name → resource); resolves once every list is in. */
export async function startTracker(
  kube: KubeRest,
  namespace: string,
  kinds: Record<string, ResourceRef>,
): Promise<Tracker> {
  const objects = new Map<string, Map<string, KubeObject>>();
  const ready = new Map<string, Set<string>>();
  const writes: WriteRecord[] = [];
  const waiters = new Set<() => void>();
  const abort = new AbortController();
  let failure: Error | undefined;
  let restarts = 0;
  let relists = 0;

  const apply = (kind: string, o: KubeObject, deleted: boolean): void => {
    const byName = objects.get(kind)!;
    const readySet = ready.get(kind)!;
    if (deleted) {
      byName.delete(o.metadata.name);
      readySet.delete(o.metadata.name);
    } else {
      byName.set(o.metadata.name, o);
      if (isReadyCurrent(o)) readySet.add(o.metadata.name);
      else readySet.delete(o.metadata.name);
    }
  };

  for (const [kind, ref] of Object.entries(kinds)) {
    objects.set(kind, new Map());
    ready.set(kind, new Set());
    const { items, resourceVersion } = await kube.list(ref, namespace);
    for (const o of items) apply(kind, o, false);
    // A watch that ends or fails (the API server answers 429 while its watch cache initialises,
    // 410 when the resourceVersion is too old) is resumed; after a 410 the kind is listed again.
    const loop = async (from: string): Promise<void> => {
      let rv = from;
      while (!abort.signal.aborted) {
        let gone = false;
        try {
          await kube.watch(
            ref,
            namespace,
            rv,
            (e) => {
              if (e.type === 'ERROR') {
                gone = (e.object as unknown as { code?: number }).code === 410;
                return;
              }
              if (e.object.metadata.resourceVersion) rv = e.object.metadata.resourceVersion;
              if (e.type === 'BOOKMARK') return;
              writes.push({ at: performance.now(), kind, type: e.type, name: e.object.metadata.name });
              apply(kind, e.object, e.type === 'DELETED');
              for (const w of waiters) w();
            },
            abort.signal,
          );
        } catch (err) {
          if (abort.signal.aborted) return;
          gone = /: 410 /.test(String(err));
          restarts++;
          await new Promise((r) => setTimeout(r, 1_000));
        }
        if (gone && !abort.signal.aborted) {
          const again = await kube.list(ref, namespace);
          objects.get(kind)!.clear();
          ready.get(kind)!.clear();
          for (const o of again.items) apply(kind, o, false);
          rv = again.resourceVersion;
          relists++;
        }
      }
    };
    loop(resourceVersion).catch((err: unknown) => {
      if (!abort.signal.aborted) failure = err instanceof Error ? err : new Error(String(err));
      for (const w of waiters) w();
    });
  }

  return {
    readyCount: (kind) => ready.get(kind)?.size ?? 0,
    total: (kind) => objects.get(kind)?.size ?? 0,
    get: (kind, name) => objects.get(kind)?.get(name),
    writes: () => writes,
    watchRestarts: () => ({ restarts, relists }),
    until(predicate, timeoutMs, what) {
      return new Promise<number>((resolve, reject) => {
        const check = (): void => {
          if (failure) {
            done();
            reject(failure);
          } else if (predicate()) {
            done();
            resolve(performance.now());
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    stop: () => abort.abort(),
  };
}
