// Round trips through real files: what is saved is what open() replays,
// across segment cuts, with Raft's truncation and snapshot rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Wal } from '../../src/wal/wal.js';
import { isWalError } from '../../src/wal/errors.js';
import { parseSegmentName } from '../../src/wal/names.js';
import type { Entry } from '../../src/raft/types.js';
import { META, entries, hs, memoryLogger, segmentFiles, walDir } from './helpers.js';

const SMALL = 512; // bytes: a cut every few records

test('entries, hard states and snapshot markers replay exactly across several segments', async () => {
  const { dir, cleanup } = walDir();
  try {
    const wal = await Wal.create(dir, META, { segmentSize: SMALL });
    const all: Entry[] = [];
    for (let i = 1; i <= 60; i += 3) {
      const batch = entries(i, i + 2, 1 + Math.floor(i / 20));
      all.push(...batch);
      await wal.save(hs(1 + Math.floor(i / 20), i), batch, true);
      if (i === 31) await wal.saveSnapshot({ index: 20, term: 2 });
    }
    await wal.close();
    const files = segmentFiles(dir);
    assert.ok(files.length >= 5, `only ${files.length} segments`);
    // Names: seq counts up from 0, the index names the first entry the segment was opened for.
    files.forEach((f, i) => assert.equal(parseSegmentName(f)!.seq, i));
    assert.equal(files[0], '0000000000000000-0000000000000000.wal');

    const r = await Wal.open(dir, { index: 0, term: 0 }, { segmentSize: SMALL });
    assert.deepEqual(r.metadata, META);
    assert.deepEqual(r.hardState, hs(3, 58));
    assert.deepEqual(r.entries, all);
    assert.deepEqual(r.snapshots, [{ index: 0, term: 0 }, { index: 20, term: 2 }]);
    assert.equal(r.torn, undefined);
    await r.wal.close();

    // Opening from the snapshot skips what it covers.
    const s = await Wal.open(dir, { index: 20, term: 2 });
    assert.deepEqual(s.entries, all.slice(20));
    assert.deepEqual(s.hardState, hs(3, 58));
    await s.wal.close();
  } finally {
    cleanup();
  }
});

test('a later entry at an index replaces it and everything after, as Raft truncates', async () => {
  const { dir, cleanup } = walDir();
  try {
    const wal = await Wal.create(dir, META, { segmentSize: SMALL });
    await wal.save(hs(1, 0), entries(1, 10, 1), true);
    await wal.save(hs(2, 3), entries(6, 8, 2), true); // a new leader overwrote 6..10
    await wal.save(undefined, entries(9, 9, 2), true);
    await wal.close();
    const r = await Wal.open(dir);
    assert.deepEqual(r.entries, [...entries(1, 5, 1), ...entries(6, 9, 2)]);
    assert.deepEqual(r.hardState, hs(2, 3));
    // Appending after reopen continues the chain and the log.
    await r.wal.save(hs(2, 9), entries(10, 12, 2), true);
    await r.wal.close();
    const again = await Wal.open(dir);
    assert.deepEqual(again.entries, [...entries(1, 5, 1), ...entries(6, 12, 2)]);
    assert.deepEqual(again.hardState, hs(2, 9));
    await again.wal.close();
  } finally {
    cleanup();
  }
});

test('a received snapshot jumps the log; the marker must match the snapshot opened from', async () => {
  const { dir, cleanup } = walDir();
  try {
    const wal = await Wal.create(dir, META);
    await wal.save(hs(1, 2), entries(1, 3, 1), true);
    // Entries past a received snapshot need its marker first.
    await assert.rejects(wal.save(undefined, entries(101, 101, 4), true), (e) => isWalError(e, 'ERR_WAL_BAD_REQUEST'));
    await wal.saveSnapshot({ index: 100, term: 4 });
    await wal.save(hs(4, 101), entries(101, 102, 4), true);
    await wal.close();

    const r = await Wal.open(dir, { index: 100, term: 4 });
    assert.deepEqual(r.entries, entries(101, 102, 4));
    await r.wal.close();
    await assert.rejects(Wal.open(dir, { index: 100, term: 5 }), (e) => isWalError(e, 'ERR_WAL_SNAPSHOT_MISMATCH'));
    await assert.rejects(Wal.open(dir, { index: 50, term: 4 }), (e) => isWalError(e, 'ERR_WAL_SNAPSHOT_NOT_FOUND'));
    // From the start, entries 4..100 are not in the log: open from the snapshot instead.
    await assert.rejects(Wal.open(dir), (e) => isWalError(e, 'ERR_WAL_SNAPSHOT_NOT_FOUND') && /4\.\.100/.test(e.message));
  } finally {
    cleanup();
  }
});

