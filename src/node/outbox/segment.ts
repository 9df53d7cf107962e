// A segment: several envelopes in one file, written when a burst spills the in-memory queue to
// disk (OutboxWriter.spillSync). One file per burst instead of one per envelope turns a hundred
// open/write/close/rename round trips on the caller's tick into one: a capture in a burst then
// costs a few microseconds of disk time instead of tens.
//
// Layout: a JSON header line `{"faultline_segment":1,"count":N}`, then per envelope its byte
// length on a line of its own and the envelope bytes. Written like every outbox file (temp file,
// then rename), so it is whole or absent. It is deleted once every envelope in it is delivered or
// dropped; a process that dies before that sends the delivered part again on the next start
// (Sentry drops those duplicates by event_id), which is the price of one file per burst.

export const SEGMENT_SUFFIX = '.segment';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = 0x0a;

export interface SegmentRecord {
  offset: number;
  length: number;
}

/** Where a stored envelope lies: its segment file, its record there, and the file's whole length. */
export interface SegmentPlace extends SegmentRecord {
  name: string;
  fileLength: number;
}

export function isSegmentName(name: string): boolean {
  return name.endsWith(SEGMENT_SUFFIX);
}

/**
 * The file's content as the pieces it is made of (header, then each envelope's length line and
 * bytes), for one vectored write: a segment is never joined into one array in memory.
 */
export function segmentChunks(envelopes: Uint8Array[]): { chunks: Uint8Array[]; byteLength: number; records: SegmentRecord[] } {
  const header = encoder.encode(`${JSON.stringify({ faultline_segment: 1, count: envelopes.length })}\n`);
  const chunks: Uint8Array[] = [header];
  const records: SegmentRecord[] = [];
  let offset = header.byteLength;
  for (const envelope of envelopes) {
    const length = encoder.encode(`${envelope.byteLength}\n`);
    chunks.push(length, envelope);
    offset += length.byteLength;
    records.push({ offset, length: envelope.byteLength });
    offset += envelope.byteLength;
  }
  return { chunks, byteLength: offset, records };
}

export function joinChunks(chunks: readonly Uint8Array[], byteLength: number): Uint8Array {
  const bytes = new Uint8Array(byteLength);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** The envelopes of a segment file; throws when it is not one (only a power loss can do that). */
export function decodeSegment(bytes: Uint8Array): Uint8Array[] {
  let pos = bytes.indexOf(NEWLINE);
  if (pos === -1) throw new Error('segment without a header line');
  const header = JSON.parse(decoder.decode(bytes.subarray(0, pos))) as { faultline_segment?: unknown; count?: unknown };
  if (header.faultline_segment !== 1 || typeof header.count !== 'number') throw new Error('not a faultline segment');
  pos++;
  const out: Uint8Array[] = [];
  while (pos < bytes.length) {
    const end = bytes.indexOf(NEWLINE, pos);
    if (end === -1) throw new Error('segment record without a length line');
    const length = Number(decoder.decode(bytes.subarray(pos, end)));
    if (!Number.isInteger(length) || length < 0 || end + 1 + length > bytes.length) throw new Error('segment record length out of range');
    out.push(bytes.subarray(end + 1, end + 1 + length));
    pos = end + 1 + length;
  }
  if (out.length !== header.count) throw new Error(`segment holds ${out.length} envelopes, its header says ${header.count}`);
  return out;
}
