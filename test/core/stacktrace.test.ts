import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createFrameParser, parseStack, MAX_STACK_FRAMES } from '../../src/core/stacktrace.js';
import type { StackFrame } from '../../src/core/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '../..');
const fixtures = createRequire(import.meta.url)('./fixtures-stack/shapes.cjs') as Record<string, unknown>;
const fixtureFile = fixtures.fixtureFile as string;
const fixtureRelative = 'test/core/fixtures-stack/shapes.cjs';
const fixtureModule = 'test.core.fixtures-stack:shapes';
const stackFrom = (name: string): string => (fixtures[name] as () => string)();

const parser = createFrameParser({ root: projectRoot });

/** The crashing frame is the last one (oldest call first). */
const top = (frames: StackFrame[]): StackFrame => frames[frames.length - 1]!;

test('a constructor frame keeps `new`, and frames come oldest first', () => {
  const frames = parser.parse(stackFrom('constructorStack'));
  assert.deepEqual(top(frames), {
    filename: fixtureRelative,
    abs_path: fixtureFile,
    function: 'new Widget',
    module: fixtureModule,
    lineno: 16,
    colno: 11,
    in_app: true,
  });
  // The caller of the constructor comes right before it, the test module further up.
  assert.equal(frames[frames.length - 2]!.function, '?');
  assert.equal(frames[frames.length - 3]!.function, 'stackOf');
  const ownTestFrame = frames.findIndex((f) => f.abs_path === fileURLToPath(import.meta.url));
  assert.ok(ownTestFrame >= 0 && ownTestFrame < frames.length - 3, 'the test file calls the fixture, so it is older');
});

test('an `[as alias]` suffix is split off the function name and kept in raw_function', () => {
  const frame = top(parser.parse(stackFrom('aliasStack')));
  assert.equal(frame.function, 'Service.realName');
  assert.equal(frame.raw_function, 'Service.realName [as handle]');
  assert.equal(frame.lineno, 22);
});

test('anonymous frames get `?`, and built-ins without a location are not in-app', () => {
  const frames = parser.parse(stackFrom('anonymousStack'));
  assert.deepEqual(top(frames), {
    filename: fixtureRelative,
    abs_path: fixtureFile,
    function: '?',
    module: fixtureModule,
    lineno: 32,
    colno: 13,
    in_app: true,
  });
  assert.deepEqual(frames[frames.length - 2], { function: 'Array.forEach', in_app: false });
  // With source maps on, Node prints unnamed functions as `<anonymous>`; `new Promise (<anonymous>)` has no file.
  const mapped = parser.parse('Error\n    at <anonymous> (/a/b.js:1:2)\n    at new Promise (<anonymous>)');
  assert.deepEqual(mapped.map((f) => [f.function, f.abs_path]), [
    ['new Promise', undefined],
    ['?', '/a/b.js'],
  ]);
});

test('eval frames point at the real file where eval was called', () => {
  const frames = parser.parse(stackFrom('evalStack'));
  const evalLine = 36;
  assert.deepEqual(top(frames), {
    filename: fixtureRelative,
    abs_path: fixtureFile,
    function: 'inEval',
    module: fixtureModule,
    lineno: evalLine,
    colno: 41,
    in_app: true,
  });
  assert.equal(frames[frames.length - 2]!.function, 'eval');
  assert.equal(frames[frames.length - 2]!.lineno, evalLine);

  const nested = parser.parse(stackFrom('nestedEvalStack'));
  assert.equal(top(nested).abs_path, fixtureFile);
  assert.equal(top(nested).lineno, 38);
  assert.equal(top(nested).colno, 47);

  const fromFunction = parser.parse(stackFrom('newFunctionStack'));
  assert.equal(top(fromFunction).function, 'eval');
  assert.equal(top(fromFunction).lineno, 40);
});

test('async frames drop the `async` marker; Promise.all (index 0) is a frame without a file', async () => {
  const frames = parser.parse(await (fixtures.asyncStack as () => Promise<string>)());
  const names = frames.map((f) => f.function);
  const inner = names.lastIndexOf('innerAsync');
  assert.equal(inner, frames.length - 1);
  assert.deepEqual(names.slice(inner - 3, inner), ['exports.asyncStack', 'outerAsync', 'Promise.all']);
  assert.deepEqual(frames[inner - 1], { function: 'Promise.all', in_app: false });
  assert.equal(frames[inner - 2]!.lineno, 53);
});

test('a module body frame is `Object.<anonymous>`; node internals are not in-app', () => {
  const frames = parser.parse(fixtures.moduleBodyStack as string);
  const body = frames.find((f) => f.function === 'Object.<anonymous>');
  assert.ok(body);
  assert.equal(body.filename, fixtureRelative);
  assert.equal(body.in_app, true);
  const internal = frames.find((f) => f.abs_path?.startsWith('node:internal/'));
  assert.ok(internal, 'loading a module runs through node:internal frames');
  assert.equal(internal.in_app, false);
  assert.equal(internal.filename, internal.abs_path);
  assert.equal(internal.module, undefined);
});

