// Turns a V8 `Error.stack` string into Sentry frames (PROTOCOL.md §6.2): oldest call first, each
// frame with a project-relative filename, a dotted module name and an in-app verdict.
//
// This runs on every capture, so the per-init work (root normalization, in-app prefixes) is done
// once in `createFrameParser`, the regexps are compiled once at module load, and what we learn
// about a file path is remembered per parser: a process throws from a small set of files.
//
// What a frame's path tells (filename, module, in-app) is frame-paths.ts's job.

import type { StackFrame } from './types.js';
import { classifyPath, compilePrefixes, normalizeRoot, type PathInfo } from './frame-paths.js';

export type { PathInfo };

/** Frames kept per stack trace; the newest are kept because that is where the error happened. */
export const MAX_STACK_FRAMES = 200;

export interface FrameParserOptions {
  /** Project root; frames under it get root-relative filenames. Node passes process.cwd(). */
  root?: string;
  /** Module-name prefixes that are in-app even inside node_modules. */
  inAppInclude?: string[];
  /** Module-name prefixes that are not in-app. */
  inAppExclude?: string[];
}

export interface FrameParser {
  /** V8 stack → frames, oldest call first. `skipFrames` drops that many of the newest V8 frames. Never throws. */
  parse(stack: string | undefined, skipFrames?: number): StackFrame[];
  /** How a frame at `path` is shown (abs_path, filename, module, in_app), remembered per path. */
  describePath(path: string): PathInfo;
}

// `:line[:col]` at the end of a location; what comes before is the path (which may hold colons: `C:\x.js`).
const LINE_COLUMN = /:(\d+)(?::(\d+))?$/;
// `eval at f (eval at g (/real/file.js:1:2), <anonymous>:3:4)`: skip every `eval at … (` layer and
// take the innermost real location, which is where the eval call itself was made.
const EVAL_ORIGIN = /^(?:eval at [^(]*\()+(.+?):(\d+):(\d+)\)/;
// `Foo.bar [as baz]`: the alias is how the function was reached, not its name.
const ALIAS_SUFFIX = / \[as [^\]]*\]$/;

// Paths seen per parser before the memo is reset: bounded memory without LRU bookkeeping.
const PATH_MEMO_LIMIT = 1000;
/** Distinct stack strings remembered per parser (least recently used goes first). */
const STACK_CACHE_SIZE = 100;
/** Longer stacks (deep recursion) are parsed every time rather than held in memory. */
const MAX_CACHED_STACK_LENGTH = 16_384;

/** A parser with the project's root and in-app rules applied. Never throws, here or in `parse`. */
export function createFrameParser(opts: FrameParserOptions = {}): FrameParser {
  const root = normalizeRoot(opts.root);
  const include = compilePrefixes(opts.inAppInclude);
  const exclude = compilePrefixes(opts.inAppExclude);
  const pathMemo = new Map<string, PathInfo>();

  function describePath(rawPath: string): PathInfo {
    let info = pathMemo.get(rawPath);
    if (info === undefined) {
      info = classifyPath(rawPath, root, include, exclude);
      if (pathMemo.size >= PATH_MEMO_LIMIT) pathMemo.clear();
      pathMemo.set(rawPath, info);
    }
    return info;
  }

  // The same throw site reached again and again (a failing dependency, a loop) gives the same frame
  // lines, whatever the message says (`order 1234 not found`), so the cache is keyed on the stack
  // from its first frame line on, not on the whole string. Measured on a 10-frame stack whose
  // message changes every time: parsing ~9 µs, a hit plus the copy ~0.5 µs.
  const recentStacks = new Map<string, CachedStack>();
  // Recency is a counter in the entry rather than a delete + set per hit (each of which hashes the
  // key string again); the least recently used entry is looked for only when a miss must evict one.
  let clock = 0;
  // The last stack served, checked before the map: comparing a fresh stack's text with one string
  // costs a fraction of hashing it for the map lookup (measured 0.4–1 µs against 2.5–3 µs for a
  // 10-frame stack), and a burst of one failing call asks for the same stack again and again.
  let lastKey: string | undefined;
  let lastEntry: CachedStack | undefined;

  return {
    describePath,
    parse(stack, skipFrames = 0) {
      if (typeof stack !== 'string' || stack.length === 0) return [];
      try {
        // Lines before the first frame line are never frames, so dropping them changes nothing.
        const first = firstFrameLine(stack);
        if (first === -1) return [];
        const key = first === 0 ? stack : stack.slice(first);
        const cached = key === lastKey ? lastEntry : recentStacks.get(key);
        if (cached !== undefined && cached.skipFrames === skipFrames) {
          cached.used = ++clock;
          lastKey = key;
          lastEntry = cached;
          return copyFrames(cached.frames);
        }
        const frames = parseFrames(key, skipFrames, describePath);
        if (key.length > MAX_CACHED_STACK_LENGTH) return frames;
        if (cached === undefined && recentStacks.size >= STACK_CACHE_SIZE) evictLeastRecent(recentStacks);
        const entry: CachedStack = { skipFrames, frames, used: ++clock };
        recentStacks.set(key, entry);
        lastKey = key;
        lastEntry = entry;
        // Callers add to frames (source context, variables); the cached originals stay untouched.
        return copyFrames(frames);
      } catch {
        // A stack we cannot read is not worth failing a capture over.
        return [];
      }
    },
  };
}

