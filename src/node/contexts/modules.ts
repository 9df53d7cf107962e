import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

export type ModuleVersions = Record<string, string>;

export interface ModuleCollectorOptions {
  /** The app's directory: its package.json names the declared dependencies. */
  root: string;
  /** CommonJS module cache to read loaded files from (default: Node's `require.cache`). */
  cache?: Record<string, unknown>;
  /** How often, at most, to look for newly loaded modules (ms). */
  refreshMs?: number;
}

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

/**
 * name → version of the packages the app uses. Two sources, because neither is complete:
 * the CommonJS module cache (packages actually loaded, including transitive ones; ES modules are
 * not listed there, Node has no public registry of them), and the app's own package.json
 * dependencies resolved to their installed versions. Each package.json is read once; the loaded
 * set is looked at again at most every `refreshMs`, and only rebuilt when the cache grew, so an
 * event pays for attaching a cached object and nothing more.
 */
export function createModuleCollector(options: ModuleCollectorOptions) {
  const refreshMs = options.refreshMs ?? 10_000;
  const cache = options.cache ?? defaultCache();
  const versionByDir = new Map<string, string | null>();
  let declared: ModuleVersions | undefined;
  let result: ModuleVersions | undefined;
  let seenCount = -1;
  let checkedAt = 0;

  function versionAt(dir: string): string | null {
    let v = versionByDir.get(dir);
    if (v !== undefined) return v;
    v = null;
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: unknown };
      if (typeof pkg.version === 'string') v = pkg.version;
    } catch {
      // Not a package directory (or unreadable): remembered as unknown.
    }
    versionByDir.set(dir, v);
    return v;
  }

  function collectDeclared(): ModuleVersions {
    const out: ModuleVersions = {};
    let pkg: { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    try {
      pkg = JSON.parse(fs.readFileSync(path.join(options.root, 'package.json'), 'utf8'));
    } catch {
      return out;
    }
    const names = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]);
    for (const name of names) {
      // Walk up like Node's resolver does, so hoisted (workspace) installs are found too.
      let dir = options.root;
      for (let i = 0; i < 8; i++) {
        const v = versionAt(path.join(dir, 'node_modules', name));
        if (v) {
          out[name] = v;
          break;
        }
        const parent = path.dirname(dir);
        if (parent === dir) break;
        dir = parent;
      }
    }
    return out;
  }

  function collectLoaded(into: ModuleVersions): void {
    for (const file of Object.keys(cache)) {
      const at = file.lastIndexOf(NODE_MODULES);
      if (at < 0) continue;
      const rest = file.slice(at + NODE_MODULES.length).split(path.sep);
      const name = rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : rest[0];
      if (!name || name.startsWith('.') || into[name]) continue;
      const dir = file.slice(0, at + NODE_MODULES.length) + name.split('/').join(path.sep);
      const v = versionAt(dir);
      if (v) into[name] = v;
    }
  }

  return {
    /** The current name -> version map, frozen (the same object until something new was loaded). */
    get(): ModuleVersions {
      const now = Date.now();
      if (result && now - checkedAt < refreshMs) return result;
      checkedAt = now;
      const count = Object.keys(cache).length;
      if (result && count === seenCount) return result;
      seenCount = count;
      declared ??= collectDeclared();
      const next: ModuleVersions = { ...declared };
      collectLoaded(next);
      // Frozen: every event shares it, so the normalizer neither copies nor re-serializes it
      // (core/frozen-string-map.ts), and no processor can change it for later events by mistake.
      result = Object.freeze(sortKeys(next));
      return result;
    },
  };
}

function sortKeys(m: ModuleVersions): ModuleVersions {
  const out: ModuleVersions = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k]!;
  return out;
}

function defaultCache(): Record<string, unknown> {
  try {
    // Any absolute path works: the cache is shared by every require function.
    return createRequire(path.join(process.cwd(), 'index.js')).cache;
  } catch {
    return {};
  }
}
