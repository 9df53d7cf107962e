// Copies the page's static assets (plain JS + CSS + HTML, no build step) next to the bundled server code.
import { cpSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../src/web/assets/', import.meta.url));
const to = fileURLToPath(new URL('../dist/web/assets/', import.meta.url));
mkdirSync(to, { recursive: true });
cpSync(from, to, { recursive: true });
