import { defineConfig } from 'tsup';

// The collector is a Node-only ESM package; the page's assets are plain files copied by scripts/copy-web.mjs.
export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  target: 'node20',
  platform: 'node',
  splitting: true,
  sourcemap: false,
  clean: true,
  external: ['better-sqlite3'],
});
