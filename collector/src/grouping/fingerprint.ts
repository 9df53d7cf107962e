import { createHash } from 'node:crypto';
import { defaultComponents } from './default-components.js';
import { exceptionsOf, messageOf, str, type Json } from './event-shape.js';

/**
 * The grouping hash of an event: its `fingerprint` when set, with `{{ default }}` replaced by the default
 * components (and a few other Sentry variables), else the default components.
 */
export function groupingHash(event: Json): string {
  return hashOf(groupingComponents(event));
}

export function groupingComponents(event: Json): string[] {
  const fingerprint = event['fingerprint'];
  if (!Array.isArray(fingerprint) || fingerprint.length === 0) return defaultComponents(event);
  const parts: string[] = [];
  for (const entry of fingerprint) {
    const text = str(entry);
    if (text === undefined) continue;
    const variable = /^\{\{\s*([\w.]+)\s*\}\}$/.exec(text.trim())?.[1]?.toLowerCase();
    if (variable === undefined) parts.push(`fp:${text}`);
    else parts.push(...expandVariable(variable, event));
  }
  return parts.length > 0 ? parts : defaultComponents(event);
}

function expandVariable(variable: string, event: Json): string[] {
  switch (variable) {
    case 'default':
      return defaultComponents(event);
    case 'transaction':
      return [`transaction:${str(event['transaction']) ?? '<no-transaction>'}`];
    case 'type':
    case 'error.type':
      return [`type:${exceptionsOf(event).at(-1)?.type ?? '<no-type>'}`];
    case 'value':
    case 'error.value':
      return [`value:${exceptionsOf(event).at(-1)?.value ?? '<no-value>'}`];
    case 'message':
      return [`message:${messageOf(event).formatted ?? '<no-message>'}`];
    case 'level':
      return [`level:${str(event['level']) ?? 'error'}`];
    default:
      return [`var:${variable}`];
  }
}

function hashOf(components: string[]): string {
  return createHash('sha1').update(components.join('\n')).digest('hex').slice(0, 32);
}
