// Group commit and write failures, through the FileOps seam: fsyncs are
// counted, a datasync can be held in flight, writes can fail with ENOSPC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { segmentName } from '../../src/wal/names.js';
import { Wal } from '../../src/wal/wal.js';
import { isWalError } from '../../src/wal/errors.js';
import { META, TestFileOps, entries, hs, memoryLogger, segmentFiles, walDir } from './helpers.js';

test('saves issued while an fsync is in flight share the next one', async () => {
  const { dir, cleanup } = walDir();
  try {
    const ops = new TestFileOps();
    const wal = await Wal.create(dir, META, { fileOps: ops });
    const base = ops.fsyncs;
    ops.holdSync = true;
    let done = 0;
    const first = wal.save(hs(1, 0), entries(1, 1, 1), true).then(() => done++);
    await ops.syncParked(); // the first save's fsync is in flight
    const rest: Promise<number>[] = [];
    for (let i = 2; i <= 51; i++) rest.push(wal.save(hs(1, i - 1), entries(i, i, 1), true).then(() => done++));
    assert.equal(done, 0, 'nothing is acknowledged before its fsync returns');
    ops.release();
    await first;
    assert.equal(done, 1);
    await ops.syncParked(); // the other fifty wait on one fsync together
    assert.equal(done, 1, 'the batched saves wait for their fsync');
    ops.holdSync = false;
    ops.release();
    await Promise.all(rest);
    assert.equal(done, 51);
    assert.equal(ops.fsyncs - base, 2, '51 saves, 2 fsyncs');
    await wal.close();
    const r = await Wal.open(dir);
    assert.deepEqual(r.entries, entries(1, 51, 1));
    assert.deepEqual(r.hardState, hs(1, 50));
    await r.wal.close();
  } finally {
    cleanup();
  }
});

test('many saves issued at once complete with fewer fsyncs than saves, in order', async () => {
  const { dir, cleanup } = walDir();
  try {
    const ops = new TestFileOps();
    const wal = await Wal.create(dir, META, { fileOps: ops, segmentSize: 2048 });
    const base = ops.fsyncs;
    const order: number[] = [];
    const saves: Promise<void>[] = [];
    for (let i = 1; i <= 200; i++) {
      saves.push(wal.save(hs(1, i - 1), entries(i, i, 1), true).then(() => void order.push(i)));
      if (i % 40 === 0) await Promise.resolve(); // let some batches start in between
    }
    await Promise.all(saves);
    assert.deepEqual(order, Array.from({ length: 200 }, (_, i) => i + 1));
    const fsyncs = ops.fsyncs - base;
    assert.ok(fsyncs < 200 / 4, `${fsyncs} fsyncs for 200 saves`);
    await wal.close();
    assert.ok(segmentFiles(dir).length > 1);
    const r = await Wal.open(dir);
    assert.deepEqual(r.entries, entries(1, 200, 1));
    await r.wal.close();
  } finally {
    cleanup();
  }
});

test('a save without mustSync is not fsynced; one with it is', async () => {
  const { dir, cleanup } = walDir();
  try {
    const ops = new TestFileOps();
    const wal = await Wal.create(dir, META, { fileOps: ops });
    const base = ops.fsyncs;
    await wal.save(hs(1, 1), [], false); // only the commit index moved
    assert.equal(ops.fsyncs, base);
    await wal.save(hs(1, 1), entries(1, 1, 1), true);
    assert.equal(ops.fsyncs, base + 1);
    await wal.close();
  } finally {
    cleanup();
  }
});

for (const truncateFails of [false, true]) {
  test(`ENOSPC mid-write rejects every pending save and the log reopens with all acknowledged records (truncate ${truncateFails ? 'fails too' : 'works'})`, async () => {
    const { dir, cleanup } = walDir();
    try {
      const ops = new TestFileOps();
      const logger = memoryLogger();
      const wal = await Wal.create(dir, META, { fileOps: ops, logger });
      await wal.save(hs(1, 0), entries(1, 10, 1), true); // acknowledged
      ops.holdSync = true;
      const inFlight = wal.save(hs(1, 5), entries(11, 11, 1), true);
      await ops.syncParked();
      // These queue behind the in-flight fsync; their write will hit a full disk halfway.
      const doomed = [wal.save(hs(1, 6), entries(12, 14, 1), true), wal.save(undefined, entries(15, 15, 1), true)];
      ops.failWrite = { code: 'ENOSPC', partial: 100 };
      ops.failTruncate = truncateFails;
      ops.holdSync = false;
      ops.release();
      await inFlight; // acknowledged before the disk filled
      for (const d of doomed) {
        await assert.rejects(d, (e) => isWalError(e, 'ERR_WAL_WRITE_FAILED') && /ENOSPC/.test(e.message) && /reopen/.test(e.message));
      }
      // The log takes nothing more.
      await assert.rejects(wal.save(undefined, entries(12, 12, 1), true), (e) => isWalError(e, 'ERR_WAL_WRITE_FAILED'));
      assert.ok(logger.lines.some((l) => /write failed/.test(l.msg)));
      await wal.close();

      ops.failWrite = undefined;
      ops.failTruncate = false;
      const r = await Wal.open(dir, undefined, { logger });
      // Everything acknowledged is there; the partial write is gone (by the
      // failed save's own truncate, or else as a torn tail at open).
      assert.deepEqual(r.entries.slice(0, 11), entries(1, 11, 1));
      assert.ok(r.entries.length <= 14);
      assert.equal(r.torn !== undefined, truncateFails);
      await r.wal.save(hs(1, 11), entries(12, 12, 2), true);
      await r.wal.close();
      const again = await Wal.open(dir);
      assert.deepEqual(again.entries, [...entries(1, 11, 1), ...entries(12, 12, 2)]);
      await again.wal.close();
    } finally {
      cleanup();
    }
  });
}

test('a failed segment cut fails the save and leaves only a .tmp that the next open removes', async () => {
  const { dir, cleanup } = walDir();
  try {
    const ops = new TestFileOps();
    const wal = await Wal.create(dir, META, { fileOps: ops, segmentSize: 256, logger: memoryLogger() });
    await wal.save(hs(1, 0), entries(1, 12, 1), true); // past 256 bytes: the next save cuts first
    ops.failWrite = { code: 'ENOSPC', partial: 8 };
    await assert.rejects(wal.save(undefined, entries(13, 13, 1), true), (e) => isWalError(e, 'ERR_WAL_WRITE_FAILED'));
    await wal.close();
    assert.ok(fs.readdirSync(dir).some((n) => n.endsWith('.wal.tmp')));
    const r = await Wal.open(dir, undefined, { logger: memoryLogger(), segmentSize: 256 });
    assert.deepEqual(r.entries, entries(1, 12, 1));
    assert.ok(!fs.readdirSync(dir).some((n) => n.endsWith('.tmp')));
    await r.wal.save(undefined, entries(13, 13, 1), true);
    await r.wal.close();
    // The new segment is named for the first entry after those written before the cut.
    assert.deepEqual(segmentFiles(dir), [segmentName(0, 0), segmentName(1, 13)]);
  } finally {
    cleanup();
  }
});
