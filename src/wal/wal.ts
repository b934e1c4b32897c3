// The write-ahead log: a directory of segment files (see record.ts for the
// framing and names.ts for the names) that the member appends Raft's hard
// state, entries and snapshot markers to, and replays into a MemoryStorage
// when it starts.
//
// Durability contract (etcd's, see reference §4.2):
// - save() resolves only after the records are written and, when mustSync,
//   after fdatasync returned. Saves issued while a write or fsync is under
//   way are batched into the next one (group commit): one write, one fsync.
// - A segment is cut once it reaches segmentSize: the old one is fsynced, the
//   new one is written under a .tmp name with its header (crc, metadata, last
//   hard state), fsynced, renamed into place, and the directory fsynced. So
//   every segment but the last is complete, and only the last can have a
//   torn tail.
// - Any write, fsync or cut failure (ENOSPC, EIO) rejects every pending save
//   and closes the log to writes: after a failed fsync the page cache cannot
//   be trusted, so the only way on is to reopen, which recovers.
//
// Where we differ from etcd: segments are not preallocated (Node cannot
// fallocate; a sparse ftruncate buys nothing), so the file grows with each
// write; writes go straight to the file at a tracked offset, no page writer.
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Entry, HardState } from '../raft/types.js';
import { isEmptyHardState } from '../raft/types.js';
import {
  decodeHardState,
  decodeWalSnapshot,
  encodeEntry,
  encodeHardState,
  encodeWalSnapshot,
  type WalSnapshot,
} from './codec.js';
import { WalError, isWalError } from './errors.js';
import { nodeFileOps, type FileOps, type WalFile } from './fileops.js';
import { DirLock } from './lock.js';
import { stderrLogger, type WalLogger } from './log.js';
import { searchIndex, segmentName, sortSegments, type SegmentName } from './names.js';
import { FrameWriter, RecordType, scanSegment } from './record.js';
import { Replayer } from './replay.js';

export const DEFAULT_SEGMENT_SIZE = 64 * 1000 * 1000;

export interface WalOptions {
  /** Cut a new segment once the current one reaches this many bytes. Default 64 MB, as etcd. */
  segmentSize?: number;
  logger?: WalLogger;
  /** The file operations to use; tests pass a wrapper to count or fail them. */
  fileOps?: FileOps;
}

/** A torn tail that open() cut off the last segment. */
export interface TornTail {
  file: string;
  /** Where the last segment now ends. */
  offset: number;
  /** How many bytes were cut. */
  bytes: number;
  reason: string;
}

export interface WalReplay {
  wal: Wal;
  metadata: Uint8Array;
  /** The last hard state saved (all zero if none was). */
  hardState: HardState;
  /** The entries after the snapshot opened from, in order, truncations applied. */
  entries: Entry[];
  /** The snapshot markers read, in order (only from the segments read). */
  snapshots: WalSnapshot[];
  torn: TornTail | undefined;
}

interface Pending {
  type: RecordType;
  data: Uint8Array;
}

interface Batch {
  records: Pending[];
  sync: boolean;
  /** The writer's lastIndex once this batch is written: names a segment cut after it. */
  lastIndex: number;
  waiters: { resolve: () => void; reject: (err: Error) => void }[];
}

function newBatch(lastIndex: number): Batch {
  return { records: [], sync: false, lastIndex, waiters: [] };
}

interface Tail {
  file: WalFile;
  name: string;
  /** End of the last complete write. */
  offset: number;
}

