// Builds `exception.values` from whatever was thrown (SPEC.md decisions 6 and 7, PROTOCOL.md §6.2).
//
// Errors (and error-like objects with string `name` and `message`) become real entries; anything
// else becomes one synthetic entry that describes the value and carries the capture site's stack.
// `cause` chains and AggregateError members are walked depth-first from the captured error, ids
// are handed out in that order (captured error = 0), and the list is reversed at the end so the
// innermost cause comes first and the captured error last.
//
// Whatever we are given may be a Proxy, have throwing getters or be revoked, so every read of a
// foreign value goes through `read`, and the whole function falls back to a fixed entry rather
// than ever throwing into the app.

import type { Exception, Mechanism } from './types.js';
import type { FrameParser } from './stacktrace.js';
import { copyKeys } from './copy-keys.js';

export const DEFAULT_MAX_ERROR_DEPTH = 5;
/** Cap on entries per event, so a huge AggregateError cannot make a huge (and slow) event. */
export const MAX_EXCEPTION_VALUES = 100;
/** Longest thrown string quoted into a synthetic value; the rest is cut. */
const MAX_QUOTED_LENGTH = 1024;
const MAX_LISTED_KEYS = 10;

export interface ExceptionsOptions {
  parser: FrameParser;
  /** How many levels of `cause` / `errors[i]` below the captured error are followed (default 5). */
  maxErrorDepth?: number;
  /** Copied into every entry; linked entries get type `chained`. */
  mechanism: Mechanism;
  /** The capture site's stack (`new Error().stack` taken by the caller), for values without their own. */
  syntheticStack?: string;
  /** Newest V8 frames of `syntheticStack` to drop (the SDK's own frames). */
  syntheticSkipFrames?: number;
  /** True when `captureException()` was called with no argument at all (not with an explicit `undefined`). */
  noArgument?: boolean;
}

/** Marks a property read that threw. */
const UNREADABLE: unique symbol = Symbol('unreadable');

/** `exception.values`, innermost cause first and `error` last. Never throws. */
export function exceptionsFromError(error: unknown, opts: ExceptionsOptions): Exception[] {
  try {
    return buildValues(error, opts);
  } catch {
    // Only reachable if options themselves are hostile; still send something readable.
    return [{ type: 'Error', value: 'The captured exception could not be read', mechanism: { type: 'generic', synthetic: true } }];
  }
}

interface WalkState {
  opts: ExceptionsOptions;
  maxDepth: number;
  values: Exception[];
  seen: Set<object>;
}

function buildValues(error: unknown, opts: ExceptionsOptions): Exception[] {
  const depth = opts.maxErrorDepth;
  const state: WalkState = {
    opts,
    maxDepth: typeof depth === 'number' && depth >= 0 ? Math.floor(depth) : DEFAULT_MAX_ERROR_DEPTH,
    values: [],
    seen: new Set(),
  };
  visit(state, error, 0, undefined, undefined);

  const values = state.values;
  const root = values[0]!;
  // Ids only mean something when entries are linked, or when the root is a group (even an empty one).
  if (values.length > 1 || root.mechanism!.is_exception_group === true) root.mechanism!.exception_id = 0;
  return values.reverse();
}

/** Adds `value` and, depth-first, what it links to. */
function visit(state: WalkState, value: unknown, depth: number, parentId: number | undefined, source: string | undefined): void {
  if (state.values.length >= MAX_EXCEPTION_VALUES) return;
  if (isObjectLike(value)) {
    if (state.seen.has(value)) return; // a cycle, or the same error listed twice
    state.seen.add(value);
  }

  const id = state.values.length;
  const isRoot = parentId === undefined;
  const errorLike = asErrorLike(value);
  const entry = errorLike ? errorEntry(value as object, errorLike, state.opts, isRoot) : syntheticEntry(value, state.opts, isRoot);
  const mechanism = entry.mechanism!;
  if (!isRoot) {
    mechanism.type = 'chained';
    mechanism.source = source;
    mechanism.exception_id = id;
    mechanism.parent_id = parentId;
  }
  const members = errorLike ? groupMembers(value as object, errorLike) : undefined;
  if (members !== undefined) mechanism.is_exception_group = true;
  state.values.push(entry);

  if (!errorLike || depth >= state.maxDepth) return;
  const cause = readCause(value as object);
  if (cause !== undefined && cause !== null) visit(state, cause, depth + 1, id, 'cause');
  if (members !== undefined) {
    const count = Math.min(members.length, MAX_EXCEPTION_VALUES);
    for (let i = 0; i < count; i++) {
      const member = read(members, i);
      if (member !== UNREADABLE) visit(state, member, depth + 1, id, `errors[${i}]`);
    }
  }
}

