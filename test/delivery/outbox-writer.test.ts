// The outbox's writing and reading-back paths against a real server, with a real DiskStore made
// slow or small on purpose: writes under way do not make captures wait, envelopes written in any
// order are still sent oldest first, and envelopes the memory cache could not keep are read back
// from their segment files intact.
import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClientReports } from '../../src/core/client-reports.js';
import { envelopeUrl, parseDsn } from '../../src/core/dsn.js';
import { createEventEnvelope, serializeEnvelope } from '../../src/core/envelope.js';
import { RateLimits } from '../../src/core/rate-limits.js';
import { DiskStore, newEnvelopeName, newSegmentName } from '../../src/node/outbox/disk-store.js';
import { segmentChunks } from '../../src/node/outbox/segment.js';
import { Outbox } from '../../src/node/outbox/outbox.js';
import { restamp } from '../../src/node/outbox/restamp.js';
import { httpRequester } from '../../src/node/transport-http.js';
import { startSentryServer, type TestServer } from '../helpers/sentry-server.js';
import { sleep, storedFiles, tempCacheDir } from './helpers.js';

/**
 * A real store whose asynchronous writes take `delay()` ms and reads `readDelay` ms, counting the
 * synchronous writes; `reading` resolves when the first read starts (the loader is past open()).
 */
class SlowStore extends DiskStore {
  syncWrites = 0;
  private readStarted!: () => void;
  readonly reading = new Promise<void>((resolve) => (this.readStarted = resolve));
  constructor(directory: string, private readonly delay: () => number, private readonly readDelay = 0) {
    super(directory, false);
  }
  override async write(name: string, bytes: Uint8Array): Promise<void> {
    await sleep(this.delay());
    return super.write(name, bytes);
  }
  override async read(name: string): Promise<Uint8Array> {
    this.readStarted();
    if (this.readDelay > 0) await sleep(this.readDelay);
    return super.read(name);
  }
  override writeSync(name: string, bytes: Uint8Array): void {
    this.syncWrites++;
    super.writeSync(name, bytes);
  }
}

