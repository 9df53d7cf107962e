// Delivered outbox files are written over rather than deleted and created again (file-reuse.ts):
// the bytes of every write are exactly what was asked, spares and open descriptors stay bounded,
// spares never travel as envelopes, and nothing of it outlives the outbox. The store's tests run
// twice: with its small files written directly (sync-io.ts: a local disk) and on the thread pool.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiskStore, newEnvelopeName, newSegmentName } from '../../src/node/outbox/disk-store.js';
import { decodeSegment, segmentChunks } from '../../src/node/outbox/segment.js';
import { SyncIo } from '../../src/node/outbox/sync-io.js';
import * as faultline from '../../src/index.js';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';
import { durableTransport, initDurable, storedFiles, tempCacheDir } from './helpers.js';

let folder: string;
let store: DiskStore;

const bytesOf = (text: string) => new TextEncoder().encode(text);
const spares = () => fs.readdirSync(folder).filter((f) => f.startsWith('.spare-'));
const openDescriptors = () => fs.readdirSync('/proc/self/fd').length;

for (const mode of ['always', 'never'] as const) {
  describe(mode === 'always' ? 'files written directly' : 'files written on the thread pool', () => {
    beforeEach(async () => {
      folder = path.join(tempCacheDir(), 'store');
      store = new DiskStore(folder, false, new SyncIo(mode));
      await store.open();
    });
    afterEach(() => {
      store.releaseFiles();
    });

    test('a delivered file is written over by the next write, which holds exactly its own bytes', async () => {
      const first = newEnvelopeName();
      await store.write(first, bytesOf('a'.repeat(20_000)));
      const inode = fs.statSync(path.join(folder, first)).ino;
      await store.remove(first);
      assert.deepEqual(fs.readdirSync(folder), spares(), 'only the spare is left');
      assert.equal(spares().length, 1);

      // Shorter than what the file held: the rest is cut.
      const second = newEnvelopeName();
      await store.write(second, bytesOf('short'));
      assert.deepEqual(fs.readdirSync(folder), [second], 'the spare became the new file');
      assert.equal(fs.statSync(path.join(folder, second)).ino, inode, 'the same file, written over');
      assert.equal(fs.readFileSync(path.join(folder, second), 'utf8'), 'short');

      // Longer again.
      await store.remove(second);
      const third = newEnvelopeName();
      const long = 'b'.repeat(50_000);
      await store.write(third, bytesOf(long));
      assert.equal(fs.statSync(path.join(folder, third)).ino, inode);
      assert.equal(fs.readFileSync(path.join(folder, third), 'utf8'), long);
      assert.deepEqual(Buffer.from(await store.read(third)), Buffer.from(long));
    });

    test('a segment written as its pieces, into a new file, over a longer spare, and synchronously', async () => {
      const envelopes = Array.from({ length: 30 }, (_, i) => bytesOf(`{"event_id":"${i}"}\n{"type":"event","length":${3 + i}}\n${'e'.repeat(3 + i)}\n`));
      const { chunks, byteLength } = segmentChunks(envelopes);
      const expected = Buffer.concat(chunks);
      assert.equal(expected.byteLength, byteLength);

      const first = newSegmentName();
      await store.write(first, chunks);
      assert.deepEqual(fs.readFileSync(path.join(folder, first)), expected);
      assert.deepEqual(decodeSegment(fs.readFileSync(path.join(folder, first))).map((e) => Buffer.from(e)), envelopes.map((e) => Buffer.from(e)));

      // Over a spare that held more: the pieces, then the rest cut.
      const big = newEnvelopeName();
      await store.remove(first);
      await store.write(big, bytesOf('z'.repeat(byteLength * 3)));
      await store.remove(big);
      const second = newSegmentName();
      await store.write(second, chunks);
      assert.deepEqual(fs.readFileSync(path.join(folder, second)), expected);

      // More pieces than one vectored write takes, and the synchronous way.
      const many = segmentChunks(Array.from({ length: 400 }, (_, i) => bytesOf(`envelope ${i}\n`)));
      assert.ok(many.chunks.length > 512);
      const third = newSegmentName();
      await store.write(third, many.chunks);
      assert.deepEqual(fs.readFileSync(path.join(folder, third)), Buffer.concat(many.chunks));
      const fourth = newSegmentName();
      store.writeSync(fourth, many.chunks);
      assert.deepEqual(fs.readFileSync(path.join(folder, fourth)), Buffer.concat(many.chunks));
    });

    test('at most two spares: further delivered files are deleted', async () => {
      const names = Array.from({ length: 5 }, () => newEnvelopeName());
      for (const name of names) await store.write(name, bytesOf(`envelope ${name}`));
      for (const name of names) await store.remove(name);
      assert.equal(spares().length, 2);
      assert.deepEqual(fs.readdirSync(folder).filter((f) => !f.startsWith('.spare-')), []);
    });

    test('descriptors stay open for the newest few files only, and all close on release', async () => {
      const before = openDescriptors();
      const names = Array.from({ length: 40 }, () => newEnvelopeName());
      for (const name of names) await store.write(name, bytesOf('x'.repeat(100)));
      await new Promise((resolve) => setTimeout(resolve, 50)); // the background closes
      const during = openDescriptors() - before;
      assert.ok(during <= 8, `${during} descriptors held for 40 files`);
      assert.ok(during >= 1, 'the newest files are held open');
      await store.remove(names[39]!);
      store.releaseFiles();
      assert.equal(openDescriptors(), before, 'every descriptor closed');
      assert.deepEqual(spares(), [], 'spares deleted');
      // After release a delivered file is deleted, not kept.
      await store.remove(names[38]!);
      assert.deepEqual(spares(), []);
      assert.equal(fs.existsSync(path.join(folder, names[38]!)), false);
    });

    test('a spare deleted behind the store (another process swept it): the write still lands', async () => {
      const first = newEnvelopeName();
      await store.write(first, bytesOf('first'));
      await store.remove(first);
      for (const spare of spares()) fs.unlinkSync(path.join(folder, spare));
      const second = newEnvelopeName();
      await store.write(second, bytesOf('second'));
      assert.equal(fs.readFileSync(path.join(folder, second), 'utf8'), 'second');
      assert.deepEqual(fs.readdirSync(folder), [second]);
    });

    test('a file taken over by another process meanwhile: removing it is not an error and keeps no spare', async () => {
      const name = newEnvelopeName();
      await store.write(name, bytesOf('claimed'));
      fs.renameSync(path.join(folder, name), path.join(folder, `other-${name}`));
      await store.remove(name);
      assert.deepEqual(spares(), []);
      assert.equal(fs.readFileSync(path.join(folder, `other-${name}`), 'utf8'), 'claimed', 'its content untouched');
    });

    test('a system that will not rename the file to a spare: it is deleted instead', async () => {
      // Directories in the way of every spare name this process could pick next: the rename fails.
      for (let n = 1; n <= 300; n++) fs.mkdirSync(path.join(folder, `.spare-${process.pid}-${n}.tmp`, 'in-the-way'), { recursive: true });
      const name = newEnvelopeName();
      await store.write(name, bytesOf('delivered'));
      await store.remove(name);
      assert.equal(fs.existsSync(path.join(folder, name)), false, 'deleted');
      assert.ok(spares().every((f) => fs.statSync(path.join(folder, f)).isDirectory()), 'no spare file kept');
    });
  });
}

test('end to end: spares are never sent as envelopes, and close leaves the folder empty', async () => {
  const server: TestServer = await startSentryServer();
  const cacheDir = tempCacheDir();
  try {
    initDurable(server.dsn, cacheDir);
    const ids: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) ids.push(faultline.captureMessage(`round ${round} message ${i}`)!);
      assert.equal(await faultline.flush(5000), true);
    }
    const dsnFolder = durableTransport().stats().directory!;
    assert.deepEqual(storedFiles(cacheDir), [], 'every delivered envelope is gone from the store');
    assert.ok(fs.readdirSync(dsnFolder).some((f) => f.startsWith('.spare-')), 'delivered files were kept to be written over');
    await faultline.close(2000);

    // A new outbox on the same folder finds nothing to send.
    initDurable(server.dsn, cacheDir);
    assert.equal(await faultline.flush(3000), true);
    assert.deepEqual(server.events().map((e) => e.event_id).sort(), ids.sort(), 'each event once, nothing from a spare');
    await faultline.close(2000);
    assert.deepEqual(fs.readdirSync(dsnFolder), [], 'nothing left behind after close');
  } finally {
    await server.close();
  }
});
