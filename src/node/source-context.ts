// Source context for stack frames: the lines around a frame's line (`pre_context`, `context_line`,
// `post_context`, PROTOCOL.md §6.2), read from disk through a bounded cache.
//
// Decision: files are read synchronously, once, on the capture tick, then served from memory.
// The pipeline is synchronous up to the queue (SPEC.md decision 1), and an app that throws tends to
// throw from the same few files, so a flood of errors costs one `statSync` + `readFileSync` per file
// and then only array slicing. A file that cannot be read (missing, a directory, too large) is
// remembered as unreadable, so it costs one failed check, not one per event.

import * as fs from 'node:fs';
import type { StackFrame } from '../core/types.js';

/** Lines before and after the frame's line (SPEC-python.md §5.3: 5). */
export const DEFAULT_CONTEXT_LINES = 5;
/** Longer lines are cut around the frame's column: a minified line would otherwise be megabytes. */
export const MAX_LINE_LENGTH = 140;

export interface SourceFileCacheOptions {
  /** Files remembered at most (least recently used goes first). */
  maxFiles?: number;
  /** Larger files are not read (bundles with inline maps can be big; 8 MiB by default). */
  maxFileBytes?: number;
  /** Total characters kept over all files (32 Mi by default): memory stays bounded whatever the app. */
  maxTotalChars?: number;
}

interface CachedFile {
  /** Undefined when the file could not be read; remembered so the failure is not retried. */
  lines: readonly string[] | undefined;
  chars: number;
  /** The cache's clock when this file was last asked for. */
  used: number;
}

/** An LRU of file path → lines. Never throws. */
export class SourceFileCache {
  /** Files actually read from disk (tests and measurements use it). */
  reads = 0;
  private readonly files = new Map<string, CachedFile>();
  private totalChars = 0;
  // Recency is a counter stamped on each hit, not a delete + set of the Map entry: every in-app
  // frame of every event asks for its file, and the re-insertion was a tenth of a capture's time.
  // The least recently used file is searched for only when one must go (after a disk read).
  private clock = 0;
  private readonly maxFiles: number;
  private readonly maxFileBytes: number;
  private readonly maxTotalChars: number;

  constructor(opts: SourceFileCacheOptions = {}) {
    this.maxFiles = opts.maxFiles ?? 200;
    this.maxFileBytes = opts.maxFileBytes ?? 8 * 1024 * 1024;
    this.maxTotalChars = opts.maxTotalChars ?? 32 * 1024 * 1024;
  }

  /** The file's lines (without line endings), or undefined when it cannot be read. */
  getLines(path: string): readonly string[] | undefined {
    const cached = this.files.get(path);
    if (cached !== undefined) {
      cached.used = ++this.clock;
      return cached.lines;
    }
    return this.remember(path, this.read(path));
  }

  /** Remember lines that did not come from disk at this path (e.g. a source map's `sourcesContent`). */
  set(path: string, lines: readonly string[]): void {
    const old = this.files.get(path);
    if (old !== undefined) this.drop(path, old);
    this.remember(path, { lines, chars: countChars(lines), used: 0 });
  }

  /** Drop a file we no longer need (a compiled file whose context comes from its source map). */
  forget(path: string): void {
    const old = this.files.get(path);
    if (old !== undefined) this.drop(path, old);
  }

  get size(): number {
    return this.files.size;
  }

  clear(): void {
    this.files.clear();
    this.totalChars = 0;
  }

  private read(path: string): CachedFile {
    try {
      this.reads++;
      const stat = fs.statSync(path, { throwIfNoEntry: false });
      if (!stat || !stat.isFile() || stat.size > this.maxFileBytes) return unreadable();
      const text = fs.readFileSync(path, 'utf8');
      return { lines: splitLines(text), chars: text.length, used: 0 };
    } catch {
      return unreadable();
    }
  }

  /** Stores `entry` (as unreadable when it alone is over the budget) and returns what was stored. */
  private remember(path: string, entry: CachedFile): readonly string[] | undefined {
    if (entry.chars > this.maxTotalChars) entry = unreadable();
    entry.used = ++this.clock;
    this.files.set(path, entry);
    this.totalChars += entry.chars;
    while (this.files.size > this.maxFiles || this.totalChars > this.maxTotalChars) this.dropLeastRecent();
    return entry.lines;
  }

  private dropLeastRecent(): void {
    let oldestPath: string | undefined;
    let oldest: CachedFile | undefined;
    for (const [path, entry] of this.files) {
      if (oldest === undefined || entry.used < oldest.used) {
        oldest = entry;
        oldestPath = path;
      }
    }
    if (oldestPath !== undefined) this.drop(oldestPath, oldest!);
  }

