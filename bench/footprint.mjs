// Installed footprint: bytes on disk and package count of a fresh `npm install` in an empty temp project.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240000 });

function countPackages(nodeModules) {
  let count = 0;
  if (!fs.existsSync(nodeModules)) return 0;
  for (const entry of fs.readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    const dir = path.join(nodeModules, entry);
    const dirs = entry.startsWith('@') ? fs.readdirSync(dir).map((e) => path.join(dir, e)) : [dir];
    for (const pkg of dirs) {
      if (fs.existsSync(path.join(pkg, 'package.json'))) count++;
      count += countPackages(path.join(pkg, 'node_modules'));
    }
  }
  return count;
}

function installInto(spec) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-bench-install-'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"probe","version":"1.0.0","private":true}');
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', spec], dir);
  const nodeModules = path.join(dir, 'node_modules');
  // du -sb: apparent bytes, so the figure does not depend on the file system's block size.
  const bytes = Number(execFileSync('du', ['-sb', nodeModules], { encoding: 'utf8' }).split('\t')[0]);
  const packages = countPackages(nodeModules);
  fs.rmSync(dir, { recursive: true, force: true });
  return { bytes, packages };
}

/** Packs the faultline repo root and installs the tarball; installs @sentry/node from the registry (cache first). */
export function measureFootprint(repoRoot) {
  const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-bench-pack-'));
  try {
    const out = npm(['pack', '--silent', '--pack-destination', packDir, repoRoot], packDir).trim().split('\n').pop();
    const tarball = path.join(packDir, out);
    const faultline = installInto(tarball);
    const sentry = installInto('@sentry/node');
    return { faultline, sentry, tarballBytes: fs.statSync(tarball).size };
  } finally {
    fs.rmSync(packDir, { recursive: true, force: true });
  }
}
