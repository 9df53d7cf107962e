// The anchor: @sentry/node with its defaults apart from the DSN.
import * as Sentry from '@sentry/node';

export function init(dsn) {
  Sentry.init({ dsn });
}
export const captureException = (err) => Sentry.captureException(err);
export const captureMessage = (msg) => Sentry.captureMessage(msg);
export const flush = (timeoutMs) => Sentry.flush(timeoutMs);
export const close = (timeoutMs) => Sentry.close(timeoutMs);
