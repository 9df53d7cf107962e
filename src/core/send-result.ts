// What the end of one request means for its envelope, shared by the queued transport
// (core/transport.ts) and the durable outbox (node/outbox/sender.ts): delivered, refused for good,
// or worth another try, and what client report reason its items are counted under.

import type { DiscardReason } from './types.js';

/**
 * What a response means for the envelope (PROTOCOL.md §2, §8):
 * - `delivered`: 2xx.
 * - `rate_limited`: 429; Relay already counted it, nothing is recorded, never retried.
 * - `rejected`: any other 4xx (413 included); the server will refuse it again.
 * - `failed`: 5xx and anything unexpected (1xx, 3xx); may succeed later.
 */
export type ResponseClass = 'delivered' | 'rate_limited' | 'rejected' | 'failed';
/** A response class, or the request itself failing (refused, reset, timed out). */
export type SendResult = ResponseClass | 'network_error';

export function classifyResponse(statusCode: number): ResponseClass {
  if (statusCode >= 200 && statusCode < 300) return 'delivered';
  if (statusCode === 429) return 'rate_limited';
  if (statusCode >= 400 && statusCode < 500) return 'rejected';
  return 'failed';
}

/** The client-report reason for the items of an envelope that ended this way, if any. */
export function discardReasonFor(result: SendResult): DiscardReason | undefined {
  switch (result) {
    case 'rejected':
    case 'failed':
      return 'send_error';
    case 'network_error':
      return 'network_error';
    default:
      return undefined;
  }
}

/** Delivered or definitively refused: what `flush` counts as done. */
export function isFinal(result: SendResult): boolean {
  return result === 'delivered' || result === 'rate_limited' || result === 'rejected';
}

/** Worth trying again later (the outbox's question). */
export function isRetryable(result: SendResult): boolean {
  return result === 'failed' || result === 'network_error';
}
