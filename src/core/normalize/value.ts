// `normalize`: any value → a JSON-safe value, for callers that have one value rather than an event
// (log attributes, stringified tag values).

import type { KeyMatcher } from '../scrub.js';
import { DEFAULT_BREADTH, DEFAULT_DEPTH, FAILED, MAX_DEPTH, clampCount, validMaxValueLength } from './shared.js';
import { releaseWalker, takeWalker, type Walker } from './walker.js';

export interface NormalizeOptions {
  /** Container levels kept; the root container is level 1 (default 5). */
  depth?: number;
  /** Keys / items kept per container (default 10). */
  breadth?: number;
  /** Strings longer than this (UTF-16 code units) are cut, ending in "..."; off by default. */
  maxValueLength?: number;
  /** Keys whose values become "[Filtered]". */
  isDenied?: KeyMatcher;
}

/**
 * Any value → a JSON-safe value: `JSON.stringify` cannot throw on it and `JSON.parse` gives it back
 * equal. Never throws. The mapping of each kind of value is in `Walker.walk` and special.ts.
 */
export function normalize(value: unknown, opts?: NormalizeOptions): unknown {
  let walker: Walker | undefined;
  try {
    walker = takeWalker(
      typeof opts?.isDenied === 'function' ? opts.isDenied : undefined,
      validMaxValueLength(opts?.maxValueLength),
      false,
      {
        depth: clampCount(opts?.depth, DEFAULT_DEPTH, MAX_DEPTH),
        breadth: clampCount(opts?.breadth, DEFAULT_BREADTH, Infinity),
        scrub: true,
        truncate: true,
      },
    );
    return walker.walk(value, 1);
  } catch {
    return FAILED;
  } finally {
    if (walker) releaseWalker(walker);
  }
}

