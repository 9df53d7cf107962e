import * as os from 'node:os';
import type { Integration, Options } from '../core/types.js';
import { Client } from '../core/client.js';
import { resolveOptions } from '../core/options.js';
import { parseDsn } from '../core/dsn.js';
import { debugLog } from '../core/debug-log.js';
import { getGlobalScope, setAsyncContextStrategy } from '../core/async-context.js';
import { createAsyncLocalStorageStrategy } from './async-context.js';
import { makeDurableNodeTransport } from './transport-durable.js';
import { getDefaultIntegrations } from './default-integrations.js';
import { resolveIntegrations } from '../core/integrations.js';
import { localCollectorDsn, wantsLocalCollector } from './collector-dsn.js';
import { useRandomSource } from '../core/ids.js';
import { fillFromUrandom } from './random-bytes.js';

let carrierInstalled = false;
const setUpOnce = new Set<string>();

/**
 * Starts faultline in Node. Never throws: a malformed DSN or a bad option leaves the SDK disabled
 * and says why on stderr with `debug: true`. Returns the client, or undefined when disabled.
 */
export function init(options: Options = {}): Client | undefined {
  try {
    if (!carrierInstalled) {
      setAsyncContextStrategy(createAsyncLocalStorageStrategy());
      useRandomSource(fillFromUrandom);
      carrierInstalled = true;
    }
    const previous = getGlobalScope().getClient<Client>();
    let input: Options = options;
    const noDsn = !options || typeof options !== 'object' || options.dsn === undefined || options.dsn === null;
    if (noDsn && !process.env['SENTRY_DSN'] && wantsLocalCollector(options?.collector, process.env)) {
      input = { ...options, dsn: localCollectorDsn(process.env) };
    }
    const { options: resolved, problems, warnings } = resolveOptions(input, {
      env: process.env,
      serverName: safeHostname(),
      projectRoot: process.cwd(),
    });
    debugLog.setEnabled(resolved.debug);
    for (const w of warnings) debugLog.warn(w);

    let dsn;
    if (resolved.dsn) {
      const parsed = parseDsn(resolved.dsn);
      if ('error' in parsed) problems.push(`invalid DSN: ${parsed.error}`);
      else dsn = parsed.dsn;
    } else {
      debugLog.log('no DSN given: faultline is disabled and sends nothing');
    }
    if (problems.length) {
      for (const p of problems) debugLog.error(p);
      debugLog.error('faultline stays disabled until init() gets valid options');
      dsn = undefined;
    }

    resolved.transport ??= makeDurableNodeTransport;
    const integrations: Integration[] = dsn ? resolveIntegrations(resolved, getDefaultIntegrations()) : [];
    const client = new Client({ options: resolved, dsn, integrations, projectRoot: resolved.projectRoot });
    if (previous && previous !== client) void previous.close(0);
    getGlobalScope().setClient(client);
    if (!client.isEnabled()) return undefined;

    for (const integration of integrations) {
      if (!integration.setupOnce || setUpOnce.has(integration.name)) continue;
      setUpOnce.add(integration.name);
      try {
        integration.setupOnce();
      } catch (err) {
        debugLog.error(`integration ${integration.name} failed to set up`, err);
      }
    }
    client.setupIntegrations();
    debugLog.log(`initialized; sending to ${dsn!.host}`);
    return client;
  } catch (err) {
    debugLog.error('init failed; faultline is disabled', err);
    return undefined;
  }
}

function safeHostname(): string | undefined {
  try {
    return os.hostname();
  } catch {
    return undefined;
  }
}
