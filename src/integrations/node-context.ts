import * as os from 'node:os';
import type { Context, Event, Integration } from '../core/types.js';

/**
 * Adds `contexts.runtime` and `contexts.os` to every event. They cannot change while the process
 * runs, so they are computed once, on the first event, not per event and not at import.
 */
export function nodeContextIntegration(): Integration {
  let cached: { runtime: Context; os: Context } | undefined;
  return {
    name: 'NodeContext',
    processEvent(event: Event): Event {
      cached ??= {
        runtime: { name: 'node', version: process.version },
        os: { name: os.type(), kernel_version: os.release() },
      };
      const contexts = (event.contexts ??= {});
      contexts['runtime'] ??= cached.runtime;
      contexts['os'] ??= cached.os;
      return event;
    },
  };
}
