/**
 * Size limits, after PROTOCOL.md §9 (Relay's defaults), scaled down where a development collector
 * holding a whole request in memory would be hurt by Relay's 200 MiB: the envelope limit is 20 MiB
 * by default (configurable). Limits apply to the DECOMPRESSED bytes, counted while inflating.
 */
export interface IngestLimits {
  /** Largest request body on the wire (compressed), bytes. */
  maxBodyBytes: number;
  /** Largest envelope after decompression, bytes. */
  maxEnvelopeBytes: number;
  /** One event or transaction item. */
  maxEventBytes: number;
  /** One attachment. */
  maxAttachmentBytes: number;
  maxAttachmentCount: number;
  /** session + sessions items per envelope. */
  maxSessionCount: number;
  maxClientReportBytes: number;
  maxCheckInBytes: number;
  maxLogBytes: number;
  /** Deepest JSON nesting accepted in an item payload (Relay's JSON reader stops at 128). */
  maxJsonDepth: number;
}

const MiB = 1024 * 1024;

export const defaultLimits: IngestLimits = {
  maxBodyBytes: 20 * MiB,
  maxEnvelopeBytes: 20 * MiB,
  maxEventBytes: 1 * MiB,
  maxAttachmentBytes: 20 * MiB,
  maxAttachmentCount: 30,
  maxSessionCount: 100,
  maxClientReportBytes: 100 * 1024,
  maxCheckInBytes: 100 * 1024,
  maxLogBytes: 2 * MiB,
  maxJsonDepth: 128,
};