test('saves that would leave a gap or are not consecutive are refused before anything is written', async () => {
  const { dir, cleanup } = walDir();
  try {
    const wal = await Wal.create(dir, META);
    await wal.save(undefined, entries(1, 2, 1), true);
    await assert.rejects(wal.save(undefined, entries(4, 4, 1), true), /gap/);
    await assert.rejects(wal.save(undefined, [...entries(3, 3, 1), ...entries(5, 5, 1)], true), /not consecutive/);
    await assert.rejects(wal.save({ term: 2 ** 53, vote: '', commit: 0 }, [], true), (e) => isWalError(e, 'ERR_WAL_BAD_REQUEST'));
    await assert.rejects(wal.saveSnapshot({ index: -1, term: 0 }), (e) => isWalError(e, 'ERR_WAL_BAD_REQUEST'));
    await wal.close();
    await assert.rejects(wal.save(undefined, entries(3, 3, 1), true), (e) => isWalError(e, 'ERR_WAL_CLOSED'));
    const r = await Wal.open(dir);
    assert.deepEqual(r.entries, entries(1, 2, 1));
    await r.wal.close();
  } finally {
    cleanup();
  }
});

test('releaseLockTo deletes only segments wholly before the snapshot; the log opens from it', async () => {
  const { dir, cleanup } = walDir();
  try {
    const wal = await Wal.create(dir, META, { segmentSize: SMALL });
    for (let i = 1; i <= 40; i++) await wal.save(hs(1, i - 1), entries(i, i, 1), true);
    await wal.saveSnapshot({ index: 25, term: 1 });
    const before = wal.segmentNames();
    const gone = await wal.releaseLockTo(25);
    assert.ok(gone.length > 0);
    const kept = wal.segmentNames();
    assert.deepEqual([...gone, ...kept], before);
    // The first kept segment starts at or below 25; the next one above it.
    assert.ok(parseSegmentName(kept[0]!)!.index <= 25);
    assert.ok(kept.length === 1 || parseSegmentName(kept[1]!)!.index > 25);
    await wal.save(hs(1, 40), entries(41, 41, 1), true);
    await wal.close();
    const onDisk = segmentFiles(dir);
    assert.equal(onDisk[0], kept[0]);
    for (const g of gone) assert.ok(!onDisk.includes(g));

    const r = await Wal.open(dir, { index: 25, term: 1 });
    assert.deepEqual(r.entries, entries(26, 41, 1));
    assert.deepEqual(r.hardState, hs(1, 40)); // carried into every new segment's head
    await r.wal.close();
    await assert.rejects(Wal.open(dir), (e) => isWalError(e, 'ERR_WAL_NOT_FOUND'));
  } finally {
    cleanup();
  }
});

test('the hard state survives the release of the segment that first held it', async () => {
  const { dir, cleanup } = walDir();
  try {
    const wal = await Wal.create(dir, META, { segmentSize: SMALL });
    await wal.save(hs(7, 0, 'n3'), entries(1, 1, 7), true);
    for (let i = 2; i <= 30; i++) await wal.save(undefined, entries(i, i, 7), true);
    await wal.saveSnapshot({ index: 30, term: 7 });
    assert.ok((await wal.releaseLockTo(30)).includes('0000000000000000-0000000000000000.wal'));
    await wal.close();
    const r = await Wal.open(dir, { index: 30, term: 7 });
    assert.deepEqual(r.hardState, hs(7, 0, 'n3'));
    assert.deepEqual(r.entries, []);
    await r.wal.close();
  } finally {
    cleanup();
  }
});

test('create refuses a directory that holds a log; open refuses one that does not', async () => {
  const { dir, cleanup } = walDir();
  try {
    await assert.rejects(Wal.open(dir), (e) => isWalError(e, 'ERR_WAL_NOT_FOUND'));
    const wal = await Wal.create(dir, META);
    await wal.close();
    await assert.rejects(Wal.create(dir, META), (e) => isWalError(e, 'ERR_WAL_EXISTS'));
    assert.equal(fs.existsSync(`${dir}.tmp`), false);
    assert.deepEqual(fs.readdirSync(dir), ['0000000000000000-0000000000000000.wal']); // lock removed on close
  } finally {
    cleanup();
  }
});

test('a cut that crashed before its rename leaves a .tmp that open removes with a log line', async () => {
  const { dir, cleanup } = walDir();
  try {
    const wal = await Wal.create(dir, META);
    await wal.save(hs(1, 0), entries(1, 3, 1), true);
    await wal.close();
    fs.writeFileSync(path.join(dir, '0000000000000001-0000000000000004.wal.tmp'), 'half a header');
    const logger = memoryLogger();
    const r = await Wal.open(dir, undefined, { logger });
    assert.deepEqual(r.entries, entries(1, 3, 1));
    assert.ok(logger.lines.some((l) => /unfinished segment/.test(l.msg)));
    assert.deepEqual(segmentFiles(dir), ['0000000000000000-0000000000000000.wal']);
    await r.wal.close();
  } finally {
    cleanup();
  }
});
