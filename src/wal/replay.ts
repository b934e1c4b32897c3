// What the records of a log mean, replayed in order: the metadata, the last
// hard state, and the entries after the snapshot the caller starts from,
// with a later entry at an index replacing the earlier one and everything
// after it (Raft's log truncation). Pure: records in, state out; the file
// name and offset of each record only go into error messages.
import type { Entry, HardState } from '../raft/types.js';
import { emptyHardState } from '../raft/types.js';
import { decodeEntry, decodeHardState, decodeWalSnapshot, type WalSnapshot } from './codec.js';
import { WalError } from './errors.js';
import { RecordType, type DecodedRecord } from './record.js';

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Replayer {
  metadata: Uint8Array | undefined;
  hardState: HardState = emptyHardState();
  /** Encoded form of the last hard state, to repeat at the head of the next segment. */
  hardStateData: Uint8Array | undefined;
  readonly entries: Entry[] = [];
  readonly snapshots: WalSnapshot[] = [];
  /**
   * The highest index the next entry may have: one past the last entry, or
   * past a snapshot marker beyond it. An entry above it means entries are
   * missing. The writer enforces the same rule, so a log it wrote passes.
   */
  expectNext: number;
  /** The last entry's index (or a later snapshot marker's): names the next segment. */
  lastIndex: number;
  private matched = false;

  /** `firstSegmentIndex`: the index in the name of the first segment read. */
  constructor(
    private readonly from: WalSnapshot,
    firstSegmentIndex: number,
  ) {
    this.expectNext = Math.max(1, firstSegmentIndex);
    this.lastIndex = this.expectNext - 1;
  }

  apply(rec: DecodedRecord, file: string): void {
    const where = { file, offset: rec.offset };
    const corrupt = (what: string, cause?: unknown): WalError =>
      new WalError('ERR_WAL_CORRUPT', `${what} in ${file} at offset ${rec.offset}`, { ...where, cause });
    switch (rec.type) {
      case RecordType.Crc:
        return; // checked by scanSegment
      case RecordType.Metadata:
        if (this.metadata === undefined) this.metadata = rec.data;
        else if (!bytesEqual(this.metadata, rec.data)) throw corrupt('metadata conflicts with earlier metadata');
        return;
      case RecordType.State:
        try {
          this.hardState = decodeHardState(rec.data);
        } catch (err) {
          throw corrupt('undecodable hard state record', err);
        }
        this.hardStateData = rec.data;
        return;
      case RecordType.Snapshot: {
        let s: WalSnapshot;
        try {
          s = decodeWalSnapshot(rec.data);
        } catch (err) {
          throw corrupt('undecodable snapshot record', err);
        }
        if (s.index === this.from.index) {
          if (s.term !== this.from.term) {
            throw new WalError(
              'ERR_WAL_SNAPSHOT_MISMATCH',
              `the log has a snapshot at index ${s.index} with term ${s.term}, not ${this.from.term} (${file} at offset ${rec.offset})`,
              where,
            );
          }
          this.matched = true;
        }
        this.snapshots.push(s);
        this.expectNext = Math.max(this.expectNext, s.index + 1);
        this.lastIndex = Math.max(this.lastIndex, s.index);
        return;
      }
      case RecordType.Entry: {
        let e: Entry;
        try {
          e = decodeEntry(rec.data);
        } catch (err) {
          throw corrupt('undecodable entry record', err);
        }
        if (e.index < 1 || e.index > this.expectNext) {
          throw corrupt(`entry index gap: entry ${e.index} where at most ${this.expectNext} may follow`);
        }
        this.expectNext = e.index + 1;
        this.lastIndex = e.index;
        if (e.index <= this.from.index) return; // inside the snapshot
        const pos = e.index - this.from.index - 1;
        if (pos > this.entries.length) {
          throw new WalError(
            'ERR_WAL_SNAPSHOT_NOT_FOUND',
            `entries ${this.from.index + this.entries.length + 1}..${e.index - 1} are not in the log (a later snapshot replaced them); open from a newer snapshot (${file} at offset ${rec.offset})`,
            where,
          );
        }
        this.entries.length = pos;
        this.entries.push(e);
        return;
      }
    }
  }

  /** Checks the replay found what the caller asked for. */
  finish(dir: string): void {
    if (this.metadata === undefined) throw new WalError('ERR_WAL_CORRUPT', `no metadata record in ${dir}`);
    if (!this.matched) {
      throw new WalError(
        'ERR_WAL_SNAPSHOT_NOT_FOUND',
        `no snapshot marker at index ${this.from.index} term ${this.from.term} in ${dir}`,
      );
    }
  }
}
