// An app with many packages, for the benchmark's "300 packages" table: a package.json that
// declares them and a node_modules with each one's package.json, so each SDK's `Modules`
// integration lists them on every event as it would in a real app. The benchmark's own children
// run in a project with no dependencies, where `event.modules` is empty or absent.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A temporary app folder declaring `count` installed packages; `remove()` deletes it. */
export function makeAppWithPackages(count) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-bench-app-'));
  const dependencies = {};
  for (let i = 0; i < count; i++) {
    // Names and versions as long as common ones (`@babel/helper-plugin-utils`, `7.24.8`).
    const name = `@bench/package-number-${String(i).padStart(4, '0')}`;
    const version = `${1 + (i % 9)}.${i % 31}.${i % 17}`;
    dependencies[name] = `^${version}`;
    const dir = path.join(root, 'node_modules', name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version }));
  }
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'bench-app', private: true, dependencies }));
  return { root, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}
