// Collects the local variables of the newest in-app frames whenever an exception is thrown, caught
// or not, through an inspector session in this thread (`node:inspector`).
//
// How: `Debugger.setPauseOnExceptions({ state: 'all' })` makes V8 pause at every `throw` and at
// every promise rejection; in this thread the `Debugger.paused` notification and the
// `Runtime.getProperties` replies arrive synchronously, inside the `throw`, before any catch runs.
// The locals are stored in a WeakMap keyed by the thrown object itself (we get hold of it by calling
// a registered function on it through `Runtime.callFunctionOn`), so a later capture of that error,
// wherever it happens, finds them, and they go away with the error.
//
// Cost control: the debugger is only enabled while a client wants locals; an error re-thrown keeps
// its first (deepest) locals and is not collected again; one inspector call per frame (V8's value
// previews give one level of objects for free); and pauses are rate limited: past
// `maxExceptionsPerSecond`, pausing is switched off for a cool-down that doubles each time. The
// pause itself (V8 describing the call frames to the session) is most of the cost, so every
// exception counts, whether its frames are in-app or not.

import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Debugger, Runtime, Session as InspectorSession } from 'node:inspector';
import { debugLog } from '../../core/debug-log.js';
import { fromRemoteObject } from './remote-value.js';

export interface CollectedFrame {
  /** V8's function name ('' for anonymous functions). */
  functionName: string;
  /** Absolute path of the script. */
  path: string;
  /** 1-based, in the script as V8 runs it (compiled JavaScript when there is a source map). */
  line: number;
  vars: Record<string, unknown>;
}

export interface CollectorOptions {
  /** In-app frames (newest first) whose locals are collected (default 5). */
  maxFrames?: number;
  /** Variables kept per frame (default 10). */
  maxVarsPerFrame?: number;
  /**
   * Exceptions paused on per second before pausing is switched off for a while (default 50).
   * Every pause counts, collected or not: the pause itself is most of the cost (~0.3 ms).
   */
  maxExceptionsPerSecond?: number;
  /** First cool-down in ms (default 5 s), doubled on each new trip up to 10 minutes. */
  cooldownMs?: number;
}

const RECEIVER_KEY = Symbol.for('faultline.localVariables.receive');
// Runs in the paused context with `this` = the thrown value, and hands it to our receiver.
const HAND_OVER = `function () { try { const r = globalThis[Symbol.for('faultline.localVariables.receive')]; if (typeof r === 'function') r(this); } catch {} }`;
const MAX_COOLDOWN_MS = 10 * 60 * 1000;
/** Scope types holding a function's own variables (`block` = let/const of inner blocks). */
const OWN_SCOPES = new Set(['local', 'block', 'catch']);

