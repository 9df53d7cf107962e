// Delivering before the process goes away, without changing how it goes away.
//
// - `beforeExit` (the loop ran dry): flush within `shutdownTimeout`. A ref'd timer keeps the
//   process up while it runs (the SDK's own sockets and timers are unref'd); when it is over the
//   loop runs dry again and Node exits, because a second `beforeExit` with nothing new captured
//   does not flush again.
// - SIGTERM / SIGINT: flush within `shutdownTimeout`. If the application listens to the signal
//   itself, that is all: its handler decides what happens. If it does not, our listener has
//   switched off Node's default (death by the signal), so we restore it: remove our listener and
//   raise the signal again, and the process dies exactly as it would have.
// - `process.exit()` and uncaught exceptions end the process synchronously: nothing async can
//   run. The durable transport covers them from its own 'exit' hook, which saves to disk what
//   was not written yet; it is sent on the next start. Before that hook runs, ours asks the
//   features that buffer (logs, session aggregates) to hand their items to the transport, or the
//   transport's hook would save without them.

import { debugLog } from '../core/debug-log.js';
import type { ClientLike, Integration } from '../core/types.js';

export const PROCESS_EXIT_INTEGRATION_NAME = 'ProcessExit';

export interface ProcessExitOptions {
  /** Signals to flush on (default SIGTERM and SIGINT). */
  signals?: NodeJS.Signals[];
}

export function processExitIntegration(options: ProcessExitOptions = {}): Integration {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let client: ClientLike | undefined;
  /** Something was captured since the last beforeExit flush (or the run just started). */
  let dirty = true;
  let signalFlushRunning = false;
  const signalListeners = new Map<NodeJS.Signals, () => void>();

  const timeout = (): number => client?.getOptions().shutdownTimeout ?? 2000;

  /** Flushes while a ref'd timer holds the loop open; resolves when the flush is over. */
  const flushHoldingProcess = (): Promise<void> => {
    const current = client;
    if (!current) return Promise.resolve();
    const ms = timeout();
    const hold = setTimeout(() => {}, ms + 50);
    return current
      .flush(ms)
      .then(
        (delivered) => {
          if (!delivered) debugLog.warn('not everything was delivered before exit; the rest waits in the outbox');
        },
        (err: unknown) => debugLog.error('flush at exit failed', err),
      )
      .finally(() => clearTimeout(hold));
  };

  const onExit = (): void => {
    try {
      client?.emit?.('flush');
    } catch (err) {
      debugLog.error('exit handler failed', err);
    }
  };

  const onBeforeExit = (): void => {
    try {
      if (!dirty) return;
      dirty = false;
      void flushHoldingProcess();
    } catch (err) {
      debugLog.error('beforeExit handler failed', err);
    }
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    try {
      // Our listener is one of them; any other belongs to the application.
      const appHandlesIt = process.listenerCount(signal) > 1;
      if (signalFlushRunning) {
        // A second Ctrl-C while we flush means "now".
        if (!appHandlesIt) raiseAgain(signal);
        return;
      }
      signalFlushRunning = true;
      void flushHoldingProcess().then(() => {
        signalFlushRunning = false;
        if (!appHandlesIt) raiseAgain(signal);
      });
    } catch (err) {
      debugLog.error('signal handler failed', err);
      if (process.listenerCount(signal) <= 1) raiseAgain(signal);
    }
  };

  const raiseAgain = (signal: NodeJS.Signals): void => {
    removeSignalListeners();
    process.kill(process.pid, signal);
  };

  const removeSignalListeners = (): void => {
    for (const [signal, listener] of signalListeners) process.off(signal, listener);
    signalListeners.clear();
  };

  return {
    name: PROCESS_EXIT_INTEGRATION_NAME,
    setup(c) {
      client = c;
      process.on('beforeExit', onBeforeExit);
      // Prepended: it must run before the durable transport's own 'exit' hook (added at init).
      process.prependListener('exit', onExit);
      for (const signal of signals) {
        const listener = (): void => onSignal(signal);
        signalListeners.set(signal, listener);
        process.on(signal, listener);
      }
    },
    onEventQueued() {
      dirty = true;
    },
    teardown() {
      process.off('beforeExit', onBeforeExit);
      process.off('exit', onExit);
      removeSignalListeners();
      client = undefined;
    },
  };
}
