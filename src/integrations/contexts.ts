import type { Context, Contexts, Event, Integration } from '../core/types.js';
import { RARE_PATH_FIRST_CALLS } from '../core/rare-paths.js';
import { osContext } from '../node/contexts/os.js';
import { staticDeviceContext, withFreeMemory } from '../node/contexts/device.js';
import { staticAppContext, withAppMemory } from '../node/contexts/app.js';
import { cultureContext } from '../node/contexts/culture.js';
import { detectCloudResource } from '../node/contexts/cloud.js';
import { markOwn } from '../core/own-code.js';
import { freezeDeep } from '../core/frozen-parts.js';

export interface NodeContextOptions {
  os?: boolean;
  device?: boolean;
  app?: boolean;
  culture?: boolean;
  cloudResource?: boolean;
}

interface Cached {
  fixed: Contexts;
  device?: Context;
  app?: Context;
}

/**
 * How long a memory reading is reused: a flood of events must not make one syscall pair each
 * (os.freemem() and the resident size cost 12–17 µs each here).
 */
const MEMORY_SAMPLE_MS = 1000;

/**
 * Adds `contexts.runtime`, `os`, `device`, `app`, `culture` and (when the environment reveals
 * one) `cloud_resource` to every event. What cannot change while the process runs is computed
 * once, at setup (about 1 ms: the culture is read from the environment, not through Intl, see
 * contexts/culture.ts). Free memory and the app's resident memory are read per event, at most
 * once a second. Context keys the event or the scopes already have win over ours, field by field for
 * `device` and `app`, so a user's `setContext('app', { app_name })` keeps the memory numbers.
 */
export function nodeContextIntegration(options: NodeContextOptions = {}): Integration {
  const on = (key: keyof NodeContextOptions) => options[key] !== false;
  let cached: Cached | undefined;
  let device: Context | undefined;
  let app: Context | undefined;
  let sampledAt = -Infinity;
  let samples = 0;

  /** device and app with fresh memory numbers, re-read at most once per MEMORY_SAMPLE_MS. */
  function memorySample(c: Cached, now: number): void {
    // The first events are each sampled too (core/rare-paths.ts).
    if (now - sampledAt < MEMORY_SAMPLE_MS && now >= sampledAt && samples >= RARE_PATH_FIRST_CALLS) return;
    sampledAt = now;
    samples++;
    device = c.device ? freezeDeep(withFreeMemory(c.device)) : undefined;
    app = c.app ? freezeDeep(withAppMemory(c.app)) : undefined;
  }

  function compute(): Cached {
    const fixed: Contexts = { runtime: { name: 'node', version: process.version } };
    if (on('os')) fixed['os'] = osContext();
    if (on('culture')) {
      const culture = cultureContext();
      if (culture) fixed['culture'] = culture;
    }
    if (on('cloudResource')) {
      const cloud = detectCloudResource(process.env);
      if (cloud) fixed['cloud_resource'] = cloud;
    }
    for (const key in fixed) freezeDeep(fixed[key]);
    return {
      fixed,
      device: on('device') ? staticDeviceContext() : undefined,
      app: on('app') ? staticAppContext() : undefined,
    };
  }

  return markOwn({
    name: 'NodeContext',
    setup() {
      cached ??= compute();
    },
    processEvent(event: Event): Event {
      cached ??= compute();
      memorySample(cached, Date.now());
      const own = event.contexts;
      // A new object: in captureEvent the contexts may still be the caller's, which we never mutate.
      // Built key by key, not spread: V8 gives spread copies a shape that makes the property
      // writes below (device, app, later trace) slow (measured 4.7 µs against 0.2 µs).
      // Each context is the cached object itself, frozen, shared by every event
      // (core/frozen-parts.ts): an event processor of the app's that edits `event.contexts.os`
      // in place is given a copy first, so the events after it keep theirs (as @sentry/node).
      const fixed = cached.fixed;
      const contexts: Contexts = {};
      for (const key in fixed) contexts[key] = fixed[key]!;
      if (device) contexts['device'] = device;
      if (app) contexts['app'] = app;
      if (own) {
        for (const key of Object.keys(own)) {
          const theirs = own[key];
          const ours = contexts[key];
          contexts[key] = ours && theirs && (key === 'device' || key === 'app') ? { ...ours, ...theirs } : theirs!;
        }
      }
      event.contexts = contexts;
      return event;
    },
  });
}
