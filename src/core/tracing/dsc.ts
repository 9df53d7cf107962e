// The dynamic sampling context (DSC): what the server needs to sample a whole trace the same
// way, sent as `baggage` to downstream services and as the envelope header `trace`. An upstream
// DSC is passed on unchanged ("frozen"), since the trace's head decided it.
import type { ClientLike } from '../types.js';
import type { Span } from './span.js';
import type { PropagationContext } from './propagation.js';

export type DynamicSamplingContext = Record<string, string>;

function base(traceId: string, client: ClientLike | undefined): DynamicSamplingContext {
  const dsc: DynamicSamplingContext = { trace_id: traceId };
  const publicKey = client?.getDsn()?.publicKey;
  if (publicKey) dsc['public_key'] = publicKey;
  const options = client?.getOptions();
  if (options?.release) dsc['release'] = options.release;
  if (options?.environment) dsc['environment'] = options.environment;
  return dsc;
}

/** The DSC of the trace `span` belongs to, built from its root (or the frozen upstream one). */
export function dscOfSpan(span: Span): DynamicSamplingContext {
  const segment = span._segment;
  if (segment.frozenDsc) return segment.frozenDsc;
  const root = span._root;
  const dsc = base(root.traceId, segment.client);
  if (segment.sampleRate !== undefined) dsc['sample_rate'] = String(segment.sampleRate);
  dsc['sampled'] = String(segment.sampled);
  dsc['sample_rand'] = String(segment.sampleRand);
  // A name taken from the URL may hold ids or personal data: only route and custom names travel.
  if (segment.source !== 'url') dsc['transaction'] = root._name;
  return dsc;
}

/** The DSC when no span is active: the upstream one, or one built from the scope's trace. */
export function dscOfPropagationContext(ctx: PropagationContext, client: ClientLike | undefined): DynamicSamplingContext {
  if (ctx.dsc) return ctx.dsc;
  const dsc = base(ctx.traceId, client);
  if (ctx.sampled !== undefined) dsc['sampled'] = String(ctx.sampled);
  if (ctx.sampleRand !== undefined) dsc['sample_rand'] = String(ctx.sampleRand);
  return dsc;
}
