import { defineConfig, type Options } from 'tsup';

// One bundled file per format keeps import cost low (few module files to load). The CLI is run
// through package.json "bin" (dist/cli.js) and never required, so it is built as ESM only: a
// CommonJS copy was 19 kB of every install for nothing.
const shared = {
  target: 'node20',
  platform: 'node',
  splitting: false,
  sourcemap: false,
  treeshake: true,
  // Bundled, not installed: @jridgewell/trace-mapping and its two helpers would be three more
  // packages and 0.5 MB on every install (most of it their own source maps and UMD builds), for
  // about 20 kB of code. Their MIT notices ship in THIRD-PARTY-NOTICES.md.
  // ASCII strings: one character outside Latin-1 anywhere in the bundle makes V8 keep the whole
  // 330 kB source as UTF-16, twice the memory, in every process that loads it. (Comments that
  // esbuild keeps are not escaped: test/package/pack.test.ts checks the bundles.)
  esbuildOptions(options) {
    options.charset = 'ascii';
  },
  // Syntax only (`void 0`, folded constants, dead branches out, shorter conditionals): names and
  // line breaks stay, so a stack trace through faultline still reads. About 6% of each bundle,
  // 52 kB of every install, which is held to 1 MiB.
  minifySyntax: true,
  noExternal: ['@jridgewell/trace-mapping', '@jridgewell/sourcemap-codec', '@jridgewell/resolve-uri'],
} satisfies Options;

export default defineConfig([
  // The two builds run at once: only the first cleans dist/, and it leaves the second's file alone.
  { ...shared, entry: { index: 'src/index.ts' }, format: ['esm', 'cjs'], dts: { entry: { index: 'src/index.ts' } }, clean: ['!cli.js'] },
  { ...shared, entry: { cli: 'src/cli/main.ts' }, format: ['esm'], clean: false },
]);
