import { exceptionsOf, messageOf, str, threadFramesOf, type FrameLike, type Json } from './event-shape.js';

/**
 * The default grouping of an event, as a list of strings whose hash names the issue. Mirrors Sentry's
 * default strategy: exception types + in-app frames (module and function, never line numbers), else a
 * bare stack trace, else the message template with its variable parts masked.
 */
export function defaultComponents(event: Json): string[] {
  const exceptions = exceptionsOf(event);
  if (exceptions.length > 0) {
    // Sentry's "app" variant wins when any in-app frame exists; otherwise the "system" variant uses all frames.
    const useInAppOnly = exceptions.some((exception) => exception.frames.some((frame) => frame.in_app === true));
    const components: string[] = [];
    for (const exception of exceptions) {
      const frames = frameKeys(exception.frames, useInAppOnly);
      components.push(`type:${exception.type ?? ''}`);
      if (frames.length > 0) components.push(...frames);
      else components.push(`value:${maskVariables(exception.value ?? '')}`); // no stack: the value identifies it
    }
    return components;
  }
  const threadFrames = frameKeys(threadFramesOf(event), threadFramesOf(event).some((frame) => frame.in_app === true));
  if (threadFrames.length > 0) return ['threads', ...threadFrames];
  const { template } = messageOf(event);
  if (template) return [`message:${maskVariables(template)}`];
  const transaction = str(event['transaction']);
  return transaction ? [`transaction:${transaction}`] : ['fallback'];
}

function frameKeys(frames: FrameLike[], inAppOnly: boolean): string[] {
  const keys: string[] = [];
  for (const frame of frames) {
    if (inAppOnly && frame.in_app !== true) continue;
    const where = frame.module ?? stripFilename(frame.filename ?? frame.abs_path);
    const fn = cleanFunction(frame.function);
    if (!where && !fn) continue;
    keys.push(`frame:${where ?? ''}:${fn ?? ''}`);
  }
  return keys;
}

/** Bundles and dev servers add query strings and hashes to file names; they don't change the code. */
function stripFilename(filename: string | undefined): string | undefined {
  if (!filename) return undefined;
  return filename.replace(/[?#].*$/, '').replace(/\.[0-9a-f]{8,}(?=\.\w+$)/, '');
}

/** Call-site decorations vary between engines and calls; the function's identity does not. */
function cleanFunction(name: string | undefined): string | undefined {
  if (!name || name === '?' || name === '<anonymous>') return undefined;
  return name.replace(/^async\s+/, '').replace(/^new\s+/, '').replace(/^Object\./, '').replace(/\s*\[as [^\]]+\]$/, '');
}

/** Masks the parts of a message that differ between occurrences of the same problem (ids, numbers, dates). */
export function maskVariables(text: string): string {
  return text
    .replace(/\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b/gi, '<uuid>')
    .replace(/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?/g, '<date>')
    .replace(/\b0x[0-9a-f]+\b/gi, '<hex>')
    .replace(/\b[0-9a-f]{16,}\b/gi, '<hex>')
    .replace(/\b\d+(\.\d+)?\b/g, '<int>');
}
