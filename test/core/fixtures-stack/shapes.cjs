// Real V8 stacks for the stack-trace tests. Plain CommonJS on purpose: no TypeScript transform and
// no source map, so the strings are exactly what V8 prints in production.
'use strict';

function stackOf(fn) {
  try {
    fn();
  } catch (error) {
    return error.stack;
  }
  throw new Error('the fixture did not throw');
}

class Widget {
  constructor() {
    throw new Error('from a constructor');
  }
}

function Service() {}
Service.prototype.handle = function realName() {
  throw new Error('called through an alias');
};

exports.constructorStack = () => stackOf(() => new Widget());

exports.aliasStack = () => stackOf(() => new Service().handle());

exports.anonymousStack = () =>
  stackOf(() =>
    [1].forEach(function () {
      throw new Error('from an anonymous callback');
    }),
  );

exports.evalStack = () => stackOf(() => eval('(function inEval() { throw new Error("from eval"); })()'));

exports.nestedEvalStack = () => stackOf(() => eval('eval("throw new Error(\\"nested eval\\")")'));

exports.newFunctionStack = () => stackOf(() => new Function('throw new Error("from new Function")')());

exports.multiLineMessageStack = () =>
  stackOf(() => {
    throw new Error('first line\n    at fake (/not/a/frame.js:1:1)\nthird line');
  });

async function innerAsync() {
  await null;
  throw new Error('from an async function');
}

async function outerAsync() {
  await Promise.all([innerAsync()]);
}

exports.asyncStack = async () => {
  try {
    await outerAsync();
  } catch (error) {
    return error.stack;
  }
  throw new Error('the fixture did not throw');
};

exports.recursiveStack = (depth) =>
  stackOf(function recurse() {
    let n = 0;
    (function down() {
      if (++n >= depth) throw new Error('deep');
      down();
    })();
  });

exports.fixtureFile = __filename;

// Thrown while the module body runs, so V8 names the frame `Object.<anonymous>`.
exports.moduleBodyStack = stackOf(() => {
  throw new Error('from the module body');
});
