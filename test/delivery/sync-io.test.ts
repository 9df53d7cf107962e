// Small outbox files on a local disk are written and removed directly, not on the thread pool
// (sync-io.ts): the file is in place when the call returns. Not on a file system it does not know,
// not with fsync, not for large files, and not any more once direct calls have been slow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiskStore, newEnvelopeName } from '../../src/node/outbox/disk-store.js';
import { SYNC_MAX_BYTES, SyncIo } from '../../src/node/outbox/sync-io.js';
import * as faultline from '../../src/index.js';
import { startSentryServer } from '../helpers/sentry-server.js';
import { initDurable, storedFiles, tempCacheDir } from './helpers.js';

const bytes = (length: number) => new Uint8Array(length).fill(0x61);
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Starts a write and says whether its file was in place when the call returned. */
function inPlaceOnReturn(store: DiskStore, folder: string, length: number): { now: boolean; done: Promise<void> } {
  const name = newEnvelopeName();
  const done = store.write(name, bytes(length));
  return { now: fs.existsSync(path.join(folder, name)), done };
}

/** A store on a fresh folder, released after `body`. */
async function withStore(fsync: boolean, direct: SyncIo, body: (store: DiskStore, folder: string) => Promise<void>): Promise<void> {
  const folder = path.join(tempCacheDir(), 'store');
  const store = new DiskStore(folder, fsync, direct);
  await store.open();
  try {
    await body(store, folder);
  } finally {
    store.releaseFiles();
  }
}

test('direct calls on a local file system (tmpfs), not on one it does not know (procfs)', async () => {
  const local = new SyncIo('auto');
  await local.decide('/dev/shm');
  assert.equal(local.allows(1000), true, 'tmpfs is local');
  assert.equal(local.allows(SYNC_MAX_BYTES + 1), false, 'but not for a large file');
  const unknown = new SyncIo('auto');
  await unknown.decide('/proc');
  assert.equal(unknown.allows(1000), false, 'procfs is not on the list');
  const missing = new SyncIo('auto');
  await missing.decide('/nonexistent/folder');
  assert.equal(missing.allows(1000), false, 'a folder statfs cannot read keeps the thread pool');
});

test('a small file is in place when write() returns, and gone when remove() returns', () =>
  withStore(false, new SyncIo('always'), async (store, folder) => {
    const small = inPlaceOnReturn(store, folder, 10_000);
    assert.equal(small.now, true, 'written directly');
    await small.done;
    const large = inPlaceOnReturn(store, folder, SYNC_MAX_BYTES + 1);
    assert.equal(large.now, false, 'a large file goes to the thread pool');
    await large.done;

    const name = newEnvelopeName();
    await store.write(name, bytes(100));
    const removed = store.remove(name);
    assert.equal(fs.existsSync(path.join(folder, name)), false, 'renamed to a spare directly');
    await removed;
    assert.equal(fs.readdirSync(folder).filter((f) => f.startsWith('.spare-')).length, 1);
  }));

test('with fsync, every file goes through the thread pool', () =>
  withStore(true, new SyncIo('always'), async (store, folder) => {
    const write = inPlaceOnReturn(store, folder, 100);
    assert.equal(write.now, false);
    await write.done;
  }));

// Every call counts as slow: over 0 ms.
test('after three slow direct calls, the store goes back to the thread pool', () =>
  withStore(false, new SyncIo('always', 0, 3), async (store, folder) => {
    const seen: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const write = inPlaceOnReturn(store, folder, 100);
      seen.push(write.now);
      await write.done;
    }
    assert.deepEqual(seen, [true, true, true, false, false]);
    assert.equal(fs.readdirSync(folder).length, 5, 'every file written either way');
  }));

test('end to end: an event captured alone is on disk once the writer has had its turn, and delivered', async () => {
  const server = await startSentryServer();
  const cacheDir = tempCacheDir();
  try {
    initDurable(server.dsn, cacheDir);
    assert.equal(await faultline.flush(2000), true, 'the folder is ready');
    server.fallback = { status: 200, delayMs: 300 };
    const id = faultline.captureMessage('alone')!;
    // The writer's turn was queued by the capture; this one runs right after it, in the same
    // phase of the event loop, where no thread-pool callback can have run yet.
    await nextTurn();
    assert.equal(storedFiles(cacheDir).length, 1, 'the envelope is in its file');
    assert.equal(await faultline.flush(3000), true);
    assert.deepEqual(server.events().map((e) => e.event_id), [id]);
    assert.deepEqual(storedFiles(cacheDir), [], 'removed once delivered');
  } finally {
    await faultline.close(1000);
    await server.close();
  }
});
