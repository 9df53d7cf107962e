#!/usr/bin/env node
// Thin launcher: the real CLI lives in the built bundle (run `npm run build -w collector` first).
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number' && code !== 0) process.exitCode = code;
  },
  (error) => {
    console.error(`faultline-collector: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
