import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DB_PATH, DEFAULT_PORT, startCollector } from './index.js';
import { Store } from './store/store.js';

const HELP = `faultline-collector — a small Sentry-compatible ingest server with a web page

Usage:
  faultline-collector [--port 8969] [--host 127.0.0.1] [--db PATH] [--quiet]
  faultline-collector --add-project NAME [--db PATH] [--port 8969] [--host 127.0.0.1]

Options:
  --port N            port to listen on (default ${DEFAULT_PORT}; 0 = any free port)
  --host HOST         interface to bind (default 127.0.0.1; 0.0.0.0 exposes it to the network)
  --db PATH           SQLite database file (default ${DEFAULT_DB_PATH}; ":memory:" keeps nothing)
  --add-project NAME  create a project with its own key, print its DSN, and exit
  --quiet             no request log
  -h, --help          this text

Point an SDK at the printed DSN (Sentry SDKs work too) and open the printed URL.`;

/** Runs the command line; resolves with the exit code (a running server keeps the process alive). */
export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        db: { type: 'string' },
        'add-project': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a number from 0 to 65535, got "${values.port}"`);
    return 2;
  }
  const host = values.host ?? '127.0.0.1';
  const dbPath = values.db ?? DEFAULT_DB_PATH;

  if (values['add-project'] !== undefined) {
    const name = values['add-project'].trim();
    if (!name) {
      console.error('--add-project needs a name');
      return 2;
    }
    const store = new Store({ path: dbPath === ':memory:' ? dbPath : resolve(dbPath) });
    try {
      store.projects.ensureDefault();
      const project = store.projects.findByName(name) ?? store.projects.create(name);
      console.log(`project "${project.name}" (id ${project.id})`);
      console.log(`DSN: http://${project.publicKey}@${host}:${port}/${project.id}`);
    } finally {
      store.close();
    }
    return 0;
  }

  const collector = await startCollector({ port, host, dbPath, quiet: values.quiet });
  console.log(`faultline collector listening on ${collector.url}`);
  console.log(`  page: ${collector.url}`);
  console.log(`  DSN:  ${collector.dsn}`);
  console.log(`  db:   ${dbPath === ':memory:' ? dbPath : resolve(dbPath)}`);
  for (const project of collector.store.projects.list().filter((p) => p.id !== 1)) {
    console.log(`  DSN (${project.name}): http://${project.publicKey}@${new URL(collector.url).host}/${project.id}`);
  }
  const stop = (): void => {
    void collector.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return 0;
}
