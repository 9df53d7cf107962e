// Node built-ins loaded on first use. `node:https` and `node:tls` cost about 7 ms and 4 MiB at
// start-up, `node:http` (with `node:net`) about 5 ms and 0.6 MiB, `node:zlib` about 2 ms and
// 2 MiB, `node:util` 0.25 MiB; an app whose DSN is http:// and that never crashes nor logs to the
// console before an event is sent needs none.
import { createRequire } from 'node:module';
import * as path from 'node:path';

type Http = typeof import('node:http');
type Https = typeof import('node:https');
type Tls = typeof import('node:tls');
type Net = typeof import('node:net');
type Zlib = typeof import('node:zlib');
type Util = typeof import('node:util');
type WorkerThreads = typeof import('node:worker_threads');

let nodeRequire: ((id: string) => unknown) | undefined;

function load<T>(id: string): T {
  // process.getBuiltinModule exists from Node 20.16; createRequire works in ESM and CJS builds.
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (typeof get === 'function') return get(id) as T;
  nodeRequire ??= createRequire(path.join(process.cwd(), 'faultline-builtins.js'));
  return nodeRequire(id) as T;
}

let http: Http | undefined;
let https: Https | undefined;
let tls: Tls | undefined;
let net: Net | undefined;
let zlib: Zlib | undefined;
let util: Util | undefined;
let workerThreads: WorkerThreads | undefined;

export const loadHttp = (): Http => (http ??= load<Http>('node:http'));
export const loadHttps = (): Https => (https ??= load<Https>('node:https'));
/**
 * node:net as its CommonJS object: an ESM `import` of it builds the module's namespace, whose
 * getters load net's BlockList and SocketAddress (about 1 ms at start-up) for nothing.
 */
export const loadNet = (): Net => (net ??= load<Net>('node:net'));
/** node:tls: only an https:// DSN's transport needs it. */
export const loadTls = (): Tls => (tls ??= load<Tls>('node:tls'));
export const loadZlib = (): Zlib => (zlib ??= load<Zlib>('node:zlib'));
/** node:util (about 0.25 MiB): only console calls and crash reports format with it. */
export const loadUtil = (): Util => (util ??= load<Util>('node:util'));

/** node:worker_threads: only a burst that spills to disk starts a sender thread (outbox/burst-sender.ts). */
export const loadWorkerThreads = (): WorkerThreads => (workerThreads ??= load<WorkerThreads>('node:worker_threads'));

/** Has the application (or anything) loaded this built-in already? Reads Node's own list. */
export function isBuiltinLoaded(name: string): boolean {
  const list = (process as { moduleLoadList?: string[] }).moduleLoadList;
  return Array.isArray(list) && list.includes(`NativeModule ${name}`);
}
