// The write-ahead log and snapshot files under the Raft core.
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
