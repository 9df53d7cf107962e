// What a frame's path tells: the project-relative filename, a dotted module name and whether the
// frame is the app's own. Computed once per distinct path by the frame parser (stacktrace.ts).
//
// Module names (decision, in the spirit of Sentry's Node SDK): directories joined by `.`, then `:`
// and the file name without its JS/TS extension.
//   <root>/src/app/user.js                        → src.app:user    (relative to the project root)
//   <root>/index.js                               → index
//   …/node_modules/express/lib/router/index.js    → express.lib.router:index  (after the last node_modules)
//   …/node_modules/@scope/pkg/x.js                → @scope.pkg:x
//   /opt/tools/run.js (outside the root)          → opt.tools:run   (the whole absolute path)
//   node:internal/…, native, <anonymous>          → no module
// `inAppInclude` / `inAppExclude` entries are module-name prefixes: `express` matches
// `express:index` and `express.lib.router:index`; a `/` in an entry is read as `.`, so `@scope/pkg`
// works as users write package names.

/** What a path tells us; computed once per distinct path and remembered. */
export interface PathInfo {
  absPath: string;
  filename: string;
  module: string | undefined;
  inApp: boolean;
}

const WINDOWS_DRIVE = /^[A-Za-z]:[\\/]/;
const SOURCE_EXTENSION = /\.(?:[cm]?js|[cm]?ts|jsx|tsx)$/;

export interface NormalizedRoot {
  /** With forward slashes and a trailing `/`, lowercased for Windows roots. */
  prefix: string;
  caseInsensitive: boolean;
}

export function normalizeRoot(root: string | undefined): NormalizedRoot | undefined {
  if (typeof root !== 'string' || root.length === 0) return undefined;
  let path = forwardSlashes(fromFileUrl(root));
  if (!path.endsWith('/')) path += '/';
  const caseInsensitive = WINDOWS_DRIVE.test(path) || path.startsWith('//');
  return { prefix: caseInsensitive ? path.toLowerCase() : path, caseInsensitive };
}

export interface Prefixes {
  exact: Set<string>;
  /** Each entry followed by `.` and by `:`, so `express` matches `express:index` but not `expressive:x`. */
  starts: string[];
}

export function compilePrefixes(list: string[] | undefined): Prefixes {
  const exact = new Set<string>();
  const starts: string[] = [];
  if (Array.isArray(list)) {
    for (const item of list) {
      if (typeof item !== 'string' || item.length === 0) continue;
      const prefix = item.replace(/[\\/]/g, '.');
      exact.add(prefix);
      starts.push(prefix + '.', prefix + ':');
    }
  }
  return { exact, starts };
}

function matchesPrefix(module: string, prefixes: Prefixes): boolean {
  if (prefixes.exact.has(module)) return true;
  for (const start of prefixes.starts) if (module.startsWith(start)) return true;
  return false;
}

export function classifyPath(rawPath: string, root: NormalizedRoot | undefined, include: Prefixes, exclude: Prefixes): PathInfo {
  const absPath = fromFileUrl(rawPath);
  // Node's own code (`node:internal/…`, old-style `internal/…`), `native`, `[eval]`: not the app's,
  // and no module name worth matching against.
  if (absPath.startsWith('node:') || !isAbsolute(absPath)) {
    return { absPath, filename: absPath, module: undefined, inApp: false };
  }

  const slashed = forwardSlashes(absPath);
  let relative: string | undefined;
  if (root !== undefined) {
    const comparable = root.caseInsensitive ? slashed.toLowerCase() : slashed;
    if (comparable.startsWith(root.prefix)) relative = slashed.slice(root.prefix.length);
  }

  const modulesAt = slashed.lastIndexOf('/node_modules/');
  let filename: string;
  let module: string;
  if (modulesAt >= 0) {
    filename = relative ?? slashed.slice(modulesAt + 1);
    module = moduleName(slashed.slice(modulesAt + '/node_modules/'.length));
  } else if (relative !== undefined) {
    filename = relative;
    module = moduleName(relative);
  } else {
    filename = absPath;
    module = moduleName(slashed.replace(/^(?:[A-Za-z]:)?\/+/, ''));
  }

  let inApp: boolean;
  if (matchesPrefix(module, include)) inApp = true;
  else if (modulesAt >= 0) inApp = false;
  else inApp = !matchesPrefix(module, exclude);
  return { absPath, filename, module, inApp };
}

/** `a/b/c.js` → `a.b:c`; `c.js` → `c`. */
function moduleName(relativePath: string): string {
  const slash = relativePath.lastIndexOf('/');
  const base = relativePath.slice(slash + 1).replace(SOURCE_EXTENSION, '');
  if (slash <= 0) return base;
  return relativePath.slice(0, slash).replace(/\/+/g, '.') + ':' + base;
}

function isAbsolute(path: string): boolean {
  const first = path.charCodeAt(0);
  // `/x`, `\\server\share`, `C:\x` or `C:/x`.
  return first === 47 || first === 92 || WINDOWS_DRIVE.test(path);
}

function forwardSlashes(path: string): string {
  return path.indexOf('\\') === -1 ? path : path.replace(/\\/g, '/');
}

/** `file:///a/b%20c.js` → `/a/b c.js`; `file:///C:/x.js` → `C:/x.js`; other strings unchanged. */
function fromFileUrl(path: string): string {
  if (!path.startsWith('file://')) return path;
  let rest = path.slice(7);
  // `file:///C:/x` has an empty host; drop the slash before a drive letter.
  if (/^\/[A-Za-z]:\//.test(rest)) rest = rest.slice(1);
  else if (!rest.startsWith('/')) rest = '//' + rest; // `file://host/share/x` → UNC `//host/share/x`
  if (rest.indexOf('%') === -1) return rest;
  try {
    return decodeURIComponent(rest);
  } catch {
    return rest; // a malformed escape: keep the path as it came
  }
}
