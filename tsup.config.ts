import { defineConfig } from 'tsup';

// One bundled file per format keeps import cost low (few module files to load).
export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  target: 'node20',
  platform: 'node',
  splitting: false,
  sourcemap: false,
  clean: true,
  treeshake: true,
  // Bundled, not installed: @jridgewell/trace-mapping and its two helpers would be three more
  // packages and 0.5 MB on every install (most of it their own source maps and UMD builds), for
  // about 20 kB of code. Their MIT notices ship in THIRD-PARTY-NOTICES.md.
  noExternal: ['@jridgewell/trace-mapping', '@jridgewell/sourcemap-codec', '@jridgewell/resolve-uri'],
});
