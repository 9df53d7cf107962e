// Frame `vars` for captured exceptions (option `includeLocalVariables`, off by default): the locals
// that the newest in-app frames held when the error was thrown, collected through the inspector
// (see node/local-variables/collector.ts). The values go through the core's normalization and
// scrubbing like any databag, so a local named `password` is sent as "[Filtered]".

import type { ClientLike, Event, EventHint, Integration } from '../core/types.js';
import { debugLog } from '../core/debug-log.js';
import { acquireCollector, releaseCollector, type CollectorOptions, type LocalVariablesCollector } from '../node/local-variables/collector.js';
import { attachVars } from '../node/local-variables/attach.js';
import { markOwn } from '../core/own-code.js';

export type LocalVariablesOptions = CollectorOptions;

export function localVariablesIntegration(opts: LocalVariablesOptions = {}): Integration {
  let collector: LocalVariablesCollector | undefined;
  return markOwn({
    name: 'LocalVariables',
    setup(client: ClientLike) {
      // Registered by default but idle: pausing on every exception is only worth it when asked for.
      if (client.getOptions()['includeLocalVariables'] !== true || collector) return;
      collector = acquireCollector(opts);
      if (!collector) debugLog.warn('includeLocalVariables: node:inspector is not available; no vars are sent');
    },
    processEvent(event: Event, hint: EventHint): Event {
      if (!collector) return event;
      try {
        const collected = collector.get(hint.originalException);
        const values = event.exception?.values;
        // The captured error is the last value (causes come first, SPEC.md decision 7).
        const frames = values?.[values.length - 1]?.stacktrace?.frames;
        if (collected && frames) attachVars(frames, collected);
      } catch (err) {
        debugLog.error('LocalVariables failed; the event is sent without vars', err);
      }
      return event;
    },
    teardown() {
      if (collector) releaseCollector(collector);
      collector = undefined;
    },
  });
}
