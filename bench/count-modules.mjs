// Preloaded with `--import` in the "modules" scenario only (it slows loading, so timings never use it).
// ESM files are seen by a `load` hook registered with module.register; it runs on the loader thread, so it
// posts each file: URL back over a MessagePort. CommonJS files required from CJS never reach those hooks on
// Node 20, so the child adds require.cache (the one shared CJS cache) and counts the union of unique paths.
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
globalThis.__benchEsmFiles = new Set();
port1.on('message', (url) => globalThis.__benchEsmFiles.add(url));
port1.unref();
register('./module-hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });
