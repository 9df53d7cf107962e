// What the source-map side remembers between events (the positions it resolved, how it described
// an original source) must give exactly what a fresh lookup gives, event after event, past its
// bounds, and must follow the client's in-app rules when the integration is set up again.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { transformSync } from 'esbuild';
import type { ClientLike, Event, StackFrame } from '../../src/core/types.js';
import { contextLinesIntegration } from '../../src/integrations/context-lines.js';
import { SourceFileCache } from '../../src/node/source-context.js';
import { SourceMapResolver } from '../../src/node/source-maps.js';

const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-map-memo-')));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A compiled file with an inline map of `lines` lines of TypeScript, each a function. */
function compiled(name: string, lines: number): string {
  const source = Array.from({ length: lines }, (_, i) => `export function fn${i}(a: number): number { const b: number = a * ${i}; return b + ${i}; }`).join('\n');
  const { code } = transformSync(source, { loader: 'ts', format: 'esm', sourcemap: 'inline', sourcefile: path.join(dir, `${name}.ts`) });
  const file = path.join(dir, `${name}.js`);
  fs.writeFileSync(file, code);
  return file;
}

describe('source-map memo', () => {
  test('remembered positions are the positions, whatever the order, past the bound', () => {
    const file = compiled('positions', 60);
    const memo = new SourceMapResolver(new SourceFileCache());
    const places: Array<[number, number | undefined]> = [];
    for (let line = 1; line <= 62; line++) for (let column = 0; column <= 80; column += 1) places.push([line, column === 0 ? undefined : column]);
    assert.ok(places.length > 4096, 'more places than one map remembers');
    for (let round = 0; round < 2; round++) {
      for (const [line, column] of places) {
        // A fresh resolver has nothing remembered: its answer is the map's own.
        const fresh = new SourceMapResolver(new SourceFileCache()).resolve(file, line, column);
        const remembered = memo.resolve(file, line, column);
        assert.deepEqual(remembered && { ...remembered, sourceLines: undefined }, fresh && { ...fresh, sourceLines: undefined }, `${line}:${column}`);
        assert.deepEqual(remembered?.sourceLines, fresh?.sourceLines);
      }
    }
  });

  test('mapped frames are the same event after event, and follow the in-app rules of each setup', () => {
    const file = compiled('app', 5);
    const integration = contextLinesIntegration();
    const client = (inAppExclude: string[]) => ({ getOptions: () => ({ projectRoot: dir, inAppInclude: [], inAppExclude }) }) as unknown as ClientLike;
    const event = (): Event => ({
      exception: { values: [{ type: 'Error', value: 'x', stacktrace: { frames: [2, 4].map((line): StackFrame => ({ abs_path: file, filename: 'app.js', lineno: line, colno: 30, in_app: true, function: 'fn' })) } }] },
    });
    const framesOf = (e: Event | null) => e!.exception!.values![0]!.stacktrace!.frames!;

    integration.setup!(client([]));
    const first = framesOf(integration.processEvent!(event(), {}, client([])) as Event);
    assert.equal(first[0]!.abs_path, path.join(dir, 'app.ts'));
    assert.equal(first[0]!.filename, 'app.ts');
    assert.equal(first[0]!.in_app, true);
    assert.match(first[0]!.context_line!, /\(a: number\): number/, 'the TypeScript source, from the map');
    for (let i = 0; i < 3; i++) assert.deepEqual(framesOf(integration.processEvent!(event(), {}, client([])) as Event), first);

    // Set up again with the module excluded from the app: the description follows the new rules.
    integration.setup!(client(['app']));
    const excluded = framesOf(integration.processEvent!(event(), {}, client(['app'])) as Event);
    assert.equal(excluded[0]!.in_app, false);
    assert.equal(excluded[0]!.abs_path, path.join(dir, 'app.ts'));
  });
});
