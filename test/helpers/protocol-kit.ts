// The shared protocol-conformance kit (../shared/protocol/check.mjs beside the repository).
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface ParsedItem {
  header: { type: string; length?: number; [k: string]: unknown };
  payload: Buffer;
  explicitLength: boolean;
}

export interface Kit {
  validateEvent(event: unknown, opts?: { canonical?: boolean }): {
    ok: boolean;
    schemaErrors: string[];
    canonicalErrors: string[];
    warnings: string[];
  };
  checkEnvelope(bytes: Uint8Array | string, opts?: { canonical?: boolean }): { errors: string[]; warnings: string[] };
  parseEnvelope(bytes: Uint8Array | string): { header: Record<string, unknown>; items: ParsedItem[] };
}

export const KIT_PATH = path.resolve(process.cwd(), '../shared/protocol/check.mjs');

let kit: Promise<Kit> | undefined;

export function loadKit(): Promise<Kit> {
  kit ??= import(pathToFileURL(KIT_PATH).href) as Promise<Kit>;
  return kit;
}
