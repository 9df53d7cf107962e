#!/usr/bin/env node
// Tracing overhead, faultline vs @sentry/node, side by side. `node bench/tracing.mjs [--runs N]`
// Every figure comes from a fresh child process (this file with `--child`), drivers interleaved
// per run, sending to a loopback sink (bench/sink.mjs); medians over the runs, one markdown table.
//   span       startSpan root + one child, tracing on (tracesSampleRate 1): ns per pair
//   span-off   the same calls with tracing off (no rate, no sampler): ns per pair
//   http       an instrumented request: node:http server + fetch on 127.0.0.1, sequential: µs each
// faultline is loaded from ../dist/index.js (env FAULTLINE_DIST overrides), so build first.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, runBenchChild } from './harness.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(benchDir);
// Enough iterations that JIT warm-up does not dominate; tracing on sends a transaction per pair.
const ITERATIONS = { span: 3000, 'span-off': 100000, http: 400 };
const WARMUP = { span: 500, 'span-off': 20000, http: 50 };

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4], process.argv[5]);
else await parent();

// ---- child: one driver, one scenario --------------------------------------------------------------

async function loadDriver(driver, dsn, tracing) {
  if (driver === 'bare') {
    return { startSpan: (_o, cb) => cb(), flush: async () => true };
  }
  if (driver === 'faultline') {
    const dist = process.env.FAULTLINE_DIST ?? path.join(repoRoot, 'dist', 'index.js');
    const fl = await import(pathToFileURL(dist).href);
    if (typeof fl.startSpan !== 'function') throw new Error(`${dist} has no startSpan: export the tracing API from src/index.ts and build`);
    // Added by name: a default of the same name is replaced, so this works before and after the wiring.
    const integrations = [fl.httpServerTracingIntegration?.(), fl.httpClientTracingIntegration?.()].filter(Boolean);
    fl.init({ dsn, integrations, ...(tracing ? { tracesSampleRate: 1 } : {}) });
    return { startSpan: fl.startSpan, flush: fl.flush };
  }
  const Sentry = await import('@sentry/node');
  Sentry.init({ dsn, ...(tracing ? { tracesSampleRate: 1 } : {}) });
  return { startSpan: Sentry.startSpan, flush: Sentry.flush };
}

async function child(driverName, scenario, dsn) {
  const driver = await loadDriver(driverName, dsn, scenario !== 'span-off');
  const result = scenario === 'http' ? await httpScenario(driver) : spanScenario(driver, scenario);
  await driver.flush(5000);
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

function spanScenario(driver, scenario) {
  const pair = () => driver.startSpan({ name: 'bench root', op: 'task' }, () => driver.startSpan({ name: 'bench child', op: 'function' }, () => 1));
  for (let i = 0; i < WARMUP[scenario]; i++) pair();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS[scenario]; i++) pair();
  return { value: Number(process.hrtime.bigint() - t0) / ITERATIONS[scenario] };
}

async function httpScenario() {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/items/1`;
  const once = async () => (await fetch(url)).text();
  for (let i = 0; i < WARMUP.http; i++) await once();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS.http; i++) await once();
  const value = Number(process.hrtime.bigint() - t0) / ITERATIONS.http / 1000;
  server.closeAllConnections();
  server.close();
  return { value };
}

// ---- parent: runs, medians, the table ----------------------------------------------------------------

async function parent() {
  const args = process.argv.slice(2);
  const runsArg = args.indexOf('--runs');
  const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : 3;
  const dist = process.env.FAULTLINE_DIST ?? path.join(repoRoot, 'dist', 'index.js');
  if (!fs.existsSync(dist)) {
    process.stderr.write(`${dist} is missing: run \`npm run build\` at the repository root first.\n`);
    process.exit(1);
  }
  const { startSink } = await import('./sink.mjs');
  const sink = await startSink();
  let project = 1;
  const results = {};
  const started = Date.now();
  const scenarios = [['span', ['faultline', 'sentry', 'bare']], ['span-off', ['faultline', 'sentry', 'bare']], ['http', ['faultline', 'sentry', 'bare']]];
  for (let run = 1; run <= runs; run++) {
    for (const [scenario, drivers] of scenarios) {
      for (const driver of drivers) {
        const id = project++;
        const dsn = `http://${id.toString(16).padStart(32, '0')}@127.0.0.1:${sink.port}/${id}`;
        const { value } = await runChild(driver, scenario, dsn);
        ((results[scenario] ??= {})[driver] ??= []).push(value);
      }
    }
    process.stderr.write(`run ${run}/${runs} done (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  }
  await sink.close();
  printTable(results, runs);
}

function runChild(driver, scenario, dsn) {
  return runBenchChild({
    args: [fileURLToPath(import.meta.url), '--child', driver, scenario, dsn],
    cwd: repoRoot,
    label: `${driver}/${scenario}`,
    timeoutMs: 60000,
  }).then(({ result }) => result);
}

function printTable(results, runs) {
  const fmt = (v) => (v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
  const ratio = (a, b) => (a === undefined || b === undefined ? '—' : `${(a / b).toFixed(2)}×`);
  const rows = [
    ['span', 'startSpan root + child, tracing on', 'ns / pair'],
    ['span-off', 'startSpan root + child, tracing off', 'ns / pair'],
    ['http', 'fetch → node:http server, 127.0.0.1', 'µs / request'],
  ];
  const lines = [
    `Tracing overhead, medians of ${runs} runs (${os.cpus().length} cores, Node ${process.version}); lower is better.`,
    '',
    '| scenario | unit | no SDK | faultline | @sentry/node | @sentry/node ÷ faultline |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const [key, label, unit] of rows) {
    const m = Object.fromEntries(Object.entries(results[key] ?? {}).map(([d, v]) => [d, median(v)]));
    lines.push(`| ${label} | ${unit} | ${fmt(m.bare)} | ${fmt(m.faultline)} | ${fmt(m.sentry)} | ${ratio(m.sentry, m.faultline)} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
