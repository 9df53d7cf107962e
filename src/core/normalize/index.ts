// Turns the user's raw values into JSON-safe, scrubbed, bounded data (SPEC-python.md §6, SPEC.md
// decisions 9 and 10). Nothing here mutates its input or throws: a value that cannot be read
// becomes a placeholder.
//
//   value.ts    normalize(): one value        event.ts    normalizeEvent(): a whole event
//   walker.ts   the generic walk              special.ts  Date, Map, Set, Error, typed arrays, …
//   context.ts  what the event fields share   tags.ts, user.ts, request.ts, breadcrumbs.ts,
//   shared.ts   placeholders, limits, _meta   frames.ts   one file per kind of event field

export { FILTERED } from '../scrub.js';
export { TRIMMED, DEFAULT_MAX_EVENT_BYTES } from '../size-limit.js';
export type { Annotation } from '../size-limit.js';
export { ARRAY_CUT, CYCLIC, DEFAULT_BREADTH, DEFAULT_DEPTH, FAILED, MAX_DEPTH, OBJECT_CUT, type MetaTree } from './shared.js';
export { normalize, type NormalizeOptions } from './value.js';
export { normalizeEvent } from './event.js';
export type { NormalizeEventOptions } from './context.js';
