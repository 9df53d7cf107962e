// Parts of the event the SDK built itself, which normalization need not walk like foreign data.
//
// Stack frames and mechanisms the SDK made for this very event: stacktrace.ts copies frames out of
// its cache for each capture, context-lines.ts adds their source lines and source maps, and each
// exception gets its own mechanism object. When no foreign code has touched the event since
// (NormalizeEventOptions.ownPipeline, which the client decides), they are already what the copy in
// frames.ts would make: plain objects of strings, numbers and short string arrays. So they are
// checked and kept as they are, with their size counted the same way, instead of being copied a
// second time on the caller's tick. Anything unexpected (a frame with local variables, a value of
// another type, a long list of source lines) returns undefined, and the caller makes the usual copy.
//
// The SDK's description (`sdk`) is one object shared by every event of a client, so it is always
// copied, but by its known shape rather than by the generic walk.

import type { Walker } from './walker.js';
import { FIELD_BYTES } from './context.js';
import { isPlainObject } from '../plain-object.js';

// What the copy counts for each kind of value (walker.ts): quotes and comma for a string, the
// longest a double prints as for a number, `false,` for a boolean.
const STRING_BYTES = 3 + FIELD_BYTES;
const NUMBER_BYTES = 26 + FIELD_BYTES;
const BOOLEAN_BYTES = 6 + FIELD_BYTES;
/** The fields of an exception entry the SDK builds (exceptions.ts). */
const ENTRY_KEYS = new Set(['type', 'value', 'module', 'mechanism', 'stacktrace']);

/**
 * `exception` itself (`{ values: [...] }`) when each entry is as the SDK made it, with type and
 * value strings, a mechanism of primitives and frames as builtFrames wants them; else undefined.
 */
export function builtExceptions(w: Walker, value: unknown, maxSourceLines: number): unknown {
  if (!isPlainObject(value)) return undefined;
  const list = value.values;
  if (!Array.isArray(list)) return undefined;
  for (const key in value) if (key !== 'values') return undefined;
  // Counted as it goes; a failure half-way puts the counts back, and the copy counts afresh.
  const units = w.units;
  const fixed = w.fixed;
  w.fixed += 3 + 14;
  for (let i = 0; i < list.length; i++) {
    if (!builtException(w, list[i], maxSourceLines)) {
      w.units = units;
      w.fixed = fixed;
      return undefined;
    }
  }
  return value;
}

function builtException(w: Walker, entry: unknown, maxSourceLines: number): boolean {
  if (!isPlainObject(entry)) return false;
  // One entry or a few per event: its keys are checked too, so nothing the copy would drop is kept.
  for (const key in entry) if (!ENTRY_KEYS.has(key)) return false;
  const { type, value, module, mechanism, stacktrace } = entry;
  if (typeof type !== 'string' || typeof value !== 'string') return false;
  if (module !== undefined && typeof module !== 'string') return false;
  w.units += type.length + value.length + (module === undefined ? 0 : module.length);
  w.fixed += 3 + 3 * STRING_BYTES;
  if (mechanism !== undefined && builtMechanism(w, mechanism) === undefined) return false;
  if (stacktrace !== undefined) {
    if (!isPlainObject(stacktrace) || !Array.isArray(stacktrace.frames)) return false;
    for (const key in stacktrace) if (key !== 'frames') return false;
    if (builtFrames(w, stacktrace.frames, maxSourceLines) === undefined) return false;
    w.fixed += 3 + 2 * FIELD_BYTES;
  }
  return true;
}

/**
 * `frames` itself when every frame is already in its normalized form, else undefined. Field by
 * field, as frame() in frames.ts copies them: one read and no call per field, since this runs for
 * every frame of every event on the caller's tick, mostly before V8 has optimized it.
 */