test('file:// URLs become percent-decoded paths', async () => {
  const esmPath = resolve(here, 'fixtures-stack/esm module.mjs');
  const esm = (await import(pathToFileURL(esmPath).href)) as { esmStack(): string };
  const stack = esm.esmStack();
  assert.match(stack, /file:\/\/\/.*esm%20module\.mjs/, 'V8 prints ES module frames as URLs');
  const frame = top(parser.parse(stack));
  assert.deepEqual(frame, {
    filename: 'test/core/fixtures-stack/esm module.mjs',
    abs_path: esmPath,
    function: 'Module.esmStack',
    module: 'test.core.fixtures-stack:esm module',
    lineno: 4,
    colno: 11,
    in_app: true,
  });
});

test('file URLs with a drive letter, a malformed escape, or no function name', () => {
  const frames = createFrameParser({ root: 'C:\\proj' }).parse(
    [
      'Error: x',
      '    at file:///C:/proj/src/a%20b.mjs:1:2',
      '    at run (file:///srv/app/bad%zzescape.mjs:3:4)',
    ].join('\n'),
  );
  assert.equal(frames[0]!.abs_path, '/srv/app/bad%zzescape.mjs');
  assert.equal(frames[0]!.function, 'run');
  assert.deepEqual(frames[1], {
    filename: 'src/a b.mjs',
    abs_path: 'C:/proj/src/a b.mjs',
    function: '?',
    module: 'src:a b',
    lineno: 1,
    colno: 2,
    in_app: true,
  });
});

test('Windows paths: relative to a Windows root (case-insensitively), node_modules with backslashes', () => {
  const win = createFrameParser({ root: 'C:\\Users\\dev\\app\\' });
  const frames = win.parse(
    [
      'TypeError: boom',
      '    at handler (c:\\users\\dev\\app\\src\\routes\\home.js:10:5)',
      '    at Layer.handle [as handle_request] (C:\\Users\\dev\\app\\node_modules\\express\\lib\\router\\layer.js:95:5)',
      '    at D:\\elsewhere\\tool.js:1:1',
      '    at \\\\server\\share\\lib\\x.js:2:3',
    ].join('\r\n'),
  );
  assert.deepEqual(frames[3], {
    filename: 'src/routes/home.js',
    abs_path: 'c:\\users\\dev\\app\\src\\routes\\home.js',
    function: 'handler',
    module: 'src.routes:home',
    lineno: 10,
    colno: 5,
    in_app: true,
  });
  assert.deepEqual(frames[2], {
    filename: 'node_modules/express/lib/router/layer.js',
    abs_path: 'C:\\Users\\dev\\app\\node_modules\\express\\lib\\router\\layer.js',
    function: 'Layer.handle',
    raw_function: 'Layer.handle [as handle_request]',
    module: 'express.lib.router:layer',
    lineno: 95,
    colno: 5,
    in_app: false,
  });
  assert.deepEqual(frames[1], {
    filename: 'D:\\elsewhere\\tool.js',
    abs_path: 'D:\\elsewhere\\tool.js',
    function: '?',
    module: 'elsewhere:tool',
    lineno: 1,
    colno: 1,
    in_app: true,
  });
  assert.equal(frames[0]!.module, 'server.share.lib:x');
  assert.equal(frames[0]!.in_app, true);
});

test('module names and filenames for app files, node_modules (also outside the root, scoped, pnpm) and other paths', () => {
  const frames = createFrameParser({ root: '/srv/app' }).parse(
    [
      'Error: x',
      '    at a (/srv/app/index.js:1:1)',
      '    at b (/srv/app/src/app/user.ts:2:2)',
      '    at c (/srv/app/node_modules/@scope/pkg/dist/x.cjs:3:3)',
      '    at d (/srv/app/node_modules/.pnpm/express@5.0.0/node_modules/express/lib/router/index.js:4:4)',
      '    at e (/usr/lib/node_modules/npm/lib/cli.js:5:5)',
      '    at f (/opt/tools/run.mjs:6)',
      '    at g (/srv/application/other.js:7:7)',
    ].join('\n'),
  );
  const byName = Object.fromEntries(frames.map((f) => [f.function, f]));
  assert.equal(byName.a!.module, 'index');
  assert.equal(byName.a!.filename, 'index.js');
  assert.equal(byName.b!.module, 'src.app:user');
  assert.equal(byName.c!.module, '@scope.pkg.dist:x');
  assert.equal(byName.c!.filename, 'node_modules/@scope/pkg/dist/x.cjs');
  assert.equal(byName.d!.module, 'express.lib.router:index');
  assert.equal(byName.e!.module, 'npm.lib:cli');
  assert.equal(byName.e!.filename, 'node_modules/npm/lib/cli.js');
  assert.equal(byName.e!.in_app, false);
  assert.deepEqual(byName.f, {
    filename: '/opt/tools/run.mjs',
    abs_path: '/opt/tools/run.mjs',
    function: 'f',
    module: 'opt.tools:run',
    lineno: 6,
    in_app: true,
  });
  // A sibling directory that merely shares the root's name as a prefix is outside the root.
  assert.equal(byName.g!.filename, '/srv/application/other.js');
});

