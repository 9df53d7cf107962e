/**
 * Lenient readers for the parts of an event that grouping and summaries need. Events arrive from any
 * SDK, so every field is `unknown` until proven otherwise; nothing here throws.
 */
export type Json = Record<string, unknown>;

export interface FrameLike {
  function?: string;
  module?: string;
  filename?: string;
  abs_path?: string;
  lineno?: number;
  in_app?: boolean;
}

export interface ExceptionLike {
  type?: string;
  value?: string;
  module?: string;
  frames: FrameLike[];
}

export function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** `exception.values` (or a bare array, which Relay also accepts), oldest cause first. */
export function exceptionsOf(event: Json): ExceptionLike[] {
  const raw = event['exception'];
  const list = Array.isArray(raw) ? raw : isObject(raw) && Array.isArray(raw['values']) ? raw['values'] : [];
  const out: ExceptionLike[] = [];
  for (const entry of list) {
    if (!isObject(entry)) continue;
    const type = str(entry['type']);
    const value = str(entry['value']);
    if (type === undefined && value === undefined) continue; // Relay discards these too
    out.push({ type, value, module: str(entry['module']), frames: framesOf(entry['stacktrace']) });
  }
  return out;
}

export function framesOf(stacktrace: unknown): FrameLike[] {
  if (!isObject(stacktrace) || !Array.isArray(stacktrace['frames'])) return [];
  const frames: FrameLike[] = [];
  for (const frame of stacktrace['frames']) {
    if (!isObject(frame)) continue;
    frames.push({
      function: str(frame['function']),
      module: str(frame['module']),
      filename: str(frame['filename']),
      abs_path: str(frame['abs_path']),
      lineno: typeof frame['lineno'] === 'number' ? frame['lineno'] : undefined,
      in_app: typeof frame['in_app'] === 'boolean' ? frame['in_app'] : undefined,
    });
  }
  return frames;
}

/** The first thread stack trace, for events that carry `threads` but no exception. */
export function threadFramesOf(event: Json): FrameLike[] {
  const threads = event['threads'];
  const list = isObject(threads) && Array.isArray(threads['values']) ? threads['values'] : [];
  for (const thread of list) {
    if (isObject(thread)) {
      const frames = framesOf(thread['stacktrace']);
      if (frames.length > 0) return frames;
    }
  }
  return [];
}

/** The message as a template (`logentry.message`) and as shown (`formatted`), whichever exists. */
export function messageOf(event: Json): { template?: string; formatted?: string } {
  const logentry = event['logentry'];
  const legacy = event['message'];
  if (isObject(logentry)) {
    const formatted = str(logentry['formatted']) ?? str(logentry['message']);
    return { template: str(logentry['message']) ?? formatted, formatted };
  }
  if (isObject(legacy)) {
    const formatted = str(legacy['formatted']) ?? str(legacy['message']);
    return { template: str(legacy['message']) ?? formatted, formatted };
  }
  const text = str(legacy);
  return { template: text, formatted: text };
}