export function builtFrames(w: Walker, frames: unknown[], maxSourceLines: number): unknown[] | undefined {
  let units = 0;
  let fixed = 3;
  const length = frames.length;
  for (let i = 0; i < length; i++) {
    const f = frames[i];
    if (!isPlainObject(f)) return undefined;
    // Local variables are a databag: they take the copy, with its depth, breadth and deny list.
    if (f.vars !== undefined) return undefined;
    fixed += 3;
    let v: unknown;
    if ((v = f.filename) !== undefined) {
      if (typeof v !== 'string') return undefined;
      units += v.length;
      fixed += STRING_BYTES;
    }
    if ((v = f.abs_path) !== undefined) {
      if (typeof v !== 'string') return undefined;
      units += v.length;
      fixed += STRING_BYTES;
    }
    if ((v = f.function) !== undefined) {
      if (typeof v !== 'string') return undefined;
      units += v.length;
      fixed += STRING_BYTES;
    }
    if ((v = f.raw_function) !== undefined) {
      if (typeof v !== 'string') return undefined;
      units += v.length;
      fixed += STRING_BYTES;
    }
    if ((v = f.module) !== undefined) {
      if (typeof v !== 'string') return undefined;
      units += v.length;
      fixed += STRING_BYTES;
    }
    if ((v = f.lineno) !== undefined) {
      if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
      fixed += NUMBER_BYTES;
    }
    if ((v = f.colno) !== undefined) {
      if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
      fixed += NUMBER_BYTES;
    }
    if ((v = f.in_app) !== undefined) {
      if (typeof v !== 'boolean') return undefined;
      fixed += BOOLEAN_BYTES;
    }
    if ((v = f.context_line) !== undefined) {
      if (typeof v !== 'string') return undefined;
      units += v.length;
      fixed += STRING_BYTES;
    }
    if ((v = f.pre_context) !== undefined) {
      const counted = stringListUnits(v, maxSourceLines);
      if (counted < 0) return undefined;
      units += counted;
      fixed += FIELD_BYTES + 3 + 3 * (v as string[]).length;
    }
    if ((v = f.post_context) !== undefined) {
      const counted = stringListUnits(v, maxSourceLines);
      if (counted < 0) return undefined;
      units += counted;
      fixed += FIELD_BYTES + 3 + 3 * (v as string[]).length;
    }
    // The SDK never sets these; a frame that has them takes the copy, which knows what they are.
    if (f.package !== undefined || f.platform !== undefined || f.stack_start !== undefined) return undefined;
  }
  w.units += units;
  w.fixed += fixed;
  return frames;
}

/**
 * A mechanism (`{ type, handled, … }`) kept as it is when every field is a string, a boolean or a
 * finite number; one with `data` or `meta` (objects) takes the generic walk.
 */
export function builtMechanism(w: Walker, value: unknown): unknown {
  if (!isPlainObject(value)) return undefined;
  let units = 0;
  let fixed = 3;
  const m = value;
  for (const key in m) {
    const v = m[key];
    units += key.length;
    if (typeof v === 'string') {
      units += v.length;
      fixed += 6;
    } else if (typeof v === 'boolean') {
      fixed += 9;
    } else if (typeof v === 'number' && Number.isFinite(v)) {
      fixed += 29;
    } else if (v !== undefined) {
      return undefined;
    }
  }
  w.units += units;
  w.fixed += fixed;
  return value;
}

/** A copy of the SDK's description by its known shape, or undefined when it has another. */
export function sdkInfoCopy(w: Walker, value: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) return undefined;
  const sdk = value;
  const { name, version, integrations, packages } = sdk;
  if (typeof name !== 'string' || typeof version !== 'string') return undefined;
  let fields = 2;
  let units = name.length + version.length;
  let fixed = 3 + 2 * STRING_BYTES;
  const out: Record<string, unknown> = { name, version };
  if (integrations !== undefined) {
    const counted = stringListUnits(integrations, Infinity);
    if (counted < 0) return undefined;
    out.integrations = (integrations as string[]).slice();
    units += counted;
    fixed += FIELD_BYTES + 3 + 3 * (integrations as string[]).length;
    fields++;
  }
  if (packages !== undefined) {
    if (!Array.isArray(packages)) return undefined;
    const list: Array<{ name: string; version: string }> = [];
    for (let i = 0; i < packages.length; i++) {
      const p = packages[i] as Record<string, unknown> | null | undefined;
      if (p === null || typeof p !== 'object' || Object.keys(p).length !== 2) return undefined;
      const pName = p.name;
      const pVersion = p.version;
      if (typeof pName !== 'string' || typeof pVersion !== 'string') return undefined;
      list.push({ name: pName, version: pVersion });
      units += pName.length + pVersion.length;
      fixed += 3 + 2 * STRING_BYTES;
    }
    out.packages = list;
    fixed += FIELD_BYTES + 3;
    fields++;
  }
  // Any other field (`features`, or something added by hand) takes the generic walk.
  if (Object.keys(sdk).length !== fields) return undefined;
  w.units += units;
  w.fixed += fixed;
  return out;
}

/** Code units of a list of strings of at most `max` entries, or -1 when it is not one. */
function stringListUnits(value: unknown, max: number): number {
  if (!Array.isArray(value) || value.length > max) return -1;
  let units = 0;
  for (let i = 0; i < value.length; i++) {
    const line: unknown = value[i];
    if (typeof line !== 'string') return -1;
    units += line.length;
  }
  return units;
}
