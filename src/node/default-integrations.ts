import type { Integration } from '../core/types.js';
import { dedupeIntegration } from '../integrations/dedupe.js';
import { nodeContextIntegration } from '../integrations/node-context.js';

/** The integrations Node gets unless `defaultIntegrations: false`. */
export function getDefaultIntegrations(): Integration[] {
  return [dedupeIntegration(), nodeContextIntegration()];
}