export class LocalVariablesCollector {
  /** Counters for tests and measurements. */
  readonly stats = { pauses: 0, collections: 0, skippedByRateLimit: 0 };
  private session: InspectorSession | undefined;
  private readonly store = new WeakMap<object, CollectedFrame[]>();
  private readonly scriptUrls = new Map<string, string>();
  private pending: CollectedFrame[] | undefined;
  private readonly maxFrames: number;
  private readonly maxVars: number;
  private readonly maxPerSecond: number;
  private readonly baseCooldown: number;
  private cooldown: number;
  private windowStart = 0;
  private windowCount = 0;
  private cooldownTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: CollectorOptions = {}) {
    this.maxFrames = opts.maxFrames ?? 5;
    this.maxVars = opts.maxVarsPerFrame ?? 10;
    this.maxPerSecond = opts.maxExceptionsPerSecond ?? 50;
    this.baseCooldown = this.cooldown = opts.cooldownMs ?? 5000;
  }

  /** Starts pausing on exceptions. False when the inspector is not available in this Node. */
  start(): boolean {
    if (this.session) return true;
    try {
      const inspector = loadInspector();
      if (!inspector) return false;
      const session = new inspector.Session();
      session.connect();
      session.on('Debugger.scriptParsed', (m) => this.onScriptParsed(m.params));
      session.on('Debugger.paused', (m) => this.onPaused(m.params));
      Object.defineProperty(globalThis, RECEIVER_KEY, {
        value: (thrown: unknown) => this.receive(thrown),
        configurable: true,
        enumerable: false,
        writable: true,
      });
      this.session = session;
      session.post('Debugger.enable');
      this.setPausing(true);
      return true;
    } catch (err) {
      debugLog.error('local variables: the inspector could not be started', err);
      this.stop();
      return false;
    }
  }

  stop(): void {
    if (this.cooldownTimer) clearTimeout(this.cooldownTimer);
    this.cooldownTimer = undefined;
    const session = this.session;
    this.session = undefined;
    try {
      delete (globalThis as Record<symbol, unknown>)[RECEIVER_KEY];
      session?.post('Debugger.setPauseOnExceptions', { state: 'none' });
      session?.post('Debugger.disable');
      session?.disconnect();
    } catch {
      // Already gone: nothing left to undo.
    }
    this.scriptUrls.clear();
  }

  isRunning(): boolean {
    return this.session !== undefined;
  }

  /** The locals collected when `error` was thrown, newest frame first. */
  get(error: unknown): CollectedFrame[] | undefined {
    return isObject(error) ? this.store.get(error) : undefined;
  }

  private onScriptParsed(params: Debugger.ScriptParsedEventDataType): void {
    // Only files can be in-app; eval'd code and Node's internals have no file URL.
    if (params.url.startsWith('file:') || params.url.startsWith('/')) this.scriptUrls.set(params.scriptId, params.url);
  }

  private onPaused(params: Debugger.PausedEventDataType): void {
    try {
      this.stats.pauses++;
      if (params.reason !== 'exception' && params.reason !== 'promiseRejection') return;
      if (!this.allowPause()) return;
      const thrown = params.data as Runtime.RemoteObject | undefined;
      // Only objects can key the store; `throw 'text'` has nothing to attach locals to.
      if (!thrown?.objectId) return;
      const frames = this.inAppFrames(params.callFrames);
      if (frames.length === 0) return;
      const collected: CollectedFrame[] = [];
      for (const { frame, path: file } of frames) {
        collected.push({
          functionName: frame.functionName,
          path: file,
          line: frame.location.lineNumber + 1,
          vars: this.localsOf(frame),
        });
      }
      this.pending = collected;
      this.session!.post('Runtime.callFunctionOn', { objectId: thrown.objectId, functionDeclaration: HAND_OVER });
      this.stats.collections++;
    } catch (err) {
      debugLog.error('local variables: collection failed', err);
    } finally {
      this.pending = undefined;
    }
  }

  /** Called (synchronously, from HAND_OVER) with the thrown value itself. */
  private receive(thrown: unknown): void {
    // A re-thrown error keeps the locals of where it was first thrown.
    if (this.pending && isObject(thrown) && !this.store.has(thrown)) this.store.set(thrown, this.pending);
  }

  private inAppFrames(callFrames: Debugger.CallFrame[]): Array<{ frame: Debugger.CallFrame; path: string }> {
    const out: Array<{ frame: Debugger.CallFrame; path: string }> = [];
    for (const frame of callFrames) {
      if (out.length >= this.maxFrames) break;
      const url = frame.url || this.scriptUrls.get(frame.location.scriptId);
      if (!url) continue;
      const file = url.startsWith('file:') ? safeFileUrlToPath(url) : url;
      if (file && isInAppPath(file)) out.push({ frame, path: file });
    }
    return out;
  }

  private localsOf(frame: Debugger.CallFrame): Record<string, unknown> {
    const vars: Record<string, unknown> = {};
    let count = 0;
    // Innermost scopes first, up to and including the function's own scope (closures and module
    // scope are not "locals" and can be huge).
    for (const scope of frame.scopeChain) {
      if (!OWN_SCOPES.has(scope.type)) break;
      const objectId = scope.object.objectId;
      if (!objectId) continue;
      let properties: Runtime.PropertyDescriptor[] = [];
      this.session!.post('Runtime.getProperties', { objectId, ownProperties: true, generatePreview: true }, (err, res) => {
        if (!err && res) properties = res.result;
      });
      for (const p of properties) {
        if (count >= this.maxVars) return vars;
        if (!p.value || p.name in vars) continue;
        vars[p.name] = fromRemoteObject(p.value);
        count++;
      }
      if (scope.type === 'local') break;
    }
    return vars;
  }

  private allowPause(): boolean {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    if (++this.windowCount <= this.maxPerSecond) return true;
    this.stats.skippedByRateLimit++;
    // Too many exceptions: stop pausing for a while so a throwing loop does not pay for us.
    this.setPausing(false);
    const wait = this.cooldown;
    this.cooldown = Math.min(this.cooldown * 2, MAX_COOLDOWN_MS);
    debugLog.warn(`local variables: more than ${this.maxPerSecond} exceptions per second; not collecting for ${wait} ms`);
    this.cooldownTimer = setTimeout(() => {
      this.cooldownTimer = undefined;
      this.windowCount = 0;
      if (this.session) this.setPausing(true);
    }, wait);
    this.cooldownTimer.unref?.();
    return false;
  }

  private setPausing(on: boolean): void {
    this.session?.post('Debugger.setPauseOnExceptions', { state: on ? 'all' : 'none' });
  }
}

function loadInspector(): typeof import('node:inspector') | undefined {
  try {
    // Loaded lazily: Node builds without an inspector throw on import, which must not break the SDK.
    const require = createRequire(path.join(process.cwd(), 'faultline-noop.js'));
    return require('node:inspector') as typeof import('node:inspector');
  } catch {
    return undefined;
  }
}

function isInAppPath(file: string): boolean {
  return !file.includes(`${path.sep}node_modules${path.sep}`) && !file.includes('/node_modules/');
}

function safeFileUrlToPath(url: string): string | undefined {
  try {
    return fileURLToPath(url);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

// ---- one collector per process, shared by the clients that want locals --------------------------

let shared: LocalVariablesCollector | undefined;
let users = 0;

/** The process-wide collector, started on first use. Undefined when the inspector is unavailable. */
export function acquireCollector(opts?: CollectorOptions): LocalVariablesCollector | undefined {
  shared ??= new LocalVariablesCollector(opts);
  if (!shared.start()) return undefined;
  users++;
  return shared;
}

/** Stops pausing on exceptions once no client wants locals any more. */
export function releaseCollector(collector: LocalVariablesCollector): void {
  if (collector !== shared || users === 0) return;
  if (--users === 0) {
    shared.stop();
    shared = undefined;
  }
}
