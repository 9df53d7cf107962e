#!/usr/bin/env node
// The `faultline` command: small tools for checking a setup.
import { sendTestEvent } from './test-event.js';

const HELP = `Usage: faultline <command> [options]

Commands:
  test-event [--dsn DSN]   Send one test event to a Sentry-compatible server and say whether it
                           was accepted, and why not when it was not. The DSN defaults to $SENTRY_DSN.

Options:
  -h, --help               Show this help.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(HELP);
    return command ? 0 : 1;
  }
  if (command !== 'test-event') {
    process.stderr.write(`faultline: unknown command "${command}"\n\n${HELP}`);
    return 2;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    process.stdout.write(HELP);
    return 0;
  }
  let dsn = process.env['SENTRY_DSN'];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--dsn') dsn = rest[++i];
    else if (arg.startsWith('--dsn=')) dsn = arg.slice('--dsn='.length);
    else {
      process.stderr.write(`faultline: unknown option "${arg}"\n\n${HELP}`);
      return 2;
    }
  }
  const result = await sendTestEvent(dsn);
  (result.ok ? process.stdout : process.stderr).write(`${result.message}\n`);
  return result.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`faultline: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
