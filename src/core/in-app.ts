// The pipeline's in-app marking step (SPEC.md decision 2: after the event processors, before
// scrubbing and normalizing). Frames the SDK parsed itself already carry `in_app`; this gives it to
// the frames that came another way: an event handed to `captureEvent`, or frames a processor
// added. A frame that already says `in_app` is left as it is, as in the Python SDK.
//
// Those frames may still be the caller's own objects (captureEvent copies only the event's top
// level), so a frame is never changed in place: the frames list that needs marking is replaced by
// a marked copy, along with the objects that hold it.

import type { FrameParser } from './stacktrace.js';
import type { Event, StackFrame } from './types.js';

type Describe = FrameParser['describePath'];
interface HasStacktrace {
  stacktrace?: { frames?: StackFrame[] };
}

export function markInApp(event: Event, describePath: Describe): void {
  const exception = event.exception;
  const values = markedList(exception?.values, describePath);
  if (values) event.exception = { ...exception, values };
  const threads = event.threads;
  const threadValues = markedList(threads?.values, describePath);
  if (threadValues) event.threads = { ...threads, values: threadValues };
  // A top-level `stacktrace` (allowed by the protocol, not in the typed Event).
  const holder = event as HasStacktrace;
  const marked = markedHolder(holder, describePath);
  if (marked) holder.stacktrace = marked.stacktrace;
}

/** A copy of the list with its marked entries, or undefined when none needed marking. */
function markedList<T extends HasStacktrace>(list: T[] | undefined, describePath: Describe): T[] | undefined {
  if (!Array.isArray(list)) return undefined;
  let copy: T[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const marked = markedHolder(list[i], describePath);
    if (marked) (copy ??= list.slice())[i] = marked;
  }
  return copy;
}

function markedHolder<T extends HasStacktrace>(holder: T | undefined, describePath: Describe): T | undefined {
  if (holder === null || typeof holder !== 'object') return undefined;
  const stacktrace = holder.stacktrace;
  const frames = stacktrace?.frames;
  if (!Array.isArray(frames)) return undefined;
  let copy: StackFrame[] | undefined;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i];
    if (frame === null || typeof frame !== 'object' || frame.in_app !== undefined) continue;
    const inApp = frameInApp(frame, describePath);
    if (inApp !== undefined) (copy ??= frames.slice())[i] = { ...frame, in_app: inApp };
  }
  return copy ? { ...holder, stacktrace: { ...stacktrace, frames: copy } } : undefined;
}

function frameInApp(frame: StackFrame, describePath: Describe): boolean | undefined {
  const path = typeof frame.abs_path === 'string' && frame.abs_path ? frame.abs_path : frame.filename;
  // No location to judge by: left unset, as the Python SDK leaves it.
  if (typeof path !== 'string' || !path) return undefined;
  return isRelative(path) ? relativeInApp(path) : describePath(path).inApp;
}

/** A path as a hand-built event may give it: `src/app.js`, `app.js`, `node_modules/x/y.js`. */
function isRelative(path: string): boolean {
  return !/^(?:[A-Za-z]:[\\/]|[\\/]|[a-z][a-z0-9+.-]*:)/i.test(path);
}

/** The app's own code unless it is a dependency or Node's (`internal/…`, `native`). */
function relativeInApp(path: string): boolean {
  return !/(?:^|[\\/])node_modules[\\/]/.test(path) && !path.startsWith('internal/') && path !== 'native';
}
