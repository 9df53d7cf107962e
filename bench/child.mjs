// One scenario for one driver in a fresh process. Usage: node child.mjs <driver> <scenario> <dsn> <iterations>
// Prints one line `BENCH_RESULT <json>` and then exits on its own (the parent notes it if it does not).
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { median } from './median.mjs';

const [driverName, scenario, dsn, iterationsArg] = process.argv.slice(2);
const iterations = Number(iterationsArg);
const benchDir = path.dirname(fileURLToPath(import.meta.url));
const driverUrl = new URL(`./drivers/${driverName}.mjs`, import.meta.url).href;
const tick = () => new Promise((resolve) => setImmediate(resolve));

let serial = 0;
// Ten frames deep, like an error from the middle of an application.
function thrower(depth) {
  if (depth <= 1) throw new Error(`bench failure ${serial++}`);
  return thrower(depth - 1);
}
// With BENCH_STACKS=rotating, errors come from twenty throw sites in turn, so no two errors in a
// row share a stack trace: what an SDK pays when it cannot reuse anything from the errors before
// (faultline remembers the last sixteen stack traces; twenty in turn never find theirs).
const rotating = process.env.BENCH_STACKS === 'rotating';
const fail = () => { throw new Error(`bench failure ${serial++}`); };
// Twenty call sites, ten to a line: each at its own line and column, so each gives its own stack.
// prettier-ignore
const sites = [
  () => fail(), () => fail(), () => fail(), () => fail(), () => fail(), () => fail(), () => fail(), () => fail(), () => fail(), () => fail(),
  () => fail(), () => fail(), () => fail(), () => fail(), () => fail(), () => fail(), () => fail(), () => fail(), () => fail(), () => fail(),
];
let nextSite = 0;
// With BENCH_STACKS=minified, errors come from minified-thrower.mjs: code shaped like a bundle,
// whose long lines each SDK that sends source context must cut around the frame's column.
const minified = process.env.BENCH_STACKS === 'minified' ? await import('./minified-thrower.mjs') : undefined;
function throwerAt(depth, site) {
  if (depth <= 1) return sites[site]();
  return throwerAt(depth - 1, site);
}
function makeError() {
  if (minified) return minified.makeError();
  try {
    if (rotating) return throwerAt(9, nextSite++ % sites.length);
    return thrower(10);
  } catch (err) {
    return err;
  }
}

async function loadDriver() {
  const t0 = performance.now();
  const driver = await import(driverUrl);
  driver.init(dsn);
  const importInitMs = performance.now() - t0;
  return { driver, importInitMs, sinceProcessStartMs: performance.now() };
}

function report(result) {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

async function cold() {
  const { importInitMs, sinceProcessStartMs } = await loadDriver();
  const { rss, heapUsed } = process.memoryUsage();
  report({ importInitMs, sinceProcessStartMs, rss, heapUsed });
}

async function modules() {
  await loadDriver();
  await new Promise((resolve) => setTimeout(resolve, 100)); // let the loader thread's messages arrive
  const files = new Set();
  for (const url of globalThis.__benchEsmFiles ?? []) files.add(fileURLToPath(url));
  for (const file of Object.keys(createRequire(import.meta.url).cache)) files.add(file);
  // The benchmark's own files are not counted; an SDK installed under bench/node_modules is.
  const own = (f) => f.startsWith(benchDir + path.sep) && !f.includes(`${path.sep}node_modules${path.sep}`);
  const counted = [...files].filter((f) => !own(f));
  report({ files: counted.length });
}

/**
 * µs on the caller's tick, timing each call alone and yielding now and then so delivery can
 * progress: the mean (what the target is set on) and the median call (the typical one; the mean
 * also carries the few calls during which V8 compiles or the thread waits for a core).
 */
async function timeCalls(n, call) {
  const each = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    call(i);
    const took = performance.now() - t;
    each[i] = took;
    total += took;
    if (i % 20 === 19) await tick();
  }
  return { mean: (total * 1000) / n, median: median(each) * 1000 };
}

async function capture() {
  const { driver } = await loadDriver();
  const warm = 200;
  for (let i = 0; i < warm; i++) {
    driver.captureException(makeError());
    driver.captureMessage(`warm-up ${i}`);
    if (i % 20 === 19) await tick();
  }
  await driver.flush(30000);
  // Errors are made beforehand: the timed part is only the capture call (which pays for reading err.stack).
  const errors = Array.from({ length: iterations }, makeError);
  const exception = await timeCalls(iterations, (i) => driver.captureException(errors[i]));
  await driver.flush(30000);
  const message = await timeCalls(iterations, (i) => driver.captureMessage(`bench message ${i}`));
  await driver.flush(30000);
  // The same calls twice more, the third pass reported: by then V8 has grown the young generation
  // to what this pattern needs (it grows with what survives its collections), and the pages of its
  // larger semi-spaces have been written once. A process pays that growth once in its life;
  // @sentry/node's has paid it during its import, faultline's pays it in the first two passes.
  let steady;
  for (let pass = 0; pass < 2; pass++) {
    const again = Array.from({ length: iterations }, makeError);
    steady = await timeCalls(iterations, (i) => driver.captureException(again[i]));
    await driver.flush(30000);
  }
  await driver.close(10000);
  report({
    exceptionUs: exception.mean, exceptionMedianUs: exception.median, messageUs: message.mean,
    exceptionSteadyUs: steady.mean, exceptionSteadyMedianUs: steady.median, events: warm * 2 + iterations * 4,
  });
}