/** `name` and `message` of something we treat as an Error, or undefined for anything else. */
interface ErrorFields {
  name: unknown;
  message: unknown;
  isError: boolean;
}

function asErrorLike(value: unknown): ErrorFields | undefined {
  if (!isObjectLike(value)) return undefined;
  let isError = false;
  try {
    isError = value instanceof Error;
  } catch {
    // A Proxy whose getPrototypeOf trap throws: judge it by its fields below.
  }
  const name = read(value, 'name');
  const message = read(value, 'message');
  if (isError) return { name, message, isError };
  // Error-like: errors from another realm, and objects shaped like one (`{ name, message }`).
  if (typeof name === 'string' && typeof message === 'string') return { name, message, isError };
  return undefined;
}

function errorEntry(error: object, fields: ErrorFields, opts: ExceptionsOptions, isRoot: boolean): Exception {
  const message = readableMessage(fields.message);
  // copyKeys, not spread: linking and errno add keys to the mechanism afterwards (see copy-keys.ts).
  const entry: Exception = { type: errorType(error, fields.name), value: message, mechanism: copyKeys(opts.mechanism) };

  const stack = read(error, 'stack');
  let frames = typeof stack === 'string' ? opts.parser.parse(withoutMessage(stack, message)) : [];
  // An error-like object without a stack of its own: the capture site is the best we know.
  if (frames.length === 0 && isRoot && !fields.isError) frames = syntheticFrames(opts);
  if (frames.length > 0) entry.stacktrace = { frames };

  const errno = errnoMeta(error);
  if (errno !== undefined) entry.mechanism!.meta = { ...entry.mechanism!.meta, errno };
  return entry;
}

/**
 * The Error's type. `name` when it says something; otherwise the class name, because
 * `class HttpError extends Error {}` keeps the inherited name `Error` but is clearly an HttpError.
 */
function errorType(error: object, name: unknown): string {
  if (typeof name === 'string' && name.length > 0 && name !== 'Error') return name;
  const className = constructorName(error);
  if (className !== undefined && className !== 'Object') return className;
  return typeof name === 'string' && name.length > 0 ? name : 'Error';
}

function readableMessage(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message === UNREADABLE) return '<the message could not be read>';
  if (message === undefined) return '';
  return describePrimitive(message) ?? '<the message is not a string>';
}

/**
 * The part of a stack after the message. Only matters for multi-line messages, whose lines could
 * otherwise look like frames (`    at x (y:1:2)` inside a message).
 */
function withoutMessage(stack: string, message: string): string {
  if (message.indexOf('\n') === -1) return stack;
  const at = stack.indexOf(message);
  return at === -1 ? stack : stack.slice(at + message.length);
}

/** Node system errors: `errno: -2, code: 'ENOENT'` → `{ number: 2, name: 'ENOENT' }`. */
function errnoMeta(error: object): { number?: number; name: string } | undefined {
  const code = read(error, 'code');
  if (typeof code !== 'string' || !/^E[A-Z0-9_]+$/.test(code)) return undefined;
  const errno = read(error, 'errno');
  if (typeof errno !== 'number') return undefined;
  // libuv reports POSIX errors negated; its Windows-only codes (below -3000) are not C errno values.
  const number = -errno;
  return Number.isInteger(number) && number > 0 && number < 1000 ? { number, name: code } : { name: code };
}