  private drop(path: string, entry: CachedFile): void {
    this.files.delete(path);
    this.totalChars -= entry.chars;
  }
}

function unreadable(): CachedFile {
  return { lines: undefined, chars: 0, used: 0 };
}

export function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

function countChars(lines: readonly string[]): number {
  let n = 0;
  for (const line of lines) n += line.length + 1;
  return n;
}

/**
 * Fills `pre_context` / `context_line` / `post_context` of `frame` from `lines` (1-based `lineno`).
 * A line number past the end of the file (the file changed since it was loaded) adds nothing.
 */
export function applyContextLines(
  frame: StackFrame,
  lines: readonly string[],
  contextLines: number = DEFAULT_CONTEXT_LINES,
  maxLineLength: number = MAX_LINE_LENGTH,
): void {
  const lineno = frame.lineno;
  if (lineno === undefined || lineno < 1 || lineno > lines.length) return;
  const index = lineno - 1;
  const column = frame.colno;
  frame.pre_context = pickLines(lines, index - contextLines, index, column, maxLineLength);
  frame.context_line = cutLine(lines, index, column, maxLineLength);
  frame.post_context = pickLines(lines, index + 1, index + 1 + contextLines, column, maxLineLength);
}

/**
 * Lines [from, to) that exist, each trimmed around `column`. Runs for every in-app frame: one
 * `slice` (a single allocation of the right size) rather than pushes into a growing array.
 */
function pickLines(lines: readonly string[], from: number, to: number, column: number | undefined, max: number): string[] {
  const start = from > 0 ? from : 0;
  const out = lines.slice(start, to < lines.length ? to : lines.length);
  for (let i = 0; i < out.length; i++) {
    if (out[i]!.length > max) out[i] = cutLine(lines, start + i, column, max);
  }
  return out;
}

/**
 * Lines already cut, per file (its lines array), line and column: a minified file's frames cut
 * the same long lines on every event. Giving back the same strings each time spares building them
 * again, and lets the stack-trace memo (core/event-json.ts) match them by identity instead of
 * comparing their text. Bounded per file; the whole map goes with the file's lines.
 */
interface CutLines {
  max: number;
  /** By placeKey(line index, column). */
  byPlace: Map<number, string>;
}
const cutLines = new WeakMap<readonly string[], CutLines>();
const MAX_CUT_LINES_PER_FILE = 512;

function cutLine(lines: readonly string[], index: number, column: number | undefined, max: number): string {
  const line = lines[index]!;
  if (line.length <= max) return line;
  const key = placeKey(index, column !== undefined && column > 0 ? column : 0);
  if (key === undefined) return trimLine(line, column, max);
  let cut = cutLines.get(lines);
  if (cut === undefined || cut.max !== max) cutLines.set(lines, (cut = { max, byPlace: new Map() }));
  let text = cut.byPlace.get(key);
  if (text === undefined) {
    if (cut.byPlace.size >= MAX_CUT_LINES_PER_FILE) cut.byPlace.clear();
    text = trimLine(line, column, max);
    cut.byPlace.set(key, text);
  }
  return text;
}

/** Columns below this make a place key: a file over 8 MiB is not read, so every real column does. */
const COLUMN_KEYS = 2 ** 26;

/**
 * One number for a line and a column, the key of the memos of cut lines (here) and of resolved
 * source-map positions (source-maps.ts); undefined unless both are small non-negative integers.
 */
export function placeKey(line: number, column: number): number | undefined {
  if (!Number.isInteger(line) || line < 0 || !Number.isInteger(column) || column < 0 || column >= COLUMN_KEYS) return undefined;
  return line * COLUMN_KEYS + column;
}

/**
 * A line cut to `max` characters around `column` (1-based), with `{snip}` where text was cut (as
 * Sentry's JavaScript SDK marks it), so the part that threw stays visible in a long (e.g.
 * minified) line. An ASCII marker on purpose: a single character past latin1 (such as `…`) makes
 * V8 build the whole serialized event as a two-byte string, twice the memory and about 5 µs more
 * to encode a 9 kB event.
 */
export function trimLine(line: string, column: number | undefined, max: number = MAX_LINE_LENGTH): string {
  if (line.length <= max) return line;
  const col = column !== undefined && column > 0 ? column - 1 : 0;
  let start = Math.max(0, col - Math.floor(max / 2));
  let end = start + max;
  if (end > line.length) {
    end = line.length;
    start = Math.max(0, end - max);
  }
  return (start > 0 ? '{snip} ' : '') + line.slice(start, end) + (end < line.length ? ' {snip}' : '');
}
