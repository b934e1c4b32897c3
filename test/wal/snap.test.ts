// .snap files: atomic saves, the newest valid one loaded, corrupt ones set
// aside as .broken with a log line, purge keeping the newest N.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Snapshot } from '../../src/raft/types.js';
import { isWalError } from '../../src/wal/errors.js';
import { snapName } from '../../src/wal/names.js';
import { decodeSnapFile, encodeSnapFile, loadNewestSnap, purgeSnaps, saveSnap } from '../../src/wal/snap.js';
import { Wal } from '../../src/wal/wal.js';
import { META, TestFileOps, entries, hs, memoryLogger, tempDir } from './helpers.js';

function snap(index: number, term: number, text = `state at ${index}`): Snapshot {
  return {
    metadata: { index, term, confState: { voters: ['n1', 'n2', 'n3'], learners: index % 2 ? ['n4'] : [] } },
    data: new TextEncoder().encode(text),
  };
}

test('saved snapshots are named term-index, load back whole, and the newest wins', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const ops = new TestFileOps();
    assert.equal(await saveSnap(dir, snap(100, 2), { fileOps: ops }), '0000000000000002-0000000000000064.snap');
    assert.equal(ops.fsyncs, 1);
    await saveSnap(dir, snap(300, 3));
    await saveSnap(dir, snap(200, 3));
    assert.deepEqual(fs.readdirSync(dir).sort(), [snapName(2, 100), snapName(3, 200), snapName(3, 300)]);
    const got = await loadNewestSnap(dir, { logger: memoryLogger() });
    assert.deepEqual(got, { snapshot: snap(300, 3), file: snapName(3, 300) });
    // Narrowed to snapshots the WAL knows of.
    const known = await loadNewestSnap(dir, { accept: (s) => s.index <= 200 });
    assert.deepEqual(known?.snapshot, snap(200, 3));
    assert.equal(await loadNewestSnap(fs.mkdtempSync(path.join(dir, 'empty-'))), undefined);
    await assert.rejects(saveSnap(dir, snap(0, 0)), (e) => isWalError(e, 'ERR_WAL_BAD_REQUEST'));
  } finally {
    cleanup();
  }
});

test('every damaged byte of a .snap file is caught', () => {
  const good = encodeSnapFile(snap(7, 1, 'some application state'));
  const name = snapName(1, 7);
  assert.deepEqual(decodeSnapFile(good, name), snap(7, 1, 'some application state'));
  for (let i = 0; i < good.length; i++) {
    const bad = good.slice();
    bad[i]! ^= 0x04;
    assert.throws(() => decodeSnapFile(bad, name), (e) => isWalError(e, 'ERR_SNAP_CORRUPT') && e.message.includes(name), `byte ${i}`);
  }
  for (let cut = 0; cut < good.length; cut++) {
    assert.throws(() => decodeSnapFile(good.subarray(0, cut), name), (e) => isWalError(e, 'ERR_SNAP_CORRUPT'));
  }
  // A whole, valid file under another snapshot's name is caught too.
  assert.throws(() => decodeSnapFile(good, snapName(1, 8)), /not what its name says/);
});

test('a corrupt newest snapshot is renamed .broken with a log line and the next one loaded', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await saveSnap(dir, snap(100, 2));
    const newest = await saveSnap(dir, snap(200, 2));
    const truncated = await saveSnap(dir, snap(300, 2));
    const p = path.join(dir, newest);
    const buf = fs.readFileSync(p);
    buf[buf.length - 3]! ^= 0xff;
    fs.writeFileSync(p, buf);
    fs.truncateSync(path.join(dir, truncated), 10);
    const logger = memoryLogger();
    const got = await loadNewestSnap(dir, { logger });
    assert.deepEqual(got?.snapshot, snap(100, 2));
    assert.deepEqual(fs.readdirSync(dir).sort(), [snapName(2, 100), `${newest}.broken`, `${truncated}.broken`].sort());
    const warned = logger.lines.filter((l) => l.level === 'warn').map((l) => l.fields['file']);
    assert.deepEqual(warned, [truncated, newest]);
    assert.match(String(logger.lines[1]!.fields['error']), /crc mismatch/);
  } finally {
    cleanup();
  }
});

test('purge keeps the newest N and removes leftovers of crashed saves', async () => {
  const { dir, cleanup } = tempDir();
  try {
    for (const i of [5, 1, 4, 2, 3]) await saveSnap(dir, snap(i * 10, 1));
    fs.writeFileSync(path.join(dir, `${snapName(1, 60)}.tmp`), 'half');
    fs.writeFileSync(path.join(dir, 'keep-me.txt'), 'not ours');
    const gone = await purgeSnaps(dir, 2);
    assert.deepEqual(gone, [`${snapName(1, 60)}.tmp`, snapName(1, 10), snapName(1, 20), snapName(1, 30)]);
    assert.deepEqual(fs.readdirSync(dir).sort(), [snapName(1, 40), snapName(1, 50), 'keep-me.txt']);
    await assert.rejects(purgeSnaps(dir, 0), (e) => isWalError(e, 'ERR_WAL_BAD_REQUEST'));
  } finally {
    cleanup();
  }
});

test('start-up: the newest .snap the WAL has a committed marker for is the one to open from', async () => {
  const { dir: base, cleanup } = tempDir();
  try {
    const walDir = path.join(base, 'wal');
    const snapDir = path.join(base, 'snap');
    fs.mkdirSync(snapDir);
    const wal = await Wal.create(walDir, META, { segmentSize: 512 });
    for (let i = 1; i <= 30; i++) await wal.save(hs(1, i), entries(i, i, 1), true);
    await saveSnap(snapDir, snap(10, 1));
    await wal.saveSnapshot({ index: 10, term: 1 });
    // Crash between writing the .snap file and its WAL marker: an orphan.
    await saveSnap(snapDir, snap(20, 1));
    await wal.close();

    assert.deepEqual(await Wal.snapshotMarkers(walDir), [{ index: 0, term: 0 }, { index: 10, term: 1 }]);
    const markers = await Wal.snapshotMarkers(walDir);
    const got = await loadNewestSnap(snapDir, {
      logger: memoryLogger(),
      accept: (s) => markers.some((m) => m.index === s.index && m.term === s.term),
    });
    assert.deepEqual(got?.snapshot, snap(10, 1));
    const r = await Wal.open(walDir, { index: 10, term: 1 });
    assert.deepEqual(r.entries, entries(11, 30, 1));
    await r.wal.close();
    // Opening from the orphan would have failed.
    await assert.rejects(Wal.open(walDir, { index: 20, term: 1 }), (e) => isWalError(e, 'ERR_WAL_SNAPSHOT_NOT_FOUND'));
  } finally {
    cleanup();
  }
});