function readCause(error: object): unknown {
  const cause = read(error, 'cause');
  return cause === UNREADABLE ? undefined : cause;
}

/** AggregateError members, or undefined when `error` is not a group. */
function groupMembers(error: object, fields: ErrorFields): ArrayLike<unknown> | undefined {
  let isGroup = false;
  try {
    isGroup = error instanceof AggregateError;
  } catch {
    // fall through to the name check
  }
  if (!isGroup && fields.name !== 'AggregateError') return undefined;
  const errors = read(error, 'errors');
  try {
    return Array.isArray(errors) ? errors : undefined;
  } catch {
    return undefined; // a revoked Proxy
  }
}

function syntheticEntry(value: unknown, opts: ExceptionsOptions, isRoot: boolean): Exception {
  const entry: Exception = {
    type: 'Error',
    value: describeNonError(value, isRoot && opts.noArgument === true),
    mechanism: copyKeys(opts.mechanism),
  };
  entry.mechanism!.synthetic = true;
  // A thrown non-Error has no stack; for the captured value the capture site stands in for it.
  if (isRoot) {
    const frames = syntheticFrames(opts);
    if (frames.length > 0) entry.stacktrace = { frames };
  }
  return entry;
}

function syntheticFrames(opts: ExceptionsOptions): ReturnType<FrameParser['parse']> {
  return opts.syntheticStack === undefined ? [] : opts.parser.parse(opts.syntheticStack, opts.syntheticSkipFrames);
}

/** The readable `value` of a synthetic exception (SPEC.md decision 6). */
function describeNonError(value: unknown, noArgument: boolean): string {
  if (value === undefined && noArgument) return 'captureException called without an error';
  if (typeof value === 'function') {
    const name = read(value, 'name');
    return `Non-Error exception captured: [function ${typeof name === 'string' && name ? name : 'anonymous'}]`;
  }
  if (typeof value !== 'object' || value === null) {
    return `Non-Error exception captured: ${describePrimitive(value) ?? String(typeof value)}`;
  }
  const kind = constructorName(value) ?? 'Object';
  let keys: string[];
  try {
    keys = Object.keys(value);
  } catch {
    return `${kind} captured as exception (its keys could not be read)`;
  }
  if (keys.length === 0) return `${kind} captured as exception with no keys`;
  // Sorting a million keys is not worth it; the first thousand give a stable, readable sample.
  const listed = (keys.length > 1000 ? keys.slice(0, 1000) : keys).sort().slice(0, MAX_LISTED_KEYS);
  const more = keys.length > MAX_LISTED_KEYS ? `, … (${keys.length} keys)` : '';
  return `${kind} captured as exception with keys: ${listed.map(shorten).join(', ')}${more}`;
}

/** Text for a primitive, or undefined for objects. Never calls user code (no toString, no toPrimitive). */
function describePrimitive(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > MAX_QUOTED_LENGTH ? value.slice(0, MAX_QUOTED_LENGTH) + '…' : value);
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol': {
      const description = value.description;
      return description === undefined ? 'Symbol()' : `Symbol(${shorten(description)})`;
    }
    default:
      return value === null ? 'null' : undefined;
  }
}

/** The class name of an instance; undefined for plain objects, null-prototype objects and failures. */
function constructorName(value: object): string | undefined {
  try {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === null || proto === Object.prototype) return undefined;
    const ctor = read(proto, 'constructor');
    if (typeof ctor !== 'function') return undefined;
    const name = read(ctor, 'name');
    return typeof name === 'string' && name.length > 0 ? name : undefined;
  } catch {
    return undefined;
  }
}

function shorten(text: string): string {
  return text.length > 100 ? text.slice(0, 100) + '…' : text;
}

function isObjectLike(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function read(target: unknown, key: PropertyKey): unknown {
  try {
    return (target as Record<PropertyKey, unknown>)[key];
  } catch {
    return UNREADABLE;
  }
}
