// The SDK's own diagnostics. Off unless `debug: true`; written straight to the error stream with a
// prefix, never through a patched console, so they are never recorded as breadcrumbs (SPEC.md 15).

type Sink = (line: string) => void;

let enabled = false;
let sink: Sink = defaultSink;

function defaultSink(line: string): void {
  // `process.stderr` exists in Node; elsewhere fall back to the console the runtime has.
  const proc = (globalThis as { process?: { stderr?: { write(s: string): unknown } } }).process;
  if (proc?.stderr) proc.stderr.write(line + '\n');
  else (globalThis as { console?: { error(s: string): void } }).console?.error(line);
}

export const debugLog = {
  setEnabled(on: boolean): void {
    enabled = on;
  },
  isEnabled(): boolean {
    return enabled;
  },
  /** Replace where lines go (tests). */
  setSink(fn: Sink | undefined): void {
    sink = fn ?? defaultSink;
  },
  log(message: string, detail?: unknown): void {
    if (enabled) write('', message, detail);
  },
  warn(message: string, detail?: unknown): void {
    if (enabled) write('warning: ', message, detail);
  },
  error(message: string, detail?: unknown): void {
    if (enabled) write('error: ', message, detail);
  },
};

function write(kind: string, message: string, detail: unknown): void {
  try {
    let line = `[faultline] ${kind}${message}`;
    if (detail !== undefined) line += `: ${describe(detail)}`;
    sink(line);
  } catch {
    // Diagnostics must never break the app.
  }
}

function describe(detail: unknown): string {
  try {
    if (detail instanceof Error) return detail.stack ?? `${detail.name}: ${detail.message}`;
    return typeof detail === 'string' ? detail : JSON.stringify(detail);
  } catch {
    return String(Object.prototype.toString.call(detail));
  }
}
