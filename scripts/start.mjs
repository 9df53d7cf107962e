// `npm start`: build what is needed, start the local collector, run the demo app against it,
// and leave the collector running with its page open for inspection (Ctrl-C to stop).
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.FAULTLINE_COLLECTOR_PORT) || 8969;

console.log('building faultline and the collector…');
const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const { startCollector } = await import(pathToFileURL(path.join(root, 'collector/dist/index.js')).href);
let collector;
try {
  collector = await startCollector({ port, dbPath: path.join(root, '.faultline/collector.db'), quiet: true });
} catch (err) {
  console.error(`could not start the collector on port ${port}: ${err.message}`);
  console.error('set FAULTLINE_COLLECTOR_PORT to use another port');
  process.exit(1);
}
console.log(`collector listening: ${collector.url}  (DSN ${collector.dsn})`);

console.log('running the demo app (examples/demo-app)…');
const demo = spawn(process.execPath, [path.join(root, 'examples/demo-app/app.mjs')], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FAULTLINE_COLLECTOR: '1', FAULTLINE_COLLECTOR_PORT: String(collector.port) },
});
demo.on('exit', (code) => {
  console.log(`\nthe demo app exited with code ${code}${code === 1 ? ' (its unhandled rejection, as Node does it)' : ''}`);
  console.log(`\n  open the collector's page:  ${collector.url}\n`);
  console.log('the collector keeps running; press Ctrl-C to stop it.');
});

const stop = () => collector.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
