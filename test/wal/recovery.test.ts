// Crash safety with real files: a torn tail is cut with a log line and
// everything before it kept; damage anywhere else refuses to open, naming
// the file and the offset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Wal } from '../../src/wal/wal.js';
import { WalError, isWalError } from '../../src/wal/errors.js';
import { decodeEntry, encodeEntry, encodeWalSnapshot } from '../../src/wal/codec.js';
import { FrameWriter, RecordType, scanSegment } from '../../src/wal/record.js';
import { segmentName } from '../../src/wal/names.js';
import type { Entry } from '../../src/raft/types.js';
import { META, entries, hs, memoryLogger, segmentFiles, tempDir, walDir } from './helpers.js';

const SMALL = 400;

/** A log of entries 1..n (one save each, a hard state every 5th), several segments. */
async function buildLog(dir: string, n: number): Promise<Entry[]> {
  const wal = await Wal.create(dir, META, { segmentSize: SMALL });
  const all: Entry[] = [];
  for (let i = 1; i <= n; i++) {
    const e = entries(i, i, 1 + Math.floor(i / 10), (k) => `value-${k}-${'z'.repeat(k % 13)}`);
    all.push(...e);
    await wal.save(i % 5 === 0 ? hs(1 + Math.floor(i / 10), i - 1) : undefined, e, true);
  }
  await wal.close();
  return all;
}

function copyDir(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const n of fs.readdirSync(from)) fs.copyFileSync(path.join(from, n), path.join(to, n));
}

/** Offsets and entry indexes of the entry records in a segment file. */
function entryRecords(file: string): { offset: number; end: number; index: number }[] {
  const buf = new Uint8Array(fs.readFileSync(file));
  const scan = scanSegment(buf, undefined);
  const recs = scan.records;
  const out: { offset: number; end: number; index: number }[] = [];
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i]!;
    if (r.type !== RecordType.Entry) continue;
    out.push({ offset: r.offset, end: i + 1 < recs.length ? recs[i + 1]!.offset : scan.end, index: decodeEntry(r.data).index });
  }
  return out;
}

test('truncating the last segment at every cut point of its final records keeps everything before the cut', async () => {
  const { dir: base, cleanup } = tempDir();
  try {
    const src = path.join(base, 'src');
    const all = await buildLog(src, 23);
    const segs = segmentFiles(src);
    const lastName = segs[segs.length - 1]!;
    const recs = entryRecords(path.join(src, lastName));
    assert.ok(recs.length >= 2, 'the last segment needs at least two entries for this test');
    const size = fs.statSync(path.join(src, lastName)).size;
    const from = recs[recs.length - 2]!.offset; // the last two entry records, byte by byte
    const whole = scanSegment(new Uint8Array(fs.readFileSync(path.join(src, lastName))), undefined);
    const boundaries = new Set([...whole.records.map((r) => r.offset), whole.end]);
    let torn = 0;
    let n = 0;
    for (let cut = size - 1; cut > from; cut--) {
      const dir = path.join(base, `cut${cut}`);
      copyDir(src, dir);
      fs.truncateSync(path.join(dir, lastName), cut);
      const logger = memoryLogger();
      const r = await Wal.open(dir, undefined, { logger });
      // The entries kept are exactly those whose record ends at or before the cut.
      const keptLast = [...recs].reverse().find((x) => x.end <= cut)?.index ?? recs[0]!.index - 1;
      assert.deepEqual(r.entries, all.slice(0, keptLast), `cut at ${cut}`);
      if (boundaries.has(cut)) {
        // Cut between two records: a clean end, nothing to repair.
        assert.equal(r.torn, undefined, `cut at ${cut}`);
        assert.equal(logger.lines.length, 0);
      } else {
        assert.ok(r.torn, `cut at ${cut}: no torn tail reported`);
        assert.equal(r.torn.file, lastName);
        assert.equal(r.torn.offset, Math.max(...[...boundaries].filter((b) => b < cut)));
        assert.equal(r.torn.bytes, cut - r.torn.offset);
        assert.equal(fs.statSync(path.join(dir, lastName)).size, r.torn.offset);
        assert.equal(logger.lines.filter((l) => l.level === 'warn' && /torn/.test(l.msg)).length, 1);
        torn++;
      }
      // The repaired log takes appends and reads back clean.
      await r.wal.save(hs(9, keptLast), entries(keptLast + 1, keptLast + 1, 9), true);
      await r.wal.close();
      const again = await Wal.open(dir);
      assert.equal(again.torn, undefined);
      assert.deepEqual(again.entries, [...all.slice(0, keptLast), ...entries(keptLast + 1, keptLast + 1, 9)]);
      await again.wal.close();
      fs.rmSync(dir, { recursive: true });
      n++;
    }
    assert.ok(n > 40 && torn > n - 5, `only ${n} cut points, ${torn} torn`);
  } finally {
    cleanup();
  }
});

