import type { Integration } from '../core/types.js';
import { dedupeIntegration } from '../integrations/dedupe.js';
import { nodeContextIntegration } from '../integrations/contexts.js';
import { modulesIntegration } from '../integrations/modules.js';
import { contextLinesIntegration } from '../integrations/context-lines.js';
import { localVariablesIntegration } from '../integrations/local-variables.js';
import { onUncaughtExceptionIntegration } from '../integrations/on-uncaught-exception.js';
import { onUnhandledRejectionIntegration } from '../integrations/on-unhandled-rejection.js';
import { consoleIntegration } from '../integrations/console.js';
import { childProcessIntegration } from '../integrations/child-process.js';
import { httpServerIntegration } from '../integrations/http-server.js';
import { httpBreadcrumbsIntegration } from '../integrations/http-breadcrumbs.js';
import { pinoIntegration } from '../integrations/pino.js';
import { httpServerTracingIntegration } from '../integrations/tracing-http-server.js';
import { httpClientTracingIntegration } from '../integrations/tracing-http-client.js';
import { sessionsIntegration } from '../integrations/sessions.js';
import { processExitIntegration } from './process-exit.js';

/**
 * The integrations Node gets unless `defaultIntegrations: false`. Each can be removed by name
 * with `integrations: (defaults) => defaults.filter((i) => i.name !== 'Console')`.
 */
export function getDefaultIntegrations(): Integration[] {
  return [
    dedupeIntegration(),
    nodeContextIntegration(),
    modulesIntegration(),
    contextLinesIntegration(),
    localVariablesIntegration(),
    onUncaughtExceptionIntegration(),
    onUnhandledRejectionIntegration(),
    consoleIntegration(),
    childProcessIntegration(),
    httpServerIntegration(),
    sessionsIntegration(),
    httpBreadcrumbsIntegration(),
    httpServerTracingIntegration(),
    httpClientTracingIntegration(),
    pinoIntegration(),
    processExitIntegration(),
  ];
}
