// Source context: the lines around in-app frames, from a bounded cache that reads each file once.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as faultline from '../../src/index.js';
import { contextLinesIntegration } from '../../src/integrations/context-lines.js';
import { applyContextLines, SourceFileCache, trimLine } from '../../src/node/source-context.js';
import { useSentryServer } from '../helpers/sdk-harness.js';
import { sentEvents } from '../helpers/flushed.js';
import { catchFrom, validateOrder } from './fixtures/thrower.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const throwerFile = path.join(here, 'fixtures/thrower.ts');
const throwLine = fs.readFileSync(throwerFile, 'utf8').split('\n').findIndex((l) => l.includes('CONTEXT-THROW')) + 1;

const server = useSentryServer({ beforeEach: ['resetScopes', 'clearEnvelopes'] });

const sent = () => sentEvents(server, 3000);

function frameIn(event: any, file: string): any {
  return event.exception.values.at(-1).stacktrace.frames.findLast((f: any) => f.abs_path === file);
}

describe('source context end to end', () => {
  test('in-app frames carry 5 lines before and after; a flood of errors reads the file once', async () => {
    const files = new SourceFileCache();
    faultline.init({ dsn: server.dsn, integrations: [contextLinesIntegration({ files })] });
    const count = 30;
    for (let i = 0; i < count; i++) {
      // Distinct messages so dedupe keeps them all.
      assert.ok(faultline.captureException(catchFrom(() => validateOrder(11 + i))));
    }
    const events = await sent();
    assert.equal(events.length, count);
    for (const event of events) {
      const frame = frameIn(event, throwerFile);
      assert.equal(frame.lineno, throwLine);
      assert.match(frame.context_line, /throw new Error\(`quantity/);
      assert.deepEqual(frame.pre_context, [
        '// Throws from a known line so the source-context tests can check the lines around it.',
        'export function validateOrder(quantity: number): void {',
        '  const limit = 10;',
        '  if (quantity > limit) {',
        '    // A comment line before the throw.',
      ]);
      assert.equal(frame.post_context.length, 5);
      assert.equal(frame.post_context[0], '  }');
      // Frames outside the app (node: internals) get none.
      for (const f of event.exception.values.at(-1).stacktrace.frames) {
        if (f.in_app === false) assert.equal(f.context_line, undefined);
      }
    }
    // Every file the stack touched was read once, however many events came from it.
    const touched = new Set(events[0].exception.values.at(-1).stacktrace.frames.filter((f: any) => f.in_app).map((f: any) => f.abs_path));
    assert.ok(touched.has(throwerFile));
    assert.equal(files.reads, touched.size, `one read per file for ${count} events`);
  });

  test('includeSourceContext: false sends no context', async () => {
    faultline.init({ dsn: server.dsn, includeSourceContext: false, integrations: [contextLinesIntegration()] });
    faultline.captureException(catchFrom(() => validateOrder(99)));
    const [event] = await sent();
    const frame = frameIn(event, throwerFile);
    assert.equal(frame.lineno, throwLine);
    assert.equal(frame.context_line, undefined);
    assert.equal(frame.pre_context, undefined);
  });
});

describe('SourceFileCache', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-ctx-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('remembers unreadable files, so a missing file costs one check', () => {
    const cache = new SourceFileCache();
    const missing = path.join(dir, 'missing.js');
    assert.equal(cache.getLines(missing), undefined);
    assert.equal(cache.getLines(missing), undefined);
    assert.equal(cache.reads, 1);
    assert.equal(cache.getLines(dir), undefined, 'a directory is not a source file');
  });

  test('is bounded by file count and by total size, least recently used first', () => {
    const cache = new SourceFileCache({ maxFiles: 2, maxTotalChars: 1000 });
    const file = (name: string, text: string) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, text);
      return p;
    };
    const a = file('a.js', 'a\r\nb\n');
    const b = file('b.js', 'x');
    const c = file('c.js', 'y');
    assert.deepEqual(cache.getLines(a), ['a', 'b', '']);
    cache.getLines(b);
    cache.getLines(a); // a is now the most recent
    cache.getLines(c); // evicts b
    assert.equal(cache.size, 2);
    const reads = cache.reads;
    cache.getLines(a);
    assert.equal(cache.reads, reads, 'a stayed cached');
    cache.getLines(b);
    assert.equal(cache.reads, reads + 1, 'b was evicted and is read again');
    const big = file('big.js', 'z'.repeat(2000));
    assert.equal(cache.getLines(big), undefined, 'a file over the total budget is not kept');
    const small = new SourceFileCache({ maxFileBytes: 10 });
    assert.equal(small.getLines(big), undefined, 'a file over the size cap is not read');
  });

  test('context lines stop at the file edges', () => {
    const lines = ['l1', 'l2', 'l3'];
    const frame: any = { lineno: 1 };
    applyContextLines(frame, lines);
    assert.deepEqual(frame, { lineno: 1, pre_context: [], context_line: 'l1', post_context: ['l2', 'l3'] });
    const past: any = { lineno: 9 };
    applyContextLines(past, lines);
    assert.deepEqual(past, { lineno: 9 }, 'a line past the end (the file changed) adds nothing');
  });

  test('long lines are trimmed around the column', () => {
    const line = 'a'.repeat(300) + 'THROW' + 'b'.repeat(300);
    const trimmed = trimLine(line, 301);
    assert.ok(trimmed.includes('THROW'));
    assert.ok(trimmed.startsWith('{snip} ') && trimmed.endsWith(' {snip}'));
    assert.equal(trimmed.length, 140 + 2 * ' {snip}'.length);
    assert.match(trimmed, /^[\x20-\x7e]*$/, 'an ASCII marker keeps the serialized event a one-byte string');
    assert.equal(trimLine(line, undefined).slice(0, 3), 'aaa', 'no column: the start is kept');
    assert.ok(trimLine(line, 605).endsWith('b'), 'a column near the end keeps the end');
    assert.equal(trimLine('short', 3), 'short');
  });

  test('cut lines are remembered per line and column, and each is the cut of its own column', () => {
    // A minified file: frames on one long line at different columns, and long lines around it.
    const lines = Array.from({ length: 9 }, (_, i) => `L${i}:` + 'x'.repeat(400) + `<${i}>` + 'y'.repeat(400));
    const expected = (column: number | undefined, max = 140) => (frame: any) => {
      const at = frame.lineno - 1;
      assert.equal(frame.context_line, trimLine(lines[at]!, column, max));
      assert.deepEqual(frame.pre_context, lines.slice(Math.max(0, at - 5), at).map((l) => trimLine(l, column, max)));
      assert.deepEqual(frame.post_context, lines.slice(at + 1, at + 6).map((l) => trimLine(l, column, max)));
    };
    for (let round = 0; round < 3; round++) {
      for (const column of [1, 200, 406, 700, undefined, 0]) {
        const frame: any = { lineno: 5, colno: column };
        applyContextLines(frame, lines);
        expected(column)(frame);
        const narrow: any = { lineno: 5, colno: column };
        applyContextLines(narrow, lines, 5, 60);
        expected(column, 60)(narrow);
      }
    }
    // More places than are remembered per file: the answers stay right after the memory is reset.
    for (let column = 1; column < 820; column++) {
      const frame: any = { lineno: 1 + (column % 9), colno: column };
      applyContextLines(frame, lines);
      expected(column)(frame);
    }
  });
});
