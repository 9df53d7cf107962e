// faultline from the built package (dist/index.js), default options apart from the DSN.
import * as faultline from '../../dist/index.js';

export function init(dsn) {
  faultline.init({ dsn });
}
export const captureException = (err) => faultline.captureException(err);
export const captureMessage = (msg) => faultline.captureMessage(msg);
export const flush = (timeoutMs) => faultline.flush(timeoutMs);
export const close = (timeoutMs) => faultline.close(timeoutMs);
