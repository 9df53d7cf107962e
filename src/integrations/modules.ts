import type { Event, Integration } from '../core/types.js';
import { createModuleCollector } from '../node/contexts/modules.js';
import { markOwn } from '../core/own-code.js';

/**
 * `event.modules`: name → version of the packages the app has loaded or declares (the Python
 * SDK's `modules` integration). The list is built lazily on the first event and then only looked
 * at again when new modules were loaded; see createModuleCollector.
 */
export function modulesIntegration(): Integration {
  let collector: ReturnType<typeof createModuleCollector> | undefined;
  let last: Record<string, string> | undefined;
  let lastHasAny = false;
  return markOwn({
    name: 'Modules',
    processEvent(event: Event, _hint, client): Event {
      if (event.type === 'transaction' || event.modules) return event;
      collector ??= createModuleCollector({ root: client.getOptions().projectRoot ?? process.cwd() });
      const modules = collector.get();
      if (modules !== last) {
        last = modules;
        lastHasAny = Object.keys(modules).length > 0;
      }
      if (lastHasAny) event.modules = modules;
      return event;
    },
  });
}
