// Measures what stack intelligence costs a capture (not a test: `node --import tsx
// test/stack-intelligence/bench-capture.ts`). The transport is a no-op so only the synchronous
// capture path (parse, processors, normalize, envelope) is timed.
import * as faultline from '../../src/index.js';
import type { Integration, Transport } from '../../src/index.js';
import { contextLinesIntegration } from '../../src/integrations/context-lines.js';
import { localVariablesIntegration } from '../../src/integrations/local-variables.js';
import { catchFrom, validateOrder } from './fixtures/thrower.js';

const nullTransport = (): Transport => ({ send: () => true, isRateLimited: () => false, flush: async () => true });
const dsn = 'http://0123456789abcdef0123456789abcdef@127.0.0.1:9/1';

function start(integrations: Integration[], extra: faultline.Options = {}): void {
  faultline.init({ dsn, transport: nullTransport, defaultIntegrations: false, integrations, ...extra });
}

function microsPer(n: number, fn: (i: number) => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

const N = 2000;
const errors = Array.from({ length: N }, (_, i) => catchFrom(() => validateOrder(100 + i)));

start([]);
microsPer(200, (i) => faultline.captureException(errors[i]));
const base = microsPer(N, (i) => faultline.captureException(errors[i]));

let cold = 0;
for (let r = 0; r < 20; r++) {
  start([contextLinesIntegration()]);
  cold += microsPer(1, () => faultline.captureException(errors[r]));
}
cold /= 20;
start([contextLinesIntegration()]);
microsPer(200, (i) => faultline.captureException(errors[i]));
const warm = microsPer(N, (i) => faultline.captureException(errors[i]));

// Local variables: the cost is in the throw (the debugger pauses there), so time throw + capture.
const throwAndCapture = (i: number) => faultline.captureException(catchFrom(() => validateOrder(100 + i)));
const throwOnly = (i: number) => void catchFrom(() => validateOrder(100 + i));
start([localVariablesIntegration()]);
microsPer(200, throwAndCapture);
const varsOff = microsPer(N, throwAndCapture);
const throwOff = microsPer(N, throwOnly);
start([localVariablesIntegration({ maxExceptionsPerSecond: 1e9 })], { includeLocalVariables: true });
microsPer(200, throwAndCapture);
const varsOn = microsPer(N, throwAndCapture);
const throwOn = microsPer(N, throwOnly);
await faultline.close(0);

const f = (x: number) => `${x.toFixed(1)} µs`;
console.log(`capture, no stack intelligence:        ${f(base)}`);
console.log(`capture + source context, cold cache:  ${f(cold)}  (first event: stat + read of each in-app file)`);
console.log(`capture + source context, warm cache:  ${f(warm)}`);
console.log(`throw + capture, includeLocalVariables off: ${f(varsOff)}`);
console.log(`throw + capture, includeLocalVariables on:  ${f(varsOn)}`);
console.log(`throw + catch only (no capture), locals off: ${f(throwOff)}, on: ${f(throwOn)}`);
