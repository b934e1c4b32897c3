// The pure layer: encodings of the Raft types, and frames read back by
// scanSegment with torn tails told apart from corruption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeEntry,
  decodeHardState,
  decodeSnapshot,
  decodeWalSnapshot,
  encodeEntry,
  encodeHardState,
  encodeSnapshot,
  encodeWalSnapshot,
} from '../../src/wal/codec.js';
import { FrameWriter, RecordType, frameSize, scanSegment } from '../../src/wal/record.js';
import { entry } from './helpers.js';

const BIG = Number.MAX_SAFE_INTEGER;

test('entries, hard states, markers and snapshots round-trip, 2^53-1 included', () => {
  for (const e of [entry(1, 1), { ...entry(BIG, BIG - 1), data: new Uint8Array(0) }, entry(7, 3)]) {
    assert.deepEqual(decodeEntry(encodeEntry(e)), e);
  }
  for (const h of [
    { term: 0, vote: '', commit: 0 },
    { term: BIG, vote: 'ﬀ-18446744073709551615', commit: BIG },
  ]) {
    assert.deepEqual(decodeHardState(encodeHardState(h)), h);
  }
  assert.deepEqual(decodeWalSnapshot(encodeWalSnapshot({ index: BIG, term: 3 })), { index: BIG, term: 3 });
  const snap = {
    metadata: { index: 10, term: 2, confState: { voters: ['a', 'b', 'c'], learners: ['d'] } },
    data: new Uint8Array([1, 2, 3]),
  };
  assert.deepEqual(decodeSnapshot(encodeSnapshot(snap)), snap);
});

test('decoding is strict: short, trailing bytes, bad entry type, above 2^53', () => {
  const b = encodeEntry(entry(5, 1));
  assert.throws(() => decodeEntry(b.subarray(0, b.length - 1)), RangeError);
  assert.throws(() => decodeEntry(new Uint8Array([...b, 0])), RangeError);
  const badType = b.slice();
  badType[16] = 9;
  assert.throws(() => decodeEntry(badType), /unknown entry type 9/);
  const huge = b.slice();
  new DataView(huge.buffer).setBigUint64(0, 2n ** 53n, true);
  assert.throws(() => decodeEntry(huge), /above 2\^53/);
  assert.throws(() => encodeEntry({ ...entry(1, 1), index: 2 ** 53 }), RangeError);
});

function segment(n: number): { buf: Uint8Array; offsets: number[]; chain: number } {
  const fw = new FrameWriter(0);
  fw.append(RecordType.Crc, new Uint8Array(0));
  const offsets = [0];
  for (let i = 1; i <= n; i++) {
    offsets.push(fw.length);
    fw.append(RecordType.Entry, encodeEntry(entry(i, 1, 'x'.repeat(i))));
  }
  const chain = fw.chain;
  return { buf: fw.take(), offsets, chain };
}

test('frames are 8-aligned with zero padding and read back in order', () => {
  for (let len = 0; len < 20; len++) assert.equal(frameSize(len) % 8, 0);
  const { buf, offsets, chain } = segment(9);
  for (const o of offsets) assert.equal(o % 8, 0);
  const scan = scanSegment(buf, undefined);
  assert.equal(scan.damage, undefined);
  assert.equal(scan.end, buf.length);
  assert.equal(scan.chain, chain);
  assert.deepEqual(
    scan.records.slice(1).map((r) => decodeEntry(r.data).index),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
});

test('a segment must continue the chain it follows', () => {
  const { buf } = segment(3);
  // The first segment of a log carries chain 0; reading it after a chain of 5 is a splice.
  const scan = scanSegment(buf, 5);
  assert.equal(scan.damage?.kind, 'corrupt');
  assert.match(scan.damage!.reason, /does not continue/);
  assert.equal(scanSegment(buf, 0).damage, undefined);
});

test('swapping two records breaks the chain', () => {
  const { buf, offsets } = segment(4);
  const a = buf.slice(offsets[2]!, offsets[3]!);
  const b = buf.slice(offsets[3]!, offsets[4]!);
  const swapped = buf.slice();
  swapped.set(b, offsets[2]!);
  swapped.set(a, offsets[2]! + b.length);
  const scan = scanSegment(swapped, undefined);
  assert.equal(scan.damage?.offset, offsets[2]);
  assert.equal(scan.damage?.kind, 'corrupt');
});

test('every cut inside the last record is torn; every flipped byte before it is corrupt', () => {
  const { buf, offsets } = segment(6);
  const last = offsets[6]!;
  for (let cut = last + 1; cut < buf.length; cut++) {
    const scan = scanSegment(buf.subarray(0, cut), undefined);
    assert.equal(scan.damage?.kind, 'torn', `cut at ${cut}`);
    assert.equal(scan.end, last);
    assert.equal(scan.records.length, 6);
  }
  // Every byte of records 1..5 (the crc record's lone field is only checked
  // against a chain, so start after it), each bit pattern flipped.
  for (let at = offsets[1]!; at < last; at++) {
    const bad = buf.slice();
    bad[at]! ^= 0xff;
    const scan = scanSegment(bad, undefined);
    assert.equal(scan.damage?.kind, 'corrupt', `flip at ${at}: ${JSON.stringify(scan.damage)}`);
    assert.ok(scan.damage!.offset <= at);
  }
});
