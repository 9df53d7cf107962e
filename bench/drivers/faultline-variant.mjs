// faultline with one of its per-event costs switched off, to show in `npm run bench` what each
// costs in CPU per event (the "where the CPU goes" table). Not a recommended configuration: both
// are on by default for good reasons (SPEC.md decision 12, and source context in every frame).
//   FAULTLINE_BENCH_VARIANT=no-gzip | no-context-lines | neither | no-outbox-files (offline: false,
//   the in-memory transport: what writing each envelope to disk first costs)
import * as faultline from '../../dist/index.js';

const variant = process.env.FAULTLINE_BENCH_VARIANT ?? '';
const noGzip = variant === 'no-gzip' || variant === 'neither';
const noContextLines = variant === 'no-context-lines' || variant === 'neither';

export function init(dsn) {
  faultline.init({
    dsn,
    ...(noGzip ? { transportOptions: { compressionThreshold: Number.MAX_SAFE_INTEGER } } : {}),
    ...(noContextLines ? { integrations: (defaults) => defaults.filter((i) => i.name !== 'ContextLines') } : {}),
    ...(variant === 'no-outbox-files' ? { offline: false } : {}),
  });
}
export const captureException = (err) => faultline.captureException(err);
export const captureMessage = (msg) => faultline.captureMessage(msg);
export const flush = (timeoutMs) => faultline.flush(timeoutMs);
export const close = (timeoutMs) => faultline.close(timeoutMs);