interface CachedStack {
  skipFrames: number;
  frames: StackFrame[];
  /** The parser's clock when this entry was last served. */
  used: number;
}

function evictLeastRecent(cache: Map<string, CachedStack>): void {
  let oldestKey: string | undefined;
  let oldest = Infinity;
  for (const [key, entry] of cache) {
    if (entry.used < oldest) {
      oldest = entry.used;
      oldestKey = key;
    }
  }
  if (oldestKey !== undefined) cache.delete(oldestKey);
}

/**
 * Copies that share the hidden class of the parsed frames. Not `{ ...frame }`: V8 does not cache
 * property additions on objects made by spread, so every field the integrations add afterwards
 * (`pre_context`, `context_line`, …) took the slow path; measured ~3 µs per frame, 30 µs per event.
 */
function copyFrames(frames: StackFrame[]): StackFrame[] {
  const out: StackFrame[] = [];
  for (let i = 0; i < frames.length; i++) out.push(copyFrame(frames[i]!));
  return out;
}

// Frames from this parser hold only primitives, so a field-by-field copy is a full one. The field
// order is parseFrameBody's, so copies and fresh frames have the same shape.
function copyFrame(f: StackFrame): StackFrame {
  if (f.abs_path === undefined) {
    const bare: StackFrame = { function: f.function, in_app: f.in_app };
    if (f.raw_function !== undefined) bare.raw_function = f.raw_function;
    return bare;
  }
  const frame: StackFrame = { filename: f.filename, abs_path: f.abs_path, function: f.function };
  if (f.raw_function !== undefined) frame.raw_function = f.raw_function;
  if (f.module !== undefined) frame.module = f.module;
  if (f.lineno !== undefined) frame.lineno = f.lineno;
  if (f.colno !== undefined) frame.colno = f.colno;
  frame.in_app = f.in_app;
  return frame;
}

/** Index of the first line that is a frame line (`at …` after blanks), or -1. */
function firstFrameLine(stack: string): number {
  const length = stack.length;
  let start = 0;
  while (start < length) {
    let end = stack.indexOf('\n', start);
    if (end === -1) end = length;
    if (isFrameLine(stack, start, end)) return start;
    start = end + 1;
  }
  return -1;
}

/** Where `at ` starts on the line [start, end), or -1 when the line is not a frame line. */
function frameBodyStart(stack: string, start: number, end: number): number {
  if (stack.charCodeAt(end - 1) === 13) end--; // \r of a CRLF stack
  let at = start;
  let code = stack.charCodeAt(at);
  while (code === 32 || code === 9) code = stack.charCodeAt(++at);
  // A frame line is `at ` plus something; anything else (the message, its other lines) is not a frame.
  return end - at > 3 && stack.startsWith('at ', at) ? at : -1;
}

