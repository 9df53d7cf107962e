// Telling a Promise (or any thenable) from a plain value, for the places that treat a hook's or a
// callback's result differently when it settles later: spans and check-ins wait for it, the
// event pipeline's synchronous hooks refuse it.

/** A value with a callable `then`. False, not a throw, when reading `then` fails (a Proxy, a getter). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  try {
    return typeof (value as PromiseLike<unknown>).then === 'function';
  } catch {
    return false;
  }
}

/**
 * For a thenable the SDK will not wait for: its rejection is handled here, so a failing async
 * hook does not become an unhandled rejection that ends the app.
 */
export function ignoreRejection(thenable: PromiseLike<unknown>): void {
  try {
    thenable.then(undefined, () => undefined);
  } catch {
    // A `then` that throws when called: nothing is pending, so nothing can go unhandled.
  }
}