test('zeros or garbage after the last record are cut off; nothing before them is lost', async () => {
  const { dir: base, cleanup } = tempDir();
  try {
    const src = path.join(base, 'src');
    const all = await buildLog(src, 12);
    const lastName = segmentFiles(src).at(-1)!;
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 0xff;
    };
    const tails: [string, Uint8Array][] = [
      ['zeros 4096', new Uint8Array(4096)],
      ['zeros 3', new Uint8Array(3)],
      ['garbage 1000', Uint8Array.from({ length: 1000 }, rand)],
      ['garbage 13', Uint8Array.from({ length: 13 }, rand)],
    ];
    for (const [what, tail] of tails) {
      const dir = path.join(base, what.replace(' ', '-'));
      copyDir(src, dir);
      const before = fs.statSync(path.join(dir, lastName)).size;
      fs.appendFileSync(path.join(dir, lastName), tail);
      const r = await Wal.open(dir, undefined, { logger: memoryLogger() });
      assert.deepEqual(r.entries, all, what);
      assert.deepEqual(r.torn && { offset: r.torn.offset, bytes: r.torn.bytes }, { offset: before, bytes: tail.length }, what);
      await r.wal.close();
    }
  } finally {
    cleanup();
  }
});

function expectCorrupt(err: unknown, file: string, offset: number): boolean {
  assert.ok(err instanceof WalError, String(err));
  assert.equal(err.code, 'ERR_WAL_CORRUPT');
  assert.equal(err.file, file);
  assert.equal(err.offset, offset);
  assert.ok(err.message.includes(`${file} at offset ${offset}`), err.message);
  return true;
}

test('a byte flipped in the middle of an earlier record refuses to open, naming file and offset', async () => {
  const { dir: base, cleanup } = tempDir();
  try {
    const src = path.join(base, 'src');
    await buildLog(src, 23);
    const segs = segmentFiles(src);
    // In a segment before the last, and in the last one before its final record.
    const cases = [segs[1]!, segs.at(-1)!];
    for (const name of cases) {
      const recs = entryRecords(path.join(src, name));
      const victim = recs[0]!;
      for (const at of [victim.offset + 2, victim.offset + 9, victim.offset + 13, victim.offset + 20, victim.end - 1]) {
        const dir = path.join(base, `flip-${name}-${at}`);
        copyDir(src, dir);
        const file = path.join(dir, name);
        const buf = fs.readFileSync(file);
        buf[at]! ^= 0x01;
        fs.writeFileSync(file, buf);
        const bytes = fs.readFileSync(file);
        await assert.rejects(Wal.open(dir), (e) => expectCorrupt(e, name, victim.offset), `${name} at ${at}`);
        // Refusing changed nothing on disk and left no lock behind.
        assert.deepEqual(fs.readFileSync(file), bytes);
        assert.equal(fs.existsSync(path.join(dir, 'lock')), false);
      }
    }
  } finally {
    cleanup();
  }
});

