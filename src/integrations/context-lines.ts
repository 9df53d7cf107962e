// Stack intelligence for in-app frames: source maps first (a compiled frame becomes its original
// TypeScript file, line, column and function), then source context (5 lines around the line, from
// the map's `sourcesContent` or the file on disk).
//
// Only in-app frames are looked at: they are the ones a reader needs, and it keeps the files we
// read (and cache) to the app's own. Options: `includeSourceContext` (client option, default true)
// switches the context lines; source maps are on unless `contextLinesIntegration({ sourceMaps: false })`.

import type { ClientLike, Event, Integration, StackFrame } from '../core/types.js';
import { createFrameParser, type FrameParser } from '../core/stacktrace.js';
import { debugLog } from '../core/debug-log.js';
import { applyContextLines, DEFAULT_CONTEXT_LINES, MAX_LINE_LENGTH, SourceFileCache } from '../node/source-context.js';
import { rememberCompiledPosition, SourceMapResolver, type OriginalPosition } from '../node/source-maps.js';
import { markOwn } from '../core/own-code.js';

export interface ContextLinesOptions {
  /** Lines before and after (default 5). */
  contextLines?: number;
  /** Resolve source maps of compiled frames (default true). */
  sourceMaps?: boolean;
  /** Longer lines are cut around the column (default 140). */
  maxLineLength?: number;
  /** The file cache to use (tests and measurements pass their own to watch its reads). */
  files?: SourceFileCache;
}

const ABSOLUTE_PATH = /^(?:\/|[A-Za-z]:[\\/]|\\\\)/;

/** ABSOLUTE_PATH without the regexp engine: asked for every in-app frame of every event. */
function isAbsolutePath(path: string): boolean {
  const first = path.charCodeAt(0);
  if (first === 47 /* / */) return true;
  if (first === 92 /* \ */) return path.charCodeAt(1) === 92;
  const letter = (first | 32) >= 97 && (first | 32) <= 122;
  const sep = path.charCodeAt(2);
  return letter && path.charCodeAt(1) === 58 /* : */ && (sep === 47 || sep === 92);
}

export function contextLinesIntegration(opts: ContextLinesOptions = {}): Integration {
  const contextLines = opts.contextLines ?? DEFAULT_CONTEXT_LINES;
  const maxLineLength = opts.maxLineLength ?? MAX_LINE_LENGTH;
  const useSourceMaps = opts.sourceMaps !== false;
  // One cache per integration instance; clients are few and live long.
  const files = opts.files ?? new SourceFileCache();
  const maps = new SourceMapResolver(files);
  let includeContext = true;
  // Re-describes a mapped frame's original path with the client's root and in-app rules.
  let parser: FrameParser = createFrameParser();

  function mapFrames(frames: StackFrame[]): void {
    // The name a map gives at a call site is the name of the function called there, i.e. the
    // function of the next (newer) frame: that recovers original names from minified bundles.
    let callerName: string | undefined;
    for (const frame of frames) {
      const calledAs = callerName;
      callerName = undefined;
      if (frame.in_app !== true || !frame.abs_path || frame.lineno === undefined) continue;
      const original = maps.resolve(frame.abs_path, frame.lineno, frame.colno);
      if (!original) continue;
      rememberCompiledPosition(frame, frame.abs_path, frame.lineno, frame.colno);
      moveFrameTo(frame, original, calledAs);
      callerName = original.name;
      if (original.sourceLines && includeContext) applyContextLines(frame, original.sourceLines, contextLines, maxLineLength);
    }
  }

  function moveFrameTo(frame: StackFrame, original: Readonly<OriginalPosition>, calledAs: string | undefined): void {
    if (calledAs && frame.function && frame.function !== calledAs) {
      // Keep a `Class.` qualifier the stack gave; replace only the (possibly minified) last part.
      const dot = frame.function.lastIndexOf('.');
      frame.function = dot > 0 ? frame.function.slice(0, dot + 1) + calledAs : calledAs;
    }
    frame.lineno = original.line;
    frame.colno = original.column;
    if (ABSOLUTE_PATH.test(original.source)) {
      // The parser's own description of a path (remembered per path, like a stack's frames).
      const source = parser.describePath(original.source);
      frame.abs_path = source.absPath;
      frame.filename = source.filename;
      if (source.module !== undefined) frame.module = source.module;
      else delete frame.module;
      // A bundle can hold dependencies: a source under node_modules is not the app's code.
      frame.in_app = source.inApp;
    } else {
      // `webpack://app/./src/x.ts` and the like: a name, not a path on this machine.
      frame.abs_path = original.source;
      frame.filename = original.source.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*\/(?:\.\/)?/i, '');
      delete frame.module;
      if (original.source.includes('/node_modules/')) frame.in_app = false;
    }
  }

  function addContext(frames: StackFrame[]): void {
    for (const frame of frames) {
      // Frames mapped above already got context from `sourcesContent`.
      if (frame.context_line !== undefined || frame.in_app !== true || !frame.abs_path || frame.lineno === undefined) continue;
      if (!isAbsolutePath(frame.abs_path)) continue;
      const lines = files.getLines(frame.abs_path);
      if (lines) applyContextLines(frame, lines, contextLines, maxLineLength);
    }
  }

  function processFrames(frames: StackFrame[] | undefined): void {
    if (!frames || frames.length === 0) return;
    if (useSourceMaps) mapFrames(frames);
    if (includeContext) addContext(frames);
  }

  return markOwn({
    name: 'ContextLines',
    setup(client: ClientLike) {
      const o = client.getOptions();
      includeContext = o['includeSourceContext'] !== false;
      parser = createFrameParser({ root: o.projectRoot, inAppInclude: o.inAppInclude, inAppExclude: o.inAppExclude });
    },
    processEvent(event: Event): Event {
      try {
        for (const value of event.exception?.values ?? []) processFrames(value.stacktrace?.frames);
        for (const thread of event.threads?.values ?? []) processFrames(thread.stacktrace?.frames);
      } catch (err) {
        // Context is a nicety: the event goes out without it rather than not at all.
        debugLog.error('ContextLines failed; the event is sent without source context', err);
      }
      return event;
    },
    teardown() {
      files.clear();
      maps.clear();
    },
  });
}
