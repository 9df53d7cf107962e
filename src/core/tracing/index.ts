// The tracing surface, for src/index.ts to re-export.
export {
  continueTrace,
  getActiveSpan,
  getTraceData,
  setMeasurement,
  startInactiveSpan,
  startNewTrace,
  startSpan,
  startSpanManual,
  withActiveSpan,
} from './api.js';
export type { StartSpanOptions } from './api.js';
export { Span } from './span.js';
export type { SpanAttributes, SpanAttributeValue, SpanContextData, TransactionSource } from './span.js';
export type { SamplingContext } from './sampling.js';