function dsnOf(text: string) {
  const parsed = parseDsn(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.dsn;
}

let server: TestServer;
let cacheDir: string;
let outbox: Outbox | undefined;
const requesters: Array<ReturnType<typeof httpRequester>> = [];
const drops: string[] = [];

before(async () => {
  server = await startSentryServer();
});
after(() => server.close());
beforeEach(() => {
  server.envelopes.length = 0;
  server.fallback = { status: 200 };
  drops.length = 0;
  cacheDir = tempCacheDir();
});
afterEach(async () => {
  await outbox?.close(0);
  outbox = undefined;
  for (const requester of requesters.splice(0)) requester.destroy();
  assert.deepEqual(server.errors(), [], 'every envelope passes the protocol kit');
});

function makeOutbox(
  store: DiskStore,
  extra: { bufferSize?: number; concurrency?: number; maxMemoryBytes?: number; dsn?: string } = {},
): Outbox {
  const dsn = dsnOf(extra.dsn ?? server.dsn);
  const requester = httpRequester({
    url: new URL(envelopeUrl(dsn)),
    maxSockets: extra.concurrency ?? 4,
    headers: { 'Content-Type': 'application/x-sentry-envelope', 'X-Sentry-Auth': `Sentry sentry_version=7, sentry_key=${dsn.publicKey}` },
    timeout: 5000,
    compressionThreshold: 1024,
  });
  requesters.push(requester);
  const recordDroppedEvent = (reason: string, category: string) => drops.push(`${reason}:${category}`);
  outbox = new Outbox({
    store,
    bufferSize: extra.bufferSize ?? 100,
    concurrency: extra.concurrency ?? 4,
    maxEntries: 10_000,
    maxBytes: 64 * 1024 * 1024,
    maxMemoryBytes: extra.maxMemoryBytes ?? 16 * 1024 * 1024,
    maxAgeMs: 60_000,
    backoff: { initialDelayMs: 20, maxDelayMs: 200 },
    rateLimits: new RateLimits(),
    clientReports: new ClientReports(),
    recordDroppedEvent,
    makeRequest: requester.makeRequest,
  });
  return outbox;
}

function envelopeFor(i: number) {
  const dsn = dsnOf(server.dsn);
  const event = {
    event_id: (i + 1).toString(16).padStart(32, '0'),
    timestamp: Date.now() / 1000,
    platform: 'node',
    level: 'info' as const,
    logentry: { formatted: `message ${i}` },
    // Some bulk, so that a few hundred envelopes are several read-ahead windows' worth.
    extra: { filler: 'x'.repeat(6000 + (i % 7) * 100) },
  };
  return createEventEnvelope(event, { dsn, sdk: { name: 'faultline.node', version: '0.0.0' } });
}

const messages = () => server.events().map((e) => e.logentry.formatted);

test('captures that yield to the loop never wait for the disk, however slow its writes', async () => {
  const store = new SlowStore(path.join(cacheDir, 'slow'), () => 40);
  const box = makeOutbox(store, { bufferSize: 20 });
  await box.persisted(); // the load has run: this test is about the writes alone
  for (let i = 0; i < 300; i++) {
    assert.equal(box.send(envelopeFor(i)), true);
    if (i % 10 === 9) await new Promise((r) => setImmediate(r));
  }
  // Each write takes 40 ms while 300 captures pass in a few ms: a writer that waited for one
  // write before taking the next batch would let the 20-envelope intake fill and spill it to disk
  // on the capture's tick.
  assert.equal(store.syncWrites, 0, 'no capture had to write to disk itself');
  assert.equal(await box.flush(10_000), true);
  assert.equal(server.events().length, 300);
  assert.deepEqual(drops, []);
  assert.deepEqual(storedFiles(cacheDir), [], 'delivered envelopes are deleted');
});

test('captures that come while the outbox takes over an earlier run\'s files are not written on their tick', async () => {
  const folder = path.join(cacheDir, 'loading');
  // What an earlier run left: five files, each read back in 60 ms, so the load takes 300 ms.
  const earlier = new DiskStore(folder, false);
  for (let i = 0; i < 5; i++) earlier.writeSync(newEnvelopeName(), serializeEnvelope(envelopeFor(1000 + i)));
  const store = new SlowStore(folder, () => 0, 60);
  const box = makeOutbox(store, { bufferSize: 20 });
  await store.reading; // the folder is open; the load is reading the first of its five files
  for (let i = 0; i < 200; i++) {
    assert.equal(box.send(envelopeFor(i)), true);
    if (i % 10 === 9) await new Promise((r) => setImmediate(r));
  }
  // Had the writer waited for the whole load, the 20-envelope intake would have filled within
  // two yields and been written to disk on the capture's tick.
  assert.equal(store.syncWrites, 0, 'no capture had to write to disk itself');
  assert.equal(await box.flush(10_000), true);
  const sent = messages();
  assert.equal(sent.length, 205);
  assert.deepEqual([...sent].sort(), [...Array.from({ length: 200 }, (_, i) => `message ${i}`), ...Array.from({ length: 5 }, (_, i) => `message ${1000 + i}`)].sort(), 'each exactly once');
  assert.deepEqual(drops, []);
  assert.deepEqual(storedFiles(cacheDir), [], 'delivered envelopes are deleted');
});

test('writes that finish out of order: envelopes are still sent in the order they were taken', async () => {
  // Later writes finish first (decreasing delays), one request at a time shows the sending order.
  let delay = 200;
  const store = new SlowStore(path.join(cacheDir, 'reorder'), () => (delay = Math.max(0, delay - 25)));
  const box = makeOutbox(store, { concurrency: 1 });
  for (let i = 0; i < 8; i++) {
    box.send(envelopeFor(i));
    await new Promise((r) => setImmediate(r)); // one write per envelope
  }
  assert.equal(await box.flush(10_000), true);
  assert.deepEqual(messages(), Array.from({ length: 8 }, (_, i) => `message ${i}`));
});

test('envelopes the memory cache could not keep are read back from their segment files, intact and once', async () => {
  const store = new SlowStore(path.join(cacheDir, 'small-cache'), () => 0);
  // A 64 KiB cache holds about ten of these envelopes; 400 of them are 2.5 MB of segment files.
  const box = makeOutbox(store, { maxMemoryBytes: 64 * 1024, concurrency: 2 });
  server.fallback = { status: 503 };
  for (let i = 0; i < 400; i++) box.send(envelopeFor(i)); // a tight loop: spilled as segments
  await box.persisted();
  assert.equal(storedFiles(cacheDir).length, 400, 'all of them wait on disk');
  server.fallback = { status: 200 };
  server.envelopes.length = 0;
  assert.equal(await box.flush(20_000), true);
  const got = messages();
  assert.equal(got.length, 400);
  assert.deepEqual([...got].sort(), Array.from({ length: 400 }, (_, i) => `message ${i}`).sort(), 'each exactly once');
  for (const event of server.events()) {
    const i = Number(/\d+/.exec(event.logentry.formatted)![0]);
    assert.equal(event.extra.filler.length, 6000 + (i % 7) * 100, 'the payload came back whole');
  }
  assert.deepEqual(storedFiles(cacheDir), []);
});

/** A real store that notes each read-back window: how far it asked, and how long the file was. */
class WindowRecordingStore extends DiskStore {
  readonly windows: Array<{ offset: number; maxLength: number; fileLength: number }> = [];
  override readAt(name: string, offset: number, minLength: number, maxLength: number): Promise<Uint8Array> {
    const fileLength = fs.statSync(path.join(this.directory, name)).size;
    this.windows.push({ offset, maxLength, fileLength });
    return super.readAt(name, offset, minLength, maxLength);
  }
}

test('read-back windows reach 1 MiB ahead at most, and never past the end of their segment file', async () => {
  const store = new WindowRecordingStore(path.join(cacheDir, 'windows'), false);
  const box = makeOutbox(store, { maxMemoryBytes: 64 * 1024, concurrency: 2 });
  server.fallback = { status: 503 };
  for (let i = 0; i < 400; i++) box.send(envelopeFor(i));
  await box.persisted();
  server.fallback = { status: 200 };
  server.envelopes.length = 0;
  assert.equal(await box.flush(20_000), true);
  assert.equal(messages().length, 400);
  assert.ok(store.windows.length > 0, 'the envelopes were read back through windows');
  for (const { offset, maxLength, fileLength } of store.windows) {
    // A buffer of maxLength bytes is made for each read: none bigger than what the file holds.
    assert.equal(maxLength, Math.min(1024 * 1024, fileLength - offset), `a window at ${offset} of a ${fileLength}-byte file`);
  }
});

test('close while writes are under way: the files are written at once and the next outbox of the process sends them', async () => {
  const folder = path.join(cacheDir, 'closing');
  const first = makeOutbox(new SlowStore(folder, () => 300));
  await sleep(50); // the folder is loaded: the writer runs
  for (let i = 0; i < 3; i++) {
    first.send(envelopeFor(i));
    await new Promise((r) => setImmediate(r)); // one file per envelope, each write taking 300 ms
  }
  assert.equal(await first.close(0), false, 'nothing was delivered yet');
  assert.equal(storedFiles(cacheDir).length, 3, 'close wrote what was still being written');
  const second = makeOutbox(new DiskStore(folder, false));
  await sleep(400); // the first outbox's writes end, and it lets their files go to the second
  assert.equal(await second.flush(5000), true);
  assert.deepEqual([...messages()].sort(), ['message 0', 'message 1', 'message 2'], 'each exactly once');
  assert.deepEqual(storedFiles(cacheDir), []);
});

test('an envelope that cannot be serialized is counted and left out; the rest of its segment survives a restart', async () => {
  const folder = path.join(cacheDir, 'unserializable');
  // The first run cannot reach any server (port 9, nothing listens): everything stays on disk.
  const first = makeOutbox(new DiskStore(folder, false), { bufferSize: 5, dsn: 'http://0123456789abcdef0123456789abcdef@127.0.0.1:9/42' });
  await first.persisted(); // loaded (a close during the load is the next test's subject)
  const bad = envelopeFor(99);
  (bad.items[0]!.payload as Record<string, unknown>).extra = { big: 1n }; // JSON.stringify throws
  // A tight loop: the full intake is spilled to disk as segments, with the bad one among them.
  for (let i = 0; i < 12; i++) first.send(i === 3 ? bad : envelopeFor(i));
  await first.close(0);
  assert.equal(storedFiles(cacheDir).length, 11, 'the other eleven are on disk');
  assert.deepEqual(drops, ['internal_sdk_error:error'], 'the bad one is counted once');
  const second = makeOutbox(new DiskStore(folder, false));
  assert.equal(await second.flush(5000), true);
  assert.equal(second.stats().corrupt, 0, 'no file was taken for damaged');
  assert.deepEqual([...messages()].sort(), Array.from({ length: 12 }, (_, i) => `message ${i}`).filter((m) => m !== 'message 3').sort());
});

test('a close during the load: files the closing outbox was taking over go to the next outbox, the rest stay', async () => {
  const folder = path.join(cacheDir, 'closing-while-loading');
  // What a previous run left: six single files and a segment of three.
  const earlier = new DiskStore(folder, false);
  for (let i = 0; i < 6; i++) earlier.writeSync(newEnvelopeName(), serializeEnvelope(envelopeFor(i)));
  earlier.writeSync(newSegmentName(), segmentChunks([6, 7, 8].map((i) => serializeEnvelope(envelopeFor(i)))).chunks);
  // Reading a file takes 100 ms here, so the load is still under way when close comes.
  const slowReads = new SlowStore(folder, () => 0, 100);
  const first = makeOutbox(slowReads, { dsn: 'http://0123456789abcdef0123456789abcdef@127.0.0.1:9/42' });
  await sleep(30);
  const second = makeOutbox(new DiskStore(folder, false)); // the folder's live outbox from now on
  await first.close(0);
  await sleep(300); // the file the first outbox was reading is handed over
  assert.equal(await second.flush(5000), true);
  assert.deepEqual([...messages()].sort(), Array.from({ length: 9 }, (_, i) => `message ${i}`).sort(), 'each exactly once');
  assert.deepEqual(storedFiles(cacheDir), []);
});

test('a segment with one damaged envelope: that one is counted as corrupt, the others are sent and the file removed', async () => {
  const folder = path.join(cacheDir, 'damaged-record');
  const earlier = new DiskStore(folder, false);
  const damaged = serializeEnvelope(envelopeFor(1));
  damaged.fill(0x7b, damaged.length - 20); // the event's JSON no longer parses; the framing is intact
  earlier.writeSync(newSegmentName(), segmentChunks([serializeEnvelope(envelopeFor(0)), damaged, serializeEnvelope(envelopeFor(2))]).chunks);
  const outbox = makeOutbox(new DiskStore(folder, false));
  assert.equal(await outbox.flush(5000), true);
  assert.deepEqual([...messages()].sort(), ['message 0', 'message 2']);
  assert.equal(outbox.stats().corrupt, 1);
  assert.deepEqual(storedFiles(cacheDir), [], 'the segment is removed once its good envelopes are delivered');
});

test('restamp: an envelope this SDK wrote gets the new sent_at in place, anything else through a parse', () => {
  const dsn = dsnOf('http://0123456789abcdef0123456789abcdef@127.0.0.1:9/1');
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const ours = encoder.encode(`${JSON.stringify({ event_id: 'a'.repeat(32), dsn: dsn.publicKey, sent_at: '2020-01-01T00:00:00.000Z' })}\n{"type":"event","length":2}\n{}\n`);
  const stamped = restamp(ours, Date.UTC(2026, 10, 26, 12, 0, 0, 5));
  const [head, ...rest] = decoder.decode(stamped).split('\n');
  assert.deepEqual(JSON.parse(head!), { event_id: 'a'.repeat(32), dsn: '0123456789abcdef0123456789abcdef', sent_at: '2026-11-26T12:00:00.005Z' });
  assert.deepEqual(rest, ['{"type":"event","length":2}', '{}', '']);

  // The same envelope as a Buffer inside a larger one (a segment read back from disk, a newline
  // before it): stamped where it is, the bytes around it untouched.
  const window = Buffer.concat([Buffer.from('x\n'), ours, Buffer.from('y\n')]);
  const inWindow = window.subarray(2, 2 + ours.byteLength);
  const stampedInWindow = restamp(inWindow, Date.UTC(2026, 10, 26, 12, 0, 0, 7));
  assert.equal(stampedInWindow, inWindow, 'in place');
  assert.equal(JSON.parse(decoder.decode(stampedInWindow).split('\n')[0]!).sent_at, '2026-11-26T12:00:00.007Z');
  assert.equal(window.toString('latin1', 0, 2), 'x\n');
  assert.equal(window.toString('latin1', window.length - 2), 'y\n');

  // No sent_at at the end (another writer's file): parsed, stamped, and the items kept as bytes.
  const foreign = encoder.encode('{"event_id":"b"}\n{"type":"event","length":2}\n{}\n');
  const [head2, ...rest2] = decoder.decode(restamp(foreign, Date.UTC(2026, 0, 1))).split('\n');
  assert.deepEqual(JSON.parse(head2!), { event_id: 'b', sent_at: '2026-01-01T00:00:00.000Z' });
  assert.deepEqual(rest2, ['{"type":"event","length":2}', '{}', '']);

  // A sent_at that is not a timestamp (a quote inside) is not patched blindly.
  const odd = encoder.encode('{"x":"\\",\\"sent_at\\":\\"2020-01-01T00:00:00.000Z"}\n');
  const head3 = decoder.decode(restamp(odd, 0)).split('\n')[0]!;
  assert.equal(JSON.parse(head3).sent_at, '1970-01-01T00:00:00.000Z');

  assert.throws(() => restamp(encoder.encode('not json\n{}\n')), 'a damaged header line is given up');
});
