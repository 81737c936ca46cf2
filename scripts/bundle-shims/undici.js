// What the bundled programs take from undici, without undici's index: the index loads fetch,
// WebSocket, EventSource, the caches, the mocks and every interceptor (about 1 MB of code, 3 MiB
// of resident memory) for an operator that only sends requests through Agent and Pool
// (docs/scale.md). scripts/bundle.ts resolves `undici` to this file; a name that is missing here
// fails the build. Run without the bundle (tests, `node src/main.ts`), the index is used.
import api from 'undici/lib/api/index.js';
import Agent from 'undici/lib/dispatcher/agent.js';
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import Pool from 'undici/lib/dispatcher/pool.js';
import ProxyAgent from 'undici/lib/dispatcher/proxy-agent.js';
import globalDispatcher from 'undici/lib/global.js';

// As the index does: `request`, `stream`, … on every dispatcher.
Object.assign(Dispatcher.prototype, api);

export { Agent, Dispatcher, Pool, ProxyAgent };
export const { getGlobalDispatcher, setGlobalDispatcher } = globalDispatcher;

// client-node's watch, log, metrics and generated-API modules import undici's fetch; none of them
// runs in these programs (they make their own requests, src/controllers/runtime/kube-client.ts).
// Should one ever run, Node's own fetch serves it.
export const fetch = (...args) => globalThis.fetch(...args);
