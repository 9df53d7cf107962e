// The scrub rule of a client (its denyList, extraDenyList and sendDefaultPii), built once per
// client and shared by the integrations that must hide secrets before data reaches the scope
// (query strings are strings, so the core scrubber, which works on keys, cannot see into them).
import type { ClientLike } from '../core/types.js';
import { createKeyMatcher, type KeyMatcher } from '../core/scrub.js';

const matchers = new WeakMap<ClientLike, KeyMatcher>();

export function keyMatcherFor(client: ClientLike): KeyMatcher {
  let matcher = matchers.get(client);
  if (!matcher) {
    const o = client.getOptions();
    matcher = createKeyMatcher({ denyList: o.denyList, extraDenyList: o.extraDenyList, sendDefaultPii: o.sendDefaultPii });
    matchers.set(client, matcher);
  }
  return matcher;
}
