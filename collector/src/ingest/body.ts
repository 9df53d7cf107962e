import type { IncomingMessage } from 'node:http';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { IngestError, badRequest, tooLarge } from './errors.js';

export interface BodyLimits {
  maxBodyBytes: number;
  maxEnvelopeBytes: number;
}

/**
 * Reads a request body into one Buffer, inflating gzip/deflate/br on the fly. Both limits are enforced
 * while the bytes stream in, so a 50 MB upload or a gzip bomb is stopped after at most `limit` bytes of
 * memory, never after inflating all of it.
 */
export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
    return Promise.reject(tooLarge(`request body of ${declared} bytes exceeds the limit of ${limits.maxBodyBytes} bytes`));
  }
  let decoder: Transform | undefined;
  try {
    decoder = decoderFor(req.headers['content-encoding']);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wireBytes = 0;
    let outBytes = 0;
    let settled = false;
    const fail = (error: IngestError): void => {
      if (settled) return;
      settled = true;
      decoder?.destroy();
      reject(error);
    };
    const collect = (chunk: Buffer): void => {
      if (settled) return;
      outBytes += chunk.length;
      if (outBytes > limits.maxEnvelopeBytes) {
        fail(tooLarge(`envelope exceeds the limit of ${limits.maxEnvelopeBytes} bytes after decompression`));
        return;
      }
      chunks.push(chunk);
    };
    const finish = (): void => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, outBytes));
    };

    if (decoder) {
      decoder.on('data', collect);
      decoder.on('end', finish);
      decoder.on('error', (error: Error) => fail(badRequest(`cannot decompress body (${req.headers['content-encoding']}): ${error.message}`)));
    }
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      wireBytes += chunk.length;
      if (wireBytes > limits.maxBodyBytes) {
        fail(tooLarge(`request body exceeds the limit of ${limits.maxBodyBytes} bytes`));
        return;
      }
      if (decoder) decoder.write(chunk);
      else collect(chunk);
    });
    req.on('end', () => {
      if (decoder) decoder.end();
      else finish();
    });
    req.on('error', (error) => fail(badRequest(`request stream failed: ${error.message}`)));
    req.on('aborted', () => fail(badRequest('request aborted by the client')));
  });
}

function decoderFor(header: string | string[] | undefined): Transform | undefined {
  const encoding = (Array.isArray(header) ? header[0] : header)?.trim().toLowerCase();
  if (!encoding || encoding === 'identity') return undefined;
  if (encoding === 'gzip' || encoding === 'x-gzip') return createGunzip();
  if (encoding === 'deflate') return createInflate();
  if (encoding === 'br') return createBrotliDecompress();
  throw new IngestError(415, `unsupported content-encoding "${encoding}" (use gzip, deflate or br)`);
}
