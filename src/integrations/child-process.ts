import * as diagnostics from 'node:diagnostics_channel';
import type { ChildProcess } from 'node:child_process';
import type { Integration } from '../core/types.js';
import { addBreadcrumb, getClient } from '../core/api.js';

export interface ChildProcessOptions {
  /** Record the arguments, not only the executable (default true, as the Python SDK does). */
  includeArgs?: boolean;
}

const CHANNEL = 'child_process';

let installed: { owner: object; includeArgs: boolean } | undefined;

function commandOf(child: ChildProcess, includeArgs: boolean): string {
  const args = child.spawnargs;
  if (includeArgs && Array.isArray(args) && args.length) return args.join(' ');
  return child.spawnfile ?? '';
}

function onChildProcess(message: unknown): void {
  const child = (message as { process?: ChildProcess } | undefined)?.process;
  if (!child || !installed || !getClient()) return;
  // Node publishes from the ChildProcess constructor, before it spawns; `spawn()` runs right after
  // in the same tick. One tick later the outcome is known without listening for 'error' (a
  // listener there would stop an unhandled spawn error from crashing the app as it should).
  process.nextTick(() => {
    try {
      if (!installed) return;
      const command = commandOf(child, installed.includeArgs);
      if (!command) return;
      if (child.pid === undefined) {
        addBreadcrumb({ type: 'subprocess', category: 'child_process', level: 'error', message: command, data: { spawn_failed: true } });
        return;
      }
      const pid = child.pid;
      addBreadcrumb({ type: 'subprocess', category: 'child_process', message: command, data: { pid } });
      child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
        try {
          const data: Record<string, unknown> = { pid };
          if (code !== null) data['exit_code'] = code;
          if (signal !== null) data['signal'] = signal;
          const failed = code !== 0;
          addBreadcrumb({ type: 'subprocess', category: 'child_process', level: failed ? 'warning' : 'info', message: command, data });
        } catch {
          // Never let a breadcrumb break the app's exit handling.
        }
      });
    } catch {
      // Same: the app's process handling goes on whatever happens here.
    }
  });
}

/**
 * Child-process breadcrumbs: one when a process starts (`data.pid`) and one when it exits
 * (`data.exit_code` or `data.signal`, level `warning` unless it exited with 0), both with the
 * command as message, type `subprocess`, category `child_process`. Covers spawn, exec, execFile
 * and fork through Node's `child_process` diagnostics channel; the synchronous variants
 * (spawnSync, execSync) do not publish there and are not recorded.
 */
export function childProcessIntegration(options: ChildProcessOptions = {}): Integration {
  const self = {};
  const includeArgs = options.includeArgs !== false;
  return {
    name: 'ChildProcess',
    setup() {
      if (installed) {
        installed.owner = self;
        installed.includeArgs = includeArgs;
        return;
      }
      installed = { owner: self, includeArgs };
      diagnostics.subscribe(CHANNEL, onChildProcess);
    },
    teardown() {
      if (installed?.owner !== self) return;
      diagnostics.unsubscribe(CHANNEL, onChildProcess);
      installed = undefined;
    },
  };
}
