// Source maps on the client: a frame in compiled JavaScript is turned back into its original file,
// line, column and function name, so a TypeScript app's events are readable on any Sentry server
// without uploading artifacts.
//
// Only files that end with a `//# sourceMappingURL=` comment are mapped: an inline `data:` URL or a
// `.map` file on disk (relative to the compiled file). Remote (http) maps are never fetched.
//
// Double mapping is impossible by construction: when Node already mapped a stack
// (`--enable-source-maps`, tsx, ts-node), the frame points at the original `.ts` file, which has no
// `sourceMappingURL` comment, so it is left alone. TypeScript sources are not even opened for the
// check (their extension says they are sources).
//
// Costs: what we learn about a file (its map, or that it has none) is cached in a bounded LRU, so a
// file without a map costs one check per process, and a lookup in a parsed map is a binary search.

import * as path from 'node:path';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AnyMap, GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND, originalPositionFor, type TraceMap } from '@jridgewell/trace-mapping';
import type { StackFrame } from '../core/types.js';
import { placeKey, SourceFileCache, splitLines } from './source-context.js';

export interface OriginalPosition {
  /** Resolved path (or URL such as `webpack://…`) of the original source. */
  source: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** The identifier the map names at this position (at a call site: the function being called). */
  name?: string;
  /** The original source's lines, when the map carries them (`sourcesContent`). */
  sourceLines?: readonly string[];
}

export interface SourceMapResolverOptions {
  /** Parsed maps remembered at most (LRU). */
  maxMaps?: number;
  /** Larger `.map` files are ignored (32 MiB by default). */
  maxMapBytes?: number;
}

interface LoadedMap {
  map: TraceMap;
  /** `sourcesContent` split into lines, per resolved source, done once on first use. */
  contentLines: Map<string, readonly string[] | null>;
  /**
   * Positions already resolved, by placeKey(line, column) (null: none): the frames of an error
   * that repeats ask for the same ones with every event. Bounded (MAX_POSITIONS); shared, read only.
   */
  positions: Map<number, Readonly<OriginalPosition> | null>;
}

/** Resolved positions remembered per map before they are dropped and found again. */
const MAX_POSITIONS = 4096;