test('in_app: include beats node_modules, exclude beats the default, prefixes match whole segments', () => {
  const p = createFrameParser({
    root: '/srv/app',
    inAppInclude: ['@acme/shared', 'express'],
    inAppExclude: ['src.generated', 'vendor:legacy', 'express'],
  });
  const inApp = (path: string): boolean | undefined => p.parse(`Error\n    at f (${path}:1:1)`)[0]!.in_app;
  assert.equal(inApp('/srv/app/node_modules/@acme/shared/lib/a.js'), true);
  assert.equal(inApp('/srv/app/node_modules/express/index.js'), true, 'include wins over exclude as well');
  assert.equal(inApp('/srv/app/node_modules/expressive/index.js'), false, 'a prefix is not a string prefix');
  assert.equal(inApp('/srv/app/node_modules/@acme/other/a.js'), false);
  assert.equal(inApp('/srv/app/src/generated/api/client.js'), false);
  assert.equal(inApp('/srv/app/src/generated.js'), true, '`src.generated` does not match module `src:generated`');
  assert.equal(inApp('/srv/app/vendor/legacy.js'), false, 'an exact module name');
  assert.equal(inApp('/srv/app/src/main.js'), true);
  assert.equal(inApp('/elsewhere/x.js'), true);
  assert.equal(inApp('node:internal/process/task_queues'), false);
  assert.equal(inApp('internal/main/run_main_module.js'), false);
  assert.equal(inApp('[eval]'), false);
  assert.equal(p.parse('Error\n    at Array.forEach (native)')[0]!.in_app, false);
  assert.deepEqual(p.parse('Error\n    at native')[0], { filename: 'native', abs_path: 'native', function: '?', in_app: false });
});

test('only `at` lines are frames: messages, blank lines and other text are ignored', () => {
  const stack = stackFrom('multiLineMessageStack');
  // parseStack itself sees a frame-shaped line inside the message; exceptions.ts strips the
  // message before parsing, and this is why. Plain text lines are skipped either way.
  const frames = parseStack(stack);
  assert.ok(frames.every((f) => f.function !== 'third line'));
  assert.equal(top(frames).abs_path, '/not/a/frame.js');
  assert.deepEqual(parseStack('just a message\n\nwith no frames\n  at\n'), []);
  assert.deepEqual(parseStack(''), []);
  assert.deepEqual(parseStack(undefined), []);
  assert.deepEqual(parseStack(42 as unknown as string), []);
});

test('skipFrames drops the newest V8 frames', () => {
  const stack = 'Error\n    at newest (/a.js:1:1)\n    at middle (/a.js:2:2)\n    at oldest (/a.js:3:3)';
  assert.deepEqual(parseStack(stack, 1).map((f) => f.function), ['oldest', 'middle']);
  assert.deepEqual(parseStack(stack, 3), []);
  assert.equal(parseStack(stack, -4).length, 3);
  assert.equal(parseStack(stack, Number.NaN).length, 3);
});

test(`at most ${MAX_STACK_FRAMES} frames are kept, the newest ones`, () => {
  const previousLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 400;
  let stack: string;
  try {
    stack = (fixtures.recursiveStack as (depth: number) => string)(300);
  } finally {
    Error.stackTraceLimit = previousLimit;
  }
  const frames = parser.parse(stack);
  assert.equal(frames.length, MAX_STACK_FRAMES);
  // The newest frame (where it threw) is last; the oldest kept ones are still recursion frames.
  assert.equal(top(frames).function, 'down');
  assert.equal(frames[0]!.function, 'down');
});

test('repeated stacks come back as fresh copies, so callers may change them', () => {
  const p = createFrameParser({ root: projectRoot });
  const stack = stackFrom('constructorStack');
  const first = p.parse(stack);
  top(first).context_line = 'changed by a caller';
  top(first).in_app = false;
  const second = p.parse(stack);
  assert.notEqual(second, first);
  assert.equal(top(second).context_line, undefined);
  assert.equal(top(second).in_app, true);
  assert.deepEqual(p.parse(stack, 1), second.slice(0, -1), 'a different skip is not served from the cache');
  assert.deepEqual(p.parse(stack), second, 'nor is the skip asked before');
  const other = stackFrom('constructorStack').replace(/:(\d+):/, ':999:');
  assert.notDeepEqual(p.parse(other), second, 'the last stack served is not taken for another');
  assert.deepEqual(p.parse(stack), second);
  // Many distinct stacks do not grow the cache without bound or change results.
  for (let i = 0; i < 300; i++) p.parse(`Error\n    at f${i} (/x/${i}.js:1:1)`);
  assert.deepEqual(p.parse(stack), second);
});
