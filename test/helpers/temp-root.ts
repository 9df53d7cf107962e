// Loaded with `--import` by `npm test` and `npm run test:faults`: the whole run gets one private
// temporary folder, removed when the run ends, so the folders tests make (outboxes, caches, fixture
// apps, screenshots) never pile up in the machine's /tmp. Before this, each `npm test` left about
// 150 folders there, among them the SDK's own default outbox folders (os.tmpdir()/faultline/<dsn>).
//
// The test runner loads this first and sets TMPDIR, which `os.tmpdir()` reads at each call; the
// test files' processes (and what they spawn) inherit it, find the marker set, and leave it alone.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const MARKER = 'FAULTLINE_TEST_TMP';

if (!process.env[MARKER]) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-tests-'));
  process.env[MARKER] = root;
  process.env['TMPDIR'] = root;
  process.on('exit', () => {
    try {
      fs.rmSync(root, { recursive: true, force: true });
    } catch {
      // Whatever cannot be removed stays in one folder, named for what made it.
    }
  });
}
