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
}

/** An LRU of file path → lines. Never throws. */
export class SourceFileCache {
  /** Files actually read from disk (tests and measurements use it). */
  reads = 0;
  private readonly files = new Map<string, CachedFile>();
  private totalChars = 0;
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
      // A Map iterates in insertion order: re-inserting makes this the most recently used.
      this.files.delete(path);
      this.files.set(path, cached);
      return cached.lines;
    }
    return this.remember(path, this.read(path));
  }

  /** Remember lines that did not come from disk at this path (e.g. a source map's `sourcesContent`). */
  set(path: string, lines: readonly string[]): void {
    const old = this.files.get(path);
    if (old !== undefined) this.drop(path, old);
    this.remember(path, { lines, chars: countChars(lines) });
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
      if (!stat || !stat.isFile() || stat.size > this.maxFileBytes) return { lines: undefined, chars: 0 };
      const text = fs.readFileSync(path, 'utf8');
      return { lines: splitLines(text), chars: text.length };
    } catch {
      return { lines: undefined, chars: 0 };
    }
  }

  /** Stores `entry` (as unreadable when it alone is over the budget) and returns what was stored. */
  private remember(path: string, entry: CachedFile): readonly string[] | undefined {
    if (entry.chars > this.maxTotalChars) entry = { lines: undefined, chars: 0 };
    this.files.set(path, entry);
    this.totalChars += entry.chars;
    while (this.files.size > this.maxFiles || this.totalChars > this.maxTotalChars) {
      const oldest = this.files.keys().next().value as string;
      this.drop(oldest, this.files.get(oldest)!);
    }
    return entry.lines;
  }

  private drop(path: string, entry: CachedFile): void {
    this.files.delete(path);
    this.totalChars -= entry.chars;
  }
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
  const pick = (from: number, to: number): string[] => {
    const out: string[] = [];
    for (let i = Math.max(0, from); i < Math.min(lines.length, to); i++) out.push(trimLine(lines[i]!, column, maxLineLength));
    return out;
  };
  frame.pre_context = pick(index - contextLines, index);
  frame.context_line = trimLine(lines[index]!, column, maxLineLength);
  frame.post_context = pick(index + 1, index + 1 + contextLines);
}

/**
 * A line cut to `max` characters around `column` (1-based), with `…` where text was cut, so the
 * part that threw stays visible in a long (e.g. minified) line.
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
  return (start > 0 ? '…' : '') + line.slice(start, end) + (end < line.length ? '…' : '');
}