const cpuMicros = (u) => u.user + u.system;
const BATCH = 25;

/** `n` errors captured in batches of 25 with a flush after each: paced so no SDK drops any. */
async function captureAndFlush(driver, n) {
  for (let i = 0; i < n; i += BATCH) {
    for (let j = 0; j < BATCH; j++) driver.captureException(makeError());
    await driver.flush(30000);
  }
}

/** Process CPU per event over `n` paced events, less the same loop without the SDK. */
async function cpuPerEvent(driver, n) {
  const b0 = process.cpuUsage();
  for (let i = 0; i < n; i += BATCH) {
    for (let j = 0; j < BATCH; j++) makeError();
    await tick();
  }
  const baseline = cpuMicros(process.cpuUsage(b0));
  const c0 = process.cpuUsage();
  await captureAndFlush(driver, n); // every event's whole cost is counted
  const measured = cpuMicros(process.cpuUsage(c0));
  return { cpuPerEventUs: (measured - baseline) / n, baselinePerEventUs: baseline / n };
}

async function cpu() {
  const { driver } = await loadDriver();
  await captureAndFlush(driver, 100);
  const result = await cpuPerEvent(driver, iterations);
  await driver.close(10000);
  report({ ...result, events: 100 + iterations });
}

// CPU per event when errors come one at a time, 1 ms apart, as from a server where one request
// in many fails: each is sent on its own (and in faultline, written to its own outbox file),
// where the scenario above captures 25 at a time. After 100 paced the same way.
async function oneAtATime() {
  const { driver } = await loadDriver();
  const pause = () => new Promise((resolve) => setTimeout(resolve, 1));
  for (let i = 0; i < 100; i++) {
    driver.captureException(makeError());
    await pause();
  }
  await driver.flush(30000);
  const b0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) {
    makeError();
    await pause();
  }
  const baseline = cpuMicros(process.cpuUsage(b0));
  const c0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) {
    driver.captureException(makeError());
    await pause();
  }
  await driver.flush(30000);
  const measured = cpuMicros(process.cpuUsage(c0));
  await driver.close(10000);
  report({ cpuPerEventUs: (measured - baseline) / iterations, events: 100 + iterations });
}

// The CPU per event and the caller's tick once V8 has compiled each SDK's hot code: after
// BENCH_WARMUP events (4,000 by default; the figures stop falling between 4,000 and 8,000). The
// two scenarios above start after 100 and 200 events, so their figures also carry the JIT's
// one-time work (compiling to bytecode, then optimizing), shared out over the events measured:
// measured on 2026-11-27, two to three fifths of each driver's CPU per event over 2,000 events.
async function warm() {
  const { driver } = await loadDriver();
  const warmup = Number(process.env.BENCH_WARMUP ?? 4000);
  await captureAndFlush(driver, warmup);
  const result = await cpuPerEvent(driver, iterations);
  const errors = Array.from({ length: iterations }, makeError);
  const exception = await timeCalls(iterations, (i) => driver.captureException(errors[i]));
  await driver.flush(30000);
  await driver.close(10000);
  report({ ...result, exceptionUs: exception.mean, events: warmup + 2 * iterations });
}

async function flood() {
  const { driver } = await loadDriver();
  const afterInit = process.memoryUsage();
  let peakSampled = afterInit.rss;
  // rss() alone: the full memoryUsage() walks the heap's statistics, about 0.1 ms a call, which the sampler
  // would add to every driver's flood in proportion to how long it runs.
  const sampler = setInterval(() => { peakSampled = Math.max(peakSampled, process.memoryUsage.rss()); }, 5);
  const floodStart = Date.now();
  const cpu0 = process.cpuUsage();
  let ids = 0;
  for (let i = 0; i < iterations; i++) if (driver.captureException(makeError())) ids++;
  const loopMs = Date.now() - floodStart;
  peakSampled = Math.max(peakSampled, process.memoryUsage.rss());
  const flushed = await driver.flush(120000);
  const flushMs = Date.now() - floodStart;
  const floodCpuUs = cpuMicros(process.cpuUsage(cpu0));
  const afterFlood = process.memoryUsage();
  await driver.close(10000);
  clearInterval(sampler);
  // The interval cannot fire during the synchronous loop, so maxRSS (the kernel's high-water mark) backs it up.
  const peakRss = Math.max(peakSampled, process.resourceUsage().maxRSS * 1024);
  report({
    floodStart, loopMs, flushMs, floodCpuUs, flushed, ids,
    rssAfterInit: afterInit.rss, heapAfterInit: afterInit.heapUsed,
    rssAfterFlood: afterFlood.rss, heapAfterFlood: afterFlood.heapUsed, peakRss, peakSampled,
  });
}

const scenarios = { cold, modules, capture, cpu, 'one-at-a-time': oneAtATime, warm, flood };
await scenarios[scenario]();
