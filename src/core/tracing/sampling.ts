// The sampling decision of a root span (children and downstream services inherit it). Every
// decision of one trace compares the same random number (`sample_rand`, carried in baggage) to
// its rate, so services with the same rate agree without talking to each other.
import type { ResolvedOptions } from '../types.js';
import { debugLog } from '../debug-log.js';
import type { SpanAttributes } from './span.js';

/** What `tracesSampler` receives. */
export interface SamplingContext {
  name: string;
  attributes: SpanAttributes;
  /** The upstream decision (sentry-trace flag or baggage), when there is one. */
  parentSampled: boolean | undefined;
  /** The upstream rate (baggage `sentry-sample_rate`), when there is one. */
  parentSampleRate: number | undefined;
  /** The upstream decision as a rate (1 or 0) when there is one, else `fallback`. */
  inheritOrSampleWith(fallback: number): number;
  [key: string]: unknown;
}

export interface SamplingInput {
  name: string;
  attributes: SpanAttributes;
  parentSampled: boolean | undefined;
  parentSampleRate: number | undefined;
  sampleRand: number;
}

export interface SamplingDecision {
  sampled: boolean;
  /** The rate used; undefined when the decision was inherited without one. */
  sampleRate: number | undefined;
}

/** Tracing is on when a rate or a sampler is set; checked once where it matters for cost. */
export function isTracingEnabled(options: Pick<ResolvedOptions, 'tracesSampleRate' | 'tracesSampler'> | undefined): boolean {
  return options !== undefined && (options.tracesSampleRate !== undefined || typeof options.tracesSampler === 'function');
}

/**
 * `tracesSampler` first (its answer wins over everything), else the parent's decision, else
 * `tracesSampleRate`. A sampler that throws or answers nonsense samples the root out, with a
 * debug warning: a broken sampler must not flood the server.
 */
export function decideSampling(options: ResolvedOptions, input: SamplingInput): SamplingDecision {
  const { parentSampled, parentSampleRate } = input;
  let rate: number | undefined;
  if (typeof options.tracesSampler === 'function') {
    const context: SamplingContext = {
      name: input.name,
      attributes: input.attributes,
      parentSampled,
      parentSampleRate,
      inheritOrSampleWith: (fallback: number) =>
        parentSampled !== undefined ? (parentSampled ? 1 : 0) : parentSampleRate ?? fallback,
    };
    rate = rateOf(safeSample(options.tracesSampler, context));
    if (rate === undefined) return { sampled: false, sampleRate: undefined };
  } else if (parentSampled !== undefined) {
    return { sampled: parentSampled, sampleRate: parentSampleRate };
  } else {
    rate = options.tracesSampleRate;
    if (rate === undefined) return { sampled: false, sampleRate: undefined };
  }
  return { sampled: input.sampleRand < rate, sampleRate: rate };
}

function safeSample(sampler: (c: Record<string, unknown>) => unknown, context: SamplingContext): unknown {
  try {
    return sampler(context);
  } catch (err) {
    debugLog.warn('tracesSampler threw; the span is not sampled', err);
    return undefined;
  }
}

function rateOf(result: unknown): number | undefined {
  if (typeof result === 'boolean') return result ? 1 : 0;
  if (typeof result === 'number' && result >= 0 && result <= 1) return result;
  debugLog.warn('tracesSampler returned neither a boolean nor a number in [0, 1]; the span is not sampled');
  return undefined;
}

/** A random number in [0, 1) with 6 decimals: what baggage carries, so every service compares the same value. */
export function roundSampleRand(value: number): number {
  const v = Math.floor(value * 1e6) / 1e6;
  return v >= 0 && v < 1 ? v : Math.floor(Math.random() * 1e6) / 1e6;
}
