// What Raft reads of the durable log. The application writes to its storage
// (entries and hard state from each Ready, snapshots it takes or receives) and
// Raft only reads it back through this interface.
import { RaftError } from './errors.js';
import type { ConfState, Entry, HardState, Snapshot } from './types.js';
import { EMPTY_DATA, emptyHardState } from './types.js';

export interface InitialState {
  hardState: HardState;
  confState: ConfState;
}

export interface Storage {
  initialState(): InitialState;
  /**
   * Entries in [lo, hi), at least one when any are available, and no more
   * than fit in maxSize bytes after the first.
   * Throws ERR_RAFT_COMPACTED if lo is at or below the snapshot index.
   */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  /** Term of entry i, for i in [firstIndex()-1, lastIndex()]. */
  term(i: number): number;
  lastIndex(): number;
  /** Index of the first entry still held (the snapshot index + 1). */
  firstIndex(): number;
  /** The most recent snapshot; may throw ERR_RAFT_SNAPSHOT_TEMPORARILY_UNAVAILABLE. */
  snapshot(): Snapshot;
}

/** Rough size of an entry on the wire, for batching limits. */
export function entrySize(e: Entry): number {
  return e.data.byteLength + 24;
}

/** The prefix of `ents` whose total size stays within maxSize (always at least one). */
export function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n]!);
    if (size > maxSize) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

/**
 * An in-memory Storage. Real members keep one too (the WAL is replayed into
 * it at start) so reads never touch the disk.
 *
 * Invariant: ents[0] is a dummy entry carrying the snapshot's index and term;
 * ents[k] has index ents[0].index + k.
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = emptyHardState();
  private snap: Snapshot;
  private ents: Entry[];

  constructor(confState: ConfState = { voters: [], learners: [] }) {
    this.snap = { metadata: { index: 0, term: 0, confState: copyConfState(confState) }, data: EMPTY_DATA };
    this.ents = [{ term: 0, index: 0, type: 'normal', data: EMPTY_DATA }];
  }

  initialState(): InitialState {
    return { hardState: { ...this.hardState }, confState: copyConfState(this.snap.metadata.confState) };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  private offset(): number {
    return this.ents[0]!.index;
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    const offset = this.offset();
    if (lo <= offset) throw new RaftError('ERR_RAFT_COMPACTED', `index ${lo}`);
    if (hi > this.lastIndex() + 1) {
      throw new Error(`entries' hi(${hi}) is out of bound lastindex(${this.lastIndex()})`);
    }
    if (this.ents.length === 1) throw new RaftError('ERR_RAFT_UNAVAILABLE', `index ${lo}`);
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSize);
  }

  term(i: number): number {
    const offset = this.offset();
    if (i < offset) throw new RaftError('ERR_RAFT_COMPACTED', `index ${i}`);
    if (i - offset >= this.ents.length) throw new RaftError('ERR_RAFT_UNAVAILABLE', `index ${i}`);
    return this.ents[i - offset]!.term;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replace the contents with a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index <= this.snap.metadata.index) {
      throw new RaftError('ERR_RAFT_SNAP_OUT_OF_DATE', `snapshot ${snap.metadata.index} <= ${this.snap.metadata.index}`);
    }
    this.snap = snap;
    this.ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: 'normal', data: EMPTY_DATA }];
  }

  /**
   * Record a snapshot the application took at index i (i <= applied). The log
   * is not compacted here; call compact() to release entries.
   */
  createSnapshot(i: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (i <= this.snap.metadata.index) {
      throw new RaftError('ERR_RAFT_SNAP_OUT_OF_DATE', `snapshot ${i} <= ${this.snap.metadata.index}`);
    }
    if (i > this.lastIndex()) throw new Error(`snapshot ${i} is out of bound lastindex(${this.lastIndex()})`);
    this.snap = { metadata: { index: i, term: this.term(i), confState: copyConfState(confState) }, data };
    return this.snap;
  }

  /**
   * Discard entries up to and including compactIndex, which must be covered
   * by the snapshot: a lagging follower can then get the snapshot and the
   * entries after it, never a gap.
   */
  compact(compactIndex: number): void {
    const offset = this.offset();
    if (compactIndex <= offset) throw new RaftError('ERR_RAFT_COMPACTED', `index ${compactIndex}`);
    if (compactIndex > this.snap.metadata.index) {
      throw new Error(`compact ${compactIndex} is beyond the snapshot at ${this.snap.metadata.index}; take a snapshot first`);
    }
    if (compactIndex > this.lastIndex()) {
      throw new Error(`compact ${compactIndex} is out of bound lastindex(${this.lastIndex()})`);
    }
    const i = compactIndex - offset;
    const head = this.ents[i]!;
    this.ents = [{ term: head.term, index: head.index, type: 'normal', data: EMPTY_DATA }, ...this.ents.slice(i + 1)];
  }

  /**
   * Append entries, truncating any conflicting suffix. Entries at or below
   * the snapshot are ignored (they are already part of it).
   */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return;
    if (first > entries[0]!.index) entries = entries.slice(first - entries[0]!.index);
    const offset = entries[0]!.index - this.offset();
    if (offset > this.ents.length) {
      throw new Error(`missing log entry [last: ${this.lastIndex()}, append at: ${entries[0]!.index}]`);
    }
    if (offset < this.ents.length) this.ents.length = offset;
    for (const e of entries) this.ents.push(e);
  }
}

export function copyConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters], learners: [...cs.learners] };
}
