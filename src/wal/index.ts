// The write-ahead log and snapshot files under the Raft core.
//
// How a member uses them (etcd's order, reference §4.1–4.2):
//
//   start    markers = await Wal.snapshotMarkers(walDir)
//            snap = await loadNewestSnap(snapDir, { accept: s => markers has s })
//            { wal, hardState, entries } = await Wal.open(walDir, snap ? {index, term} : undefined)
//            storage.applySnapshot(snap); storage.setHardState(hardState); storage.append(entries)
//   Ready    if rd.snapshot: await saveSnap(snapDir, rd.snapshot); await wal.saveSnapshot({index, term})
//            await wal.save(rd.hardState, rd.entries, rd.mustSync)   (then send rd.messages)
//   compact  after taking a snapshot at i: saveSnap, wal.saveSnapshot, then
//            wal.releaseLockTo(i) and purgeSnaps(snapDir, 5)
//   new      Wal.create(walDir, metadata) for a member that has no log yet
export { crc32c } from './crc32c.js';
export {
  decodeEntry,
  decodeHardState,
  decodeSnapshot,
  decodeWalSnapshot,
  encodeEntry,
  encodeHardState,
  encodeSnapshot,
  encodeWalSnapshot,
  type WalSnapshot,
} from './codec.js';
export { WalError, isWalError, type WalErrorCode } from './errors.js';
export { nodeFileOps, type FileOps, type WalFile } from './fileops.js';
export { DirLock, LOCK_NAME } from './lock.js';
export { stderrLogger, type WalLogger } from './log.js';
export { parseSegmentName, parseSnapName, segmentName, snapName } from './names.js';
export { FrameWriter, RecordType, frameSize, scanSegment, type Damage, type DecodedRecord, type SegmentScan } from './record.js';
export { decodeSnapFile, encodeSnapFile, loadNewestSnap, purgeSnaps, saveSnap, type LoadedSnap, type SnapOptions } from './snap.js';
export { DEFAULT_SEGMENT_SIZE, Wal, type TornTail, type WalOptions, type WalReplay } from './wal.js';
