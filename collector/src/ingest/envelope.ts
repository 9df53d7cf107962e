import { badRequest } from './errors.js';
import { hasDuplicateTopLevelKeys } from './duplicate-keys.js';
import { exceedsDepth } from './json-depth.js';

export interface EnvelopeItem {
  header: Record<string, unknown> & { type: string };
  payload: Buffer;
}

export interface Envelope {
  header: Record<string, unknown>;
  items: EnvelopeItem[];
}

const NEWLINE = 0x0a;
/** Header lines are small; a longer "header" is garbage and not worth JSON-parsing. */
const MAX_HEADER_LINE = 64 * 1024;

/**
 * Parses envelope bytes exactly as Relay does (PROTOCOL.md §3.3): header line, then items, each a JSON
 * header line and a payload of `length` bytes (or up to the next newline when `length` is absent).
 * Throws a 400 IngestError naming the first problem and its byte offset.
 */
export function parseEnvelope(bytes: Buffer, maxJsonDepth: number): Envelope {
  let pos = 0;
  const readHeaderLine = (what: string): Record<string, unknown> => {
    let end = bytes.indexOf(NEWLINE, pos);
    if (end < 0) end = bytes.length;
    if (end - pos > MAX_HEADER_LINE) throw badRequest(`${what} at byte ${pos} is longer than ${MAX_HEADER_LINE} bytes`);
    const line = bytes.subarray(pos, end);
    if (line[line.length - 1] === 0x0d) throw badRequest(`${what} at byte ${pos} ends with \\r: use \\n line endings, not CRLF`);
    if (exceedsDepth(line, maxJsonDepth)) throw badRequest(`${what} at byte ${pos} is nested too deeply`);
    let value: unknown;
    const text = line.toString('utf8');
    try {
      value = JSON.parse(text);
    } catch {
      throw badRequest(`${what} at byte ${pos} is not valid JSON`);
    }
    if (hasDuplicateTopLevelKeys(text)) throw badRequest(`${what} at byte ${pos} repeats a key`);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw badRequest(`${what} at byte ${pos} must be a JSON object`);
    }
    pos = end + 1;
    return value as Record<string, unknown>;
  };

  if (bytes.length === 0) throw badRequest('empty envelope: the envelope header line is required');
  const header = readHeaderLine('envelope header');
  const items: EnvelopeItem[] = [];
  while (pos < bytes.length) {
    const itemStart = pos;
    const itemHeader = readHeaderLine(`item header #${items.length + 1}`);
    if (typeof itemHeader['type'] !== 'string' || itemHeader['type'] === '') {
      throw badRequest(`item header #${items.length + 1} at byte ${itemStart} has no "type"`);
    }
    const length = itemHeader['length'];
    let payload: Buffer;
    if (length !== undefined && length !== null) {
      if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > 0xffffffff) {
        throw badRequest(`item #${items.length + 1}: "length" must be an unsigned 32-bit integer`);
      }
      if (pos + length > bytes.length) {
        throw badRequest(`item #${items.length + 1}: unexpected end of file (declared length ${length}, ${Math.max(0, bytes.length - pos)} bytes left)`);
      }
      payload = bytes.subarray(pos, pos + length);
      const after = pos + length;
      if (after < bytes.length && bytes[after] !== NEWLINE) {
        throw badRequest(`item #${items.length + 1}: missing newline after payload (byte ${after}); is "length" right?`);
      }
      pos = after + 1;
    } else if (pos >= bytes.length) {
      payload = Buffer.alloc(0);
    } else {
      let end = bytes.indexOf(NEWLINE, pos);
      if (end < 0) end = bytes.length;
      payload = bytes.subarray(pos, end);
      pos = end + 1;
    }
    items.push({ header: itemHeader as EnvelopeItem['header'], payload });
  }
  return { header, items };
}
