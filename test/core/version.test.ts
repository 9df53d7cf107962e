import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { SDK_VERSION } from '../../src/core/version.js';

test('the SDK reports the version package.json declares', () => {
  const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
  assert.equal(SDK_VERSION, pkg.version);
});