function isFrameLine(stack: string, start: number, end: number): boolean {
  return frameBodyStart(stack, start, end) !== -1;
}

const defaultParser = createFrameParser();

/** Parse with no project root and no in-app lists. Prefer a parser from `createFrameParser`. */
export function parseStack(stack: string | undefined, skipFrames?: number): StackFrame[] {
  return defaultParser.parse(stack, skipFrames);
}

function parseFrames(stack: string, skipFrames: number, describePath: (p: string) => PathInfo): StackFrame[] {
  let toSkip = skipFrames > 0 ? Math.floor(skipFrames) : 0;
  const frames: StackFrame[] = [];
  // Lines are found with indexOf rather than a multiline regexp: measured ~8x faster on real stacks.
  const length = stack.length;
  let start = 0;
  while (start < length) {
    let end = stack.indexOf('\n', start);
    if (end === -1) end = length;
    const next = end + 1;
    const at = frameBodyStart(stack, start, end);
    if (at !== -1) {
      if (toSkip > 0) {
        toSkip--;
      } else {
        if (stack.charCodeAt(end - 1) === 13) end--;
        frames.push(parseFrameBody(stack.slice(at + 3, end), describePath));
        // V8 lists the newest call first, so stopping here keeps the newest frames.
        if (frames.length >= MAX_STACK_FRAMES) break;
      }
    }
    start = next;
  }
  return frames.reverse();
}

/** `fn (location)` or a bare `location`. */
function parseFrameBody(body: string, describePath: (p: string) => PathInfo): StackFrame {
  let name: string | undefined;
  let location = body;
  // 41 is `)`. The first ` (` ends the function name: paths may contain ` (`, names almost never do.
  if (body.charCodeAt(body.length - 1) === 41) {
    const open = body.indexOf(' (');
    if (open > 0) {
      name = body.slice(0, open);
      location = body.slice(open + 2, -1);
    }
  }

  let fn = '?';
  let rawFunction: string | undefined;
  if (name !== undefined) {
    // `async fn` marks an await continuation of `fn`; the function is still `fn`.
    fn = name.startsWith('async ') ? name.slice(6) : name;
    // Node prints `<anonymous>` for unnamed functions once source maps are on; V8 prints nothing.
    if (fn === '<anonymous>') fn = '?';
    if (fn.charCodeAt(fn.length - 1) === 93 /* ] */ && ALIAS_SUFFIX.test(fn)) {
      rawFunction = fn;
      fn = fn.replace(ALIAS_SUFFIX, '');
    }
  } else if (body.startsWith('async ')) {
    location = body.slice(6);
  }

  let path: string | undefined;
  let lineno: number | undefined;
  let colno: number | undefined;
  if (location.startsWith('eval at ')) {
    const origin = EVAL_ORIGIN.exec(location);
    if (origin !== null) {
      path = origin[1];
      lineno = Number(origin[2]);
      colno = Number(origin[3]);
    }
  } else if (location === 'native') {
    path = 'native';
  } else {
    const position = LINE_COLUMN.exec(location);
    if (position !== null && position.index > 0) {
      path = location.slice(0, position.index);
      lineno = Number(position[1]);
      if (position[2] !== undefined) colno = Number(position[2]);
    }
  }
  // Anything else (`index 0` of Promise.all, `<anonymous>`, an eval with no file) has no location.

  if (path === undefined || path === '<anonymous>') {
    const frame: StackFrame = { function: fn, in_app: false };
    if (rawFunction !== undefined) frame.raw_function = rawFunction;
    return frame;
  }

  const info = describePath(path);
  const frame: StackFrame = { filename: info.filename, abs_path: info.absPath, function: fn };
  if (rawFunction !== undefined) frame.raw_function = rawFunction;
  if (info.module !== undefined) frame.module = info.module;
  if (lineno !== undefined) frame.lineno = lineno;
  if (colno !== undefined) frame.colno = colno;
  frame.in_app = info.inApp;
  return frame;
}