/** Extensions of files that are sources, not compiled output: never mapped. */
const SOURCE_EXTENSIONS = /\.(?:[cm]?tsx?|jsx|coffee|vue|svelte)$/;
/** The comment must be on one of the last lines; `//@` is the legacy form. */
const MAPPING_URL = /^\s*\/\/[#@]\s*sourceMappingURL=(\S+)\s*$/;
const TRAILING_LINES_CHECKED = 5;
/** Paths remembered as having no map (sources, plain JavaScript) before the set is dropped. */
const MAX_UNMAPPED_FILES = 2000;

/** Frames we mapped → where V8 saw them (local variables match on compiled positions). */
const compiledPositions = new WeakMap<StackFrame, { absPath: string; lineno: number; colno: number | undefined }>();

export function compiledPositionOf(frame: StackFrame): { absPath: string; lineno: number; colno: number | undefined } | undefined {
  return compiledPositions.get(frame);
}

export function rememberCompiledPosition(frame: StackFrame, absPath: string, lineno: number, colno: number | undefined): void {
  compiledPositions.set(frame, { absPath, lineno, colno });
}

/** Maps compiled positions to original ones. Never throws. */
export class SourceMapResolver {
  /** Maps parsed (tests and measurements use it). */
  parsed = 0;
  private readonly maps = new Map<string, { loaded: LoadedMap; used: number }>();
  private readonly unmapped = new Set<string>();
  private clock = 0;
  private readonly maxMaps: number;
  private readonly maxMapBytes: number;

  constructor(
    private readonly files: SourceFileCache,
    opts: SourceMapResolverOptions = {},
  ) {
    this.maxMaps = opts.maxMaps ?? 50;
    this.maxMapBytes = opts.maxMapBytes ?? 32 * 1024 * 1024;
  }

  /**
   * The original position of a 1-based line/column in `absPath`, or undefined when not mapped.
   * Remembered and shared between calls: read it, never change it.
   */
  resolve(absPath: string, line: number, column: number | undefined): Readonly<OriginalPosition> | undefined {
    const loaded = this.mapFor(absPath);
    if (!loaded) return undefined;
    const key = placeKey(line, column !== undefined && column > 0 ? column : 0);
    if (key === undefined) return this.find(loaded, line, column);
    let position = loaded.positions.get(key);
    if (position === undefined) {
      if (loaded.positions.size >= MAX_POSITIONS) loaded.positions.clear();
      position = this.find(loaded, line, column) ?? null;
      loaded.positions.set(key, position);
    }
    return position ?? undefined;
  }

  /** The original position of a compiled one, looked up in the map (the returned object is shared). */
  private find(loaded: LoadedMap, line: number, column: number | undefined): OriginalPosition | undefined {
    try {
      const needle = { line, column: column !== undefined && column > 0 ? column - 1 : 0 };
      let found = originalPositionFor(loaded.map, { ...needle, bias: GREATEST_LOWER_BOUND });
      // A column before the line's first mapping (e.g. indentation) has no lower bound on that line.
      if (found.source === null) found = originalPositionFor(loaded.map, { ...needle, bias: LEAST_UPPER_BOUND });
      if (found.source === null) return undefined;
      const position: OriginalPosition = { source: found.source, line: found.line, column: found.column + 1 };
      if (found.name) position.name = found.name;
      const lines = contentLinesFor(loaded, found.source);
      if (lines) position.sourceLines = lines;
      return position;
    } catch {
      return undefined;
    }
  }

  clear(): void {
    this.maps.clear();
    this.unmapped.clear();
  }

  /**
   * Asked for every in-app frame of every event and nearly always answered from memory (most often
   * with "no map"), so a hit is one lookup: recency is a counter stamped on the entry rather than a
   * delete + set, and the source-extension test is done once per file. Files without a map are
   * kept apart from the parsed maps, so many of them cannot evict a map that was costly to parse.
   */
  private mapFor(absPath: string): LoadedMap | null {
    const cached = this.maps.get(absPath);
    if (cached !== undefined) {
      cached.used = ++this.clock;
      return cached.loaded;
    }
    if (this.unmapped.has(absPath)) return null;
    let loaded: LoadedMap | null = null;
    if (!SOURCE_EXTENSIONS.test(absPath)) {
      try {
        loaded = this.load(absPath);
      } catch {
        loaded = null; // a broken map means "not mapped", not a failed capture
      }
    }
    if (loaded === null) {
      // Dropped whole when full: re-checking a file costs one cached getLines and a scan of its end.
      if (this.unmapped.size >= MAX_UNMAPPED_FILES) this.unmapped.clear();
      this.unmapped.add(absPath);
      return null;
    }
    if (this.maps.size >= this.maxMaps) this.dropLeastRecent();
    this.maps.set(absPath, { loaded, used: ++this.clock });
    return loaded;
  }

  private dropLeastRecent(): void {
    let oldestPath: string | undefined;
    let oldest = Infinity;
    for (const [path, entry] of this.maps) {
      if (entry.used < oldest) {
        oldest = entry.used;
        oldestPath = path;
      }
    }
    if (oldestPath !== undefined) this.maps.delete(oldestPath);
  }

  private load(absPath: string): LoadedMap | null {
    const lines = this.files.getLines(absPath);
    if (!lines) return null;
    const url = findMappingUrl(lines);
    if (url === undefined) return null;
    let raw: string | undefined;
    let mapPath: string;
    if (url.startsWith('data:')) {
      raw = decodeDataUrl(url);
      mapPath = absPath;
    } else {
      const target = url.startsWith('file://') ? fileURLToPath(url) : /^[a-z][a-z0-9+.-]*:/i.test(url) ? undefined : path.resolve(path.dirname(absPath), decodeURIComponentSafe(url));
      if (target === undefined) return null; // http(s) and other remote maps are never fetched
      mapPath = target;
      const stat = fs.statSync(target, { throwIfNoEntry: false });
      if (!stat || !stat.isFile() || stat.size > this.maxMapBytes) return null;
      raw = fs.readFileSync(target, 'utf8');
    }
    if (raw === undefined) return null;
    const map = AnyMap(JSON.parse(raw), mapPath);
    this.parsed++;
    // The compiled file's own lines are not needed any more: context comes from the original.
    this.files.forget(absPath);
    return { map, contentLines: new Map(), positions: new Map() };
  }
}

function findMappingUrl(lines: readonly string[]): string | undefined {
  let checked = 0;
  for (let i = lines.length - 1; i >= 0 && checked < TRAILING_LINES_CHECKED; i--) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    checked++;
    // Cheap test before the regexp: most last lines are code.
    if (line.indexOf('sourceMappingURL=') === -1) continue;
    const match = MAPPING_URL.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

/** `data:application/json;charset=utf-8;base64,…` or a percent-encoded `data:` URL → its text. */
function decodeDataUrl(url: string): string | undefined {
  const comma = url.indexOf(',');
  if (comma === -1) return undefined;
  const meta = url.slice(5, comma);
  const body = url.slice(comma + 1);
  if (/;base64$/i.test(meta)) return Buffer.from(body, 'base64').toString('utf8');
  return decodeURIComponentSafe(body);
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function contentLinesFor(loaded: LoadedMap, source: string): readonly string[] | undefined {
  let lines = loaded.contentLines.get(source);
  if (lines === undefined) {
    const index = loaded.map.resolvedSources.indexOf(source);
    const content = index >= 0 ? loaded.map.sourcesContent?.[index] : undefined;
    lines = typeof content === 'string' ? splitLines(content) : null;
    loaded.contentLines.set(source, lines);
  }
  return lines ?? undefined;
}
