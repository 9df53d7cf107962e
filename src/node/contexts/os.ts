import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Context } from '../../core/types.js';

/**
 * `contexts.os`: the operating system's product name and version (what a person would call it,
 * "Debian GNU/Linux 12", "macOS 14.4") beside the kernel release. Read from files the OS ships
 * for exactly this purpose, never by spawning a command (that would show up as a child-process
 * breadcrumb and cost a fork). Called once per process.
 */
export function osContext(): Context {
  const kernel = safe(() => os.release());
  switch (process.platform) {
    case 'linux':
      return linuxContext(kernel);
    case 'darwin':
      return darwinContext(kernel);
    case 'win32':
      return compact({ name: 'Windows', version: kernel, kernel_version: kernel, raw_description: safe(() => os.version()) });
    default:
      return compact({ name: safe(() => os.type()), version: kernel, kernel_version: kernel });
  }
}

function linuxContext(kernel: string | undefined): Context {
  const release = readOsRelease();
  if (!release) return compact({ name: 'Linux', kernel_version: kernel });
  const distribution = compact({ name: release['ID'], version: release['VERSION_ID'], pretty_name: release['PRETTY_NAME'] });
  return compact({
    name: release['NAME'] ?? 'Linux',
    version: release['VERSION_ID'],
    kernel_version: kernel,
    raw_description: release['PRETTY_NAME'],
    distribution: Object.keys(distribution).length ? distribution : undefined,
  });
}

/** Parses os-release(5): KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const q = value[0];
    if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2) value = value.slice(1, -1);
    out[m[1]!] = value.replace(/\\(["'$`\\])/g, '$1');
  }
  return out;
}

function readOsRelease(): Record<string, string> | undefined {
  for (const file of ['/etc/os-release', '/usr/lib/os-release']) {
    const text = safe(() => fs.readFileSync(file, 'utf8'));
    if (text) return parseOsRelease(text);
  }
  return undefined;
}

function darwinContext(kernel: string | undefined): Context {
  const plist = safe(() => fs.readFileSync('/System/Library/CoreServices/SystemVersion.plist', 'utf8')) ?? '';
  const key = (name: string) => new RegExp(`<key>${name}</key>\\s*<string>([^<]*)</string>`).exec(plist)?.[1];
  return compact({ name: 'macOS', version: key('ProductVersion'), build: key('ProductBuildVersion'), kernel_version: kernel });
}

/** Drops undefined fields: the schema allows null but an absent field says "unknown" more plainly. */
export function compact(ctx: Record<string, unknown>): Context {
  const out: Context = {};
  for (const [k, v] of Object.entries(ctx)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

export function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