async function dirExists(dir: string): Promise<boolean> {
  try {
    return (await fsp.stat(dir)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

export class Wal {
  private pending: Batch;
  private flushing: Promise<void> | undefined;
  private failed: WalError | undefined;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly ops: FileOps,
    private readonly logger: WalLogger,
    private readonly segmentSize: number,
    private readonly lock: DirLock,
    private readonly metadata: Uint8Array,
    private segments: SegmentName[],
    private tail: Tail,
    /** CRC chain after the last record written to the file. */
    private chain: number,
    /** Index bookkeeping of what was saved (queued), the same rules Replayer checks. */
    private expectNext: number,
    private lastIndex: number,
    private hardStateData: Uint8Array | undefined,
  ) {
    this.writtenLastIndex = lastIndex;
    this.pending = newBatch(lastIndex);
  }

  /** lastIndex as of the records in the file (not those queued): names the next segment. */
  private writtenLastIndex: number;

  /** Whether `dir` holds a log (any segment file). */
  static async exists(dir: string): Promise<boolean> {
    if (!(await dirExists(dir))) return false;
    return sortSegments(await fsp.readdir(dir)).length > 0;
  }

  /**
   * Creates a log in `dir` (which must not hold one) with the caller's
   * metadata (member and cluster id, opaque here). The first segment is
   * written in `dir.tmp` and the directory renamed into place, so a crash
   * leaves either no log or a whole one.
   */
  static async create(dir: string, metadata: Uint8Array, opts: WalOptions = {}): Promise<Wal> {
    const ops = opts.fileOps ?? nodeFileOps;
    if (await Wal.exists(dir)) throw new WalError('ERR_WAL_EXISTS', dir, { file: dir });
    if (await dirExists(dir)) {
      try {
        await fsp.rmdir(dir);
      } catch (err) {
        throw new WalError('ERR_WAL_EXISTS', `${dir} is not empty`, { file: dir, cause: err });
      }
    }
    const tmp = `${dir}.tmp`;
    await fsp.rm(tmp, { recursive: true, force: true });
    await ops.mkdir(tmp);
    const first = segmentName(0, 0);
    const fw = new FrameWriter(0);
    fw.append(RecordType.Crc, new Uint8Array(0));
    fw.append(RecordType.Metadata, metadata);
    fw.append(RecordType.Snapshot, encodeWalSnapshot({ index: 0, term: 0 }));
    const head = fw.take();
    const f = await ops.open(path.join(tmp, first), 'wx');
    try {
      await f.write(head, 0);
      await f.datasync();
    } finally {
      await f.close();
    }
    await ops.syncDir(tmp);
    await ops.rename(tmp, dir);
    await ops.syncDir(path.dirname(path.resolve(dir)));
    const logger = opts.logger ?? stderrLogger;
    const lock = DirLock.acquire(dir, logger);
    try {
      const file = await ops.open(path.join(dir, first), 'r+');
      return new Wal(
        dir,
        ops,
        logger,
        opts.segmentSize ?? DEFAULT_SEGMENT_SIZE,
        lock,
        metadata,
        [{ seq: 0, index: 0, name: first }],
        { file, name: first, offset: head.length },
        fw.chain,
        1,
        0,
        undefined,
      );
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /**
   * The snapshot markers in the log whose index is at or below the last
   * hard state's commit, read without taking the lock or repairing
   * anything (etcd's ValidSnapshotEntries). A member starts from the newest
   * .snap file among these: a .snap written just before a crash may have no
   * marker yet, and opening from it would fail.
   */
  static async snapshotMarkers(dir: string, opts: Pick<WalOptions, 'fileOps'> = {}): Promise<WalSnapshot[]> {
    const ops = opts.fileOps ?? nodeFileOps;
    const segs = sortSegments(await ops.readdir(dir));
    const markers: WalSnapshot[] = [];
    let commit = 0;
    let chain: number | undefined;
    for (let i = 0; i < segs.length; i++) {
      const name = segs[i]!.name;
      const scan = scanSegment(await ops.readFile(path.join(dir, name)), chain);
      for (const rec of scan.records) {
        try {
          if (rec.type === RecordType.Snapshot) markers.push(decodeWalSnapshot(rec.data));
          else if (rec.type === RecordType.State) commit = decodeHardState(rec.data).commit;
        } catch (err) {
          throw new WalError('ERR_WAL_CORRUPT', `undecodable record in ${name} at offset ${rec.offset}`, {
            file: name,
            offset: rec.offset,
            cause: err,
          });
        }
      }
      const d = scan.damage;
      if (d && (i < segs.length - 1 || d.kind === 'corrupt')) {
        throw new WalError('ERR_WAL_CORRUPT', `${d.reason} in ${name} at offset ${d.offset}`, { file: name, offset: d.offset });
      }
      chain = scan.chain;
    }
    return markers.filter((m) => m.index <= commit);
  }

  /**
   * Opens the log in `dir` for appending, after replaying it from the
   * snapshot `from` (whose marker must be in the log; {0, 0} for a log never
   * compacted). A torn tail of the last segment is cut off, logged and
   * reported in `torn`; damage anywhere else throws ERR_WAL_CORRUPT naming
   * the file and offset.
   */
  static async open(dir: string, from: WalSnapshot = { index: 0, term: 0 }, opts: WalOptions = {}): Promise<WalReplay> {
    const ops = opts.fileOps ?? nodeFileOps;
    const logger = opts.logger ?? stderrLogger;
    if (!(await dirExists(dir))) throw new WalError('ERR_WAL_NOT_FOUND', `no directory ${dir}`, { file: dir });
    const lock = DirLock.acquire(dir, logger);
    try {
      return await Wal.replay(dir, from, opts, ops, logger, lock);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private static async replay(
    dir: string,
    from: WalSnapshot,
    opts: WalOptions,
    ops: FileOps,
    logger: WalLogger,
    lock: DirLock,
  ): Promise<WalReplay> {
    const names = await ops.readdir(dir);
    for (const n of names) {
      // A cut that crashed before its rename left this; it holds nothing acknowledged.
      if (n.endsWith('.wal.tmp')) {
        await ops.unlink(path.join(dir, n));
        logger.warn('wal: removed an unfinished segment', { dir, file: n });
      }
    }
    const { replayer, segs, torn, chain, tailEnd } = await Wal.scanAll(dir, names, from, ops);
    const tailName = segs[segs.length - 1]!.name;
    const file = await ops.open(path.join(dir, tailName), 'r+');
    try {
      if (torn) {
        logger.warn('wal: cut off a torn record at the end of the log', { dir, ...torn });
        await file.truncate(torn.offset);
        await file.datasync();
      }
    } catch (err) {
      await file.close();
      throw err;
    }
    const wal = new Wal(
      dir,
      ops,
      logger,
      opts.segmentSize ?? DEFAULT_SEGMENT_SIZE,
      lock,
      replayer.metadata!,
      segs,
      { file, name: tailName, offset: tailEnd },
      chain ?? 0,
      replayer.expectNext,
      replayer.lastIndex,
      replayer.hardStateData,
    );
    return {
      wal,
      metadata: replayer.metadata!,
      hardState: replayer.hardState,
      entries: replayer.entries,
      snapshots: replayer.snapshots,
      torn,
    };
  }

  /**
   * Appends `entries` then `hardState` (skipped when undefined or empty).
   * Resolves once written, and when `mustSync` once fdatasync returned: only
   * then may the caller send the Ready's messages. Entries must be
   * consecutive and start at most one past the last entry (or snapshot
   * marker) saved; a lower start truncates the log there.
   */
  save(hardState: HardState | undefined, entries: Entry[], mustSync: boolean): Promise<void> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    const records: Pending[] = [];
    if (entries.length > 0) {
      const first = entries[0]!.index;
      if (first < 1 || first > this.expectNext) {
        return Promise.reject(
          new WalError('ERR_WAL_BAD_REQUEST', `entry ${first} would leave a gap: at most ${this.expectNext} may follow`),
        );
      }
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        if (e.index !== first + i) {
          return Promise.reject(new WalError('ERR_WAL_BAD_REQUEST', `entries not consecutive at ${e.index}`));
        }
        try {
          records.push({ type: RecordType.Entry, data: encodeEntry(e) });
        } catch (err) {
          return Promise.reject(new WalError('ERR_WAL_BAD_REQUEST', `entry ${e.index}: ${(err as Error).message}`, { cause: err }));
        }
      }
    }
    if (hardState && !isEmptyHardState(hardState)) {
      try {
        records.push({ type: RecordType.State, data: encodeHardState(hardState) });
      } catch (err) {
        return Promise.reject(new WalError('ERR_WAL_BAD_REQUEST', `hard state: ${(err as Error).message}`, { cause: err }));
      }
    }
    if (records.length === 0) return Promise.resolve();
    if (entries.length > 0) {
      this.lastIndex = entries[entries.length - 1]!.index;
      this.expectNext = this.lastIndex + 1;
    }
    return this.enqueue(records, mustSync);
  }

  /**
   * Records that a snapshot was taken (or received) at index/term, fsynced.
   * Save the .snap file first, and this marker before any entries after a
   * received snapshot: open() needs the marker, and the entries after it.
   */
  saveSnapshot(snap: WalSnapshot): Promise<void> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    let data: Uint8Array;
    try {
      data = encodeWalSnapshot(snap);
    } catch (err) {
      return Promise.reject(new WalError('ERR_WAL_BAD_REQUEST', `snapshot marker: ${(err as Error).message}`, { cause: err }));
    }
    this.expectNext = Math.max(this.expectNext, snap.index + 1);
    this.lastIndex = Math.max(this.lastIndex, snap.index);
    return this.enqueue([{ type: RecordType.Snapshot, data }], true);
  }

  /**
   * Deletes the segments that only hold entries at or below `index` (call
   * it with the index of a snapshot whose .snap file and marker are
   * durable). Keeps the last segment starting at or below `index`, which
   * may hold it, and everything after. etcd unlocks these files and purges
   * them later; we have no per-file locks, so release means delete.
   * Deletes oldest first, so a crash midway leaves a gapless sequence.
   * Returns the names deleted.
   */
  async releaseLockTo(index: number): Promise<string[]> {
    const refused = this.refusal();
    if (refused) throw refused;
    const k = searchIndex(this.segments, index);
    if (k <= 0) return [];
    const gone = this.segments.slice(0, k);
    for (const s of gone) {
      await this.ops.unlink(path.join(this.dir, s.name));
      this.segments = this.segments.slice(1);
    }
    await this.ops.syncDir(this.dir);
    return gone.map((s) => s.name);
  }

  /** Reads and checks every segment needed to replay from `from`: the part open() and read() share. */
  private static async scanAll(dir: string, names: string[], from: WalSnapshot, ops: FileOps) {
    const segs = sortSegments(names);
    if (segs.length === 0) throw new WalError('ERR_WAL_NOT_FOUND', `no segments in ${dir}`, { file: dir });
    for (let i = 1; i < segs.length; i++) {
      const want = segs[0]!.seq + i;
      if (segs[i]!.seq !== want) {
        throw new WalError(
          'ERR_WAL_CORRUPT',
          `missing segment: seq ${want.toString(16)} should come between ${segs[i - 1]!.name} and ${segs[i]!.name} in ${dir}`,
          { file: segs[i]!.name, offset: 0 },
        );
      }
    }
    const k = searchIndex(segs, from.index);
    if (k < 0) {
      throw new WalError(
        'ERR_WAL_NOT_FOUND',
        `no segment in ${dir} reaches back to index ${from.index} (the oldest is ${segs[0]!.name})`,
        { file: dir },
      );
    }
    const replayer = new Replayer(from, segs[k]!.index);
    let chain: number | undefined;
    let torn: TornTail | undefined;
    let tailEnd = 0;
    for (let i = k; i < segs.length; i++) {
      const name = segs[i]!.name;
      const buf = await ops.readFile(path.join(dir, name));
      const scan = scanSegment(buf, chain);
      for (const rec of scan.records) replayer.apply(rec, name);
      const d = scan.damage;
      if (d) {
        const last = i === segs.length - 1;
        // Only the last segment can be torn, and not in its head (the crc
        // and metadata records), which was fsynced before the segment got
        // its name.
        if (!last || d.kind === 'corrupt' || scan.records.length < 2) {
          const later = d.laterRecord === undefined ? '' : ` (a valid record follows at offset ${d.laterRecord})`;
          const tail = last ? '' : ' (not the last segment, so not a torn write)';
          throw new WalError('ERR_WAL_CORRUPT', `${d.reason} in ${name} at offset ${d.offset}${later}${tail}`, {
            file: name,
            offset: d.offset,
          });
        }
        torn = { file: name, offset: d.offset, bytes: buf.length - d.offset, reason: d.reason };
      }
      chain = scan.chain;
      tailEnd = scan.end;
    }
    replayer.finish(dir);
    return { replayer, segs, torn, chain, tailEnd };
  }

  /**
   * Reads the log without locking or changing it, for a backup of a running
   * member (etcd's OpenForRead): the same checks as open(), but a torn end of
   * the last segment is only left out — the member may be writing it now.
   */
  static async read(dir: string, from: WalSnapshot = { index: 0, term: 0 }, opts: { fileOps?: FileOps } = {}): Promise<Omit<WalReplay, 'wal' | 'torn'>> {
    const ops = opts.fileOps ?? nodeFileOps;
    if (!(await dirExists(dir))) throw new WalError('ERR_WAL_NOT_FOUND', `no directory ${dir}`, { file: dir });
    const names = (await ops.readdir(dir)).filter((n) => !n.endsWith('.wal.tmp'));
    const { replayer } = await Wal.scanAll(dir, names, from, ops);
    return { metadata: replayer.metadata!, hardState: replayer.hardState, entries: replayer.entries, snapshots: replayer.snapshots };
  }

  /** Segment names in order, oldest first. */
  segmentNames(): string[] {
    return this.segments.map((s) => s.name);
  }

  /** Waits for pending saves, then closes the file and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    try {
      await this.tail.file.close();
    } finally {
      this.lock.release();
    }
  }

  private refusal(): WalError | undefined {
    if (this.closed) return new WalError('ERR_WAL_CLOSED', this.dir);
    return this.failed;
  }

  private enqueue(records: Pending[], sync: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const b = this.pending;
      for (const r of records) b.records.push(r);
      b.sync ||= sync;
      b.lastIndex = this.lastIndex;
      b.waiters.push({ resolve, reject });
      if (!this.flushing) {
        // Start on the next microtask, so saves issued in the same turn share a batch.
        this.flushing = Promise.resolve().then(() => this.flushLoop());
      }
    });
  }

  /** Writes batches until none is pending; each batch is one write and at most one fsync. */
  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.records.length > 0) {
        const batch = this.pending;
        this.pending = newBatch(this.lastIndex);
        if (this.failed) {
          for (const w of batch.waiters) w.reject(this.failed);
          continue;
        }
        try {
          await this.writeBatch(batch);
        } catch (err) {
          this.fail(err);
          for (const w of batch.waiters) w.reject(this.failed!);
          continue;
        }
        for (const w of batch.waiters) w.resolve();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async writeBatch(batch: Batch): Promise<void> {
    if (this.tail.offset >= this.segmentSize) await this.cut();
    const fw = new FrameWriter(this.chain);
    let state: Uint8Array | undefined;
    for (const r of batch.records) {
      fw.append(r.type, r.data);
      if (r.type === RecordType.State) state = r.data;
    }
    const bytes = fw.take();
    const at = this.tail.offset;
    try {
      await this.tail.file.write(bytes, at);
      if (batch.sync) await this.tail.file.datasync();
    } catch (err) {
      // Best effort: take the partial batch back off, so the file ends at
      // the last acknowledged record. If this fails too, open() will find
      // the partial record as a torn tail and cut it.
      try {
        await this.tail.file.truncate(at);
      } catch {
        // reported through the original error
      }
      throw err;
    }
    this.tail.offset = at + bytes.length;
    this.chain = fw.chain;
    this.writtenLastIndex = batch.lastIndex;
    if (state) this.hardStateData = state;
  }

  /** Starts a new segment; see the contract at the top of this file. */
  private async cut(): Promise<void> {
    const old = this.tail;
    await old.file.datasync();
    const seq = this.segments[this.segments.length - 1]!.seq + 1;
    const first = this.writtenLastIndex + 1;
    const name = segmentName(seq, first);
    const tmp = path.join(this.dir, `${name}.tmp`);
    const fw = new FrameWriter(this.chain);
    fw.append(RecordType.Crc, new Uint8Array(0));
    fw.append(RecordType.Metadata, this.metadata);
    if (this.hardStateData) fw.append(RecordType.State, this.hardStateData);
    const head = fw.take();
    const file = await this.ops.open(tmp, 'wx');
    try {
      await file.write(head, 0);
      await file.datasync();
      await this.ops.rename(tmp, path.join(this.dir, name));
      await this.ops.syncDir(this.dir);
    } catch (err) {
      await file.close().catch(() => undefined);
      throw err;
    }
    this.tail = { file, name, offset: head.length };
    this.chain = fw.chain;
    this.segments.push({ seq, index: first, name });
    await old.file.close();
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const message = err instanceof Error ? err.message : String(err);
    const why = isWalError(err) || message.includes(code) ? message : `${code}: ${message}`;
    this.failed = new WalError('ERR_WAL_WRITE_FAILED', `${this.tail.name} in ${this.dir}: ${why}; reopen to recover`, {
      file: this.tail.name,
      offset: this.tail.offset,
      cause: err,
    });
    this.logger.warn('wal: write failed; the log takes no more writes until reopened', {
      dir: this.dir,
      file: this.tail.name,
      error: why,
    });
  }
}
