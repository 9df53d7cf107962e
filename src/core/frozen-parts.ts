// Parts of an event the SDK makes once and puts on many events: the NodeContext integration's
// contexts, the client's description of the SDK, a trace's context. They are frozen, so no event
// can change them for the events after it, and the normalizer may then let events share them
// instead of copying each one (normalize/shared-parts.ts).
//
// Code that is not the SDK's (an event processor or integration of the app's) may change the
// event it is given, in place: before it runs, the event's frozen parts are replaced by copies
// of its own (`thawEventParts`), as the SDK used to copy them for every event.

import type { Event } from './types.js';

/** Freezes `value` and every object and array in it; returns it. For data the SDK made. */
export function freezeDeep<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) freezeDeep((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** A copy that may be changed: objects and arrays copied all the way down, key order kept. */
export function thawed<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(thawed) as T;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = thawed((value as Record<string, unknown>)[key]);
  return out as T;
}

const isFrozenObject = (value: unknown): value is object => value !== null && typeof value === 'object' && Object.isFrozen(value);

/**
 * Replaces the event's frozen contexts and SDK description by copies it may change. Called before
 * code that is not the SDK's sees the event, and before the size limit trims one in place.
 */
export function thawEventParts<E extends Pick<Event, 'contexts' | 'sdk'>>(event: E): E {
  const contexts = event.contexts;
  if (contexts !== null && typeof contexts === 'object') {
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(contexts)) {
      const ctx = (contexts as Record<string, unknown>)[key];
      if (isFrozenObject(ctx)) (copy ??= { ...contexts })[key] = thawed(ctx);
    }
    if (copy !== undefined) event.contexts = copy as Event['contexts'];
  }
  if (isFrozenObject(event.sdk)) event.sdk = thawed(event.sdk);
  return event;
}
