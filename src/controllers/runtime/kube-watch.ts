import type { KubeRest } from './kube-client.ts';
import type { WatchClient } from './reflector.ts';

/** Options for {@link createWatch}. */
export interface WatchOptions {
  /** Abort a watch after this long without a byte from the server; 180 s unless told. */
  inactivityTimeoutMs?: number;
  /** An `Accept` header for every watch request, e.g. `METADATA_WATCH_ACCEPT`. */
  accept?: string;
}

/**
 * Creates the watch the reflector uses: one streaming GET with `watch=true`, one JSON event per
 * line, `done` called exactly once when the stream ends, fails or is aborted.
 *
 * The inactivity timeout is set above the reflector's own watchdog: the apiserver sends a bookmark
 * only about once a minute on an idle watch, so it must not be shorter than that.
 */
export function createWatch(rest: KubeRest, opts: WatchOptions = {}): WatchClient {
  const inactivityMs = opts.inactivityTimeoutMs ?? 180_000;
  return {
    async watch(path, queryParams, callback, done) {
      const controller = new AbortController();
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      const touch = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          timedOut = true;
          controller.abort(new DOMException('watch inactive too long', 'TimeoutError'));
        }, inactivityMs);
        timer.unref();
      };
      let finished = false;
      const finish = (err: unknown) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        controller.abort();
        done(err !== null && timedOut ? new DOMException('watch inactive too long', 'TimeoutError') : err);
      };
      touch();
      let res: Awaited<ReturnType<KubeRest['stream']>>;
      try {
        res = await rest.stream({
          path,
          query: { ...queryParams, watch: true },
          ...(opts.accept ? { accept: opts.accept } : {}),
          signal: controller.signal,
        });
      } catch (err) {
        finish(err);
        return controller;
      }
      void consumeLines(res.body, touch, (line) => {
        let event: { type?: unknown; object?: unknown };
        try {
          event = JSON.parse(line) as typeof event;
        } catch {
          return; // a torn line from an aborted stream carries nothing to apply
        }
        callback(String(event.type), event.object, event);
      }).then(
        () => finish(null),
        (err: unknown) => finish(err),
      );
      return controller;
    },
  };
}

/** Reads a byte stream as UTF-8 lines, calling `onChunk` for each chunk (activity) and `onLine` per line. */
async function consumeLines(
  body: AsyncIterable<Buffer | string>,
  onChunk: () => void,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of body) {
    onChunk();
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let newline = pending.indexOf('\n'); newline !== -1; newline = pending.indexOf('\n', start)) {
      const line = pending.slice(start, newline).trim();
      start = newline + 1;
      if (line !== '') onLine(line);
    }
    pending = pending.slice(start);
  }
  const rest = (pending + decoder.decode()).trim();
  if (rest !== '') onLine(rest);
}