test('a crc mismatch message reads like etcd\'s', async () => {
  const { dir, cleanup } = walDir();
  try {
    await buildLog(dir, 23);
    const name = segmentFiles(dir)[1]!;
    const victim = entryRecords(path.join(dir, name))[0]!;
    const buf = fs.readFileSync(path.join(dir, name));
    buf[victim.offset + 20]! ^= 0x80;
    fs.writeFileSync(path.join(dir, name), buf);
    await assert.rejects(Wal.open(dir), {
      message: `wal: corrupt: crc mismatch in ${name} at offset ${victim.offset} (a valid record follows at offset ${victim.end}) (not the last segment, so not a torn write)`,
    });
  } finally {
    cleanup();
  }
});

test('a torn end of a segment that is not the last refuses to open', async () => {
  const { dir, cleanup } = walDir();
  try {
    await buildLog(dir, 23);
    const name = segmentFiles(dir)[1]!;
    const recs = entryRecords(path.join(dir, name));
    const last = recs.at(-1)!;
    fs.truncateSync(path.join(dir, name), last.end - 3);
    await assert.rejects(Wal.open(dir), (e) => expectCorrupt(e, name, last.offset));
  } finally {
    cleanup();
  }
});

test('a missing middle segment refuses to open', async () => {
  const { dir, cleanup } = walDir();
  try {
    await buildLog(dir, 23);
    const segs = segmentFiles(dir);
    assert.ok(segs.length >= 3);
    fs.rmSync(path.join(dir, segs[1]!));
    await assert.rejects(Wal.open(dir), (e) => isWalError(e, 'ERR_WAL_CORRUPT') && /missing segment/.test(e.message) && e.message.includes(segs[2]!));
  } finally {
    cleanup();
  }
});

test('a segment from another log spliced in breaks the chain and refuses to open', async () => {
  const { dir: base, cleanup } = tempDir();
  try {
    const a = path.join(base, 'a');
    const b = path.join(base, 'b');
    await buildLog(a, 23);
    // Same shape, different content from entry 8 on.
    const wal = await Wal.create(b, META, { segmentSize: SMALL });
    for (let i = 1; i <= 23; i++) {
      const e = entries(i, i, 1 + Math.floor(i / 10), (k) => (k < 8 ? `value-${k}-${'z'.repeat(k % 13)}` : `other-${k}-${'y'.repeat(k % 13)}`));
      await wal.save(i % 5 === 0 ? hs(1 + Math.floor(i / 10), i - 1) : undefined, e, true);
    }
    await wal.close();
    const segs = segmentFiles(a);
    const victim = segs.find((s, i) => i > 1 && segmentFiles(b).includes(s))!;
    fs.copyFileSync(path.join(b, victim), path.join(a, victim));
    await assert.rejects(Wal.open(a), (e) => isWalError(e, 'ERR_WAL_CORRUPT') && /does not continue/.test(e.message) && e.message.includes(victim));
  } finally {
    cleanup();
  }
});

test('a gap in entry indexes refuses to open even when every CRC checks out', async () => {
  const { dir, cleanup } = walDir();
  try {
    fs.mkdirSync(dir);
    const fw = new FrameWriter(0);
    fw.append(RecordType.Crc, new Uint8Array(0));
    fw.append(RecordType.Metadata, META);
    fw.append(RecordType.Snapshot, encodeWalSnapshot({ index: 0, term: 0 }));
    fw.append(RecordType.Entry, encodeEntry(entries(1, 1, 1)[0]!));
    const gapAt = fw.length;
    fw.append(RecordType.Entry, encodeEntry(entries(3, 3, 1)[0]!));
    const name = segmentName(0, 0);
    fs.writeFileSync(path.join(dir, name), fw.take());
    await assert.rejects(Wal.open(dir), (e) => expectCorrupt(e, name, gapAt) && /gap/.test((e as Error).message));
  } finally {
    cleanup();
  }
});

test('damage inside the head of the last segment refuses: the head was durable before the segment had its name', async () => {
  const { dir, cleanup } = walDir();
  try {
    await buildLog(dir, 23);
    const name = segmentFiles(dir).at(-1)!;
    fs.truncateSync(path.join(dir, name), 24); // past the crc record, into the metadata record
    await assert.rejects(Wal.open(dir), (e) => expectCorrupt(e, name, 16));
  } finally {
    cleanup();
  }
});
