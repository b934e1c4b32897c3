// The Raft log as one sequence: stable entries in Storage followed by the
// unstable tail Raft holds until the application persists it.
//
// Invariants:
//   snapshot index <= applied <= committed <= lastIndex()
//   every index in (firstIndex()-1, lastIndex()] has a known term.
import { RaftError } from './errors.js';
import type { Storage } from './storage.js';
import { limitSize } from './storage.js';
import type { Entry, Snapshot } from './types.js';
import { Unstable } from './unstable.js';

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  /** Highest index known to be stored on a quorum. */
  committed: number;
  /** Highest index the application has applied (acknowledged via advance()). */
  applied: number;
  /** Cap on the bytes of committed entries handed out in one Ready. */
  private readonly maxApplyingSize: number;
  /** Told of every write to the log: entries written from ents[0].index on, replacing the rest. */
  onAppend: ((ents: Entry[]) => void) | undefined;

  constructor(storage: Storage, maxApplyingSize: number) {
    this.storage = storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    // The log starts just behind the last snapshot: all of it is applied.
    this.committed = first - 1;
    this.applied = first - 1;
    this.maxApplyingSize = maxApplyingSize;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /** Term of entry i; throws ERR_RAFT_COMPACTED / ERR_RAFT_UNAVAILABLE outside the log. */
  term(i: number): number {
    const t = this.maybeTerm(i);
    if (t !== undefined) return t;
    if (i < this.firstIndex() - 1) throw new RaftError('ERR_RAFT_COMPACTED', `index ${i}`);
    throw new RaftError('ERR_RAFT_UNAVAILABLE', `index ${i}`);
  }

  /**
   * Term of entry i, or undefined when i is outside the log (compacted or
   * beyond the end). Never throws: this is on the hot path of every append.
   */
  maybeTerm(i: number): number | undefined {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    // The valid range is [index of the dummy entry, last index].
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return undefined;
    if (i >= this.unstable.offset) return undefined;
    return this.storage.term(i);
  }

  /** Term of entry i, or 0 when i is outside the log (compacted or beyond the end). */
  termOrZero(i: number): number {
    return this.maybeTerm(i) ?? 0;
  }

  matchTerm(i: number, term: number): boolean {
    return this.maybeTerm(i) === term;
  }

  /**
   * A follower's append: if the entry at `index` has `logTerm`, append `ents`
   * (dropping any conflicting suffix), advance commit and return the new
   * last index. Returns undefined when the logs do not match at `index`.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const conflict = this.findConflict(ents);
    if (conflict !== 0) {
      if (conflict <= this.committed) {
        throw new Error(`entry ${conflict} conflicts with committed entry [committed(${this.committed})]`);
      }
      this.append(ents.slice(conflict - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) {
      throw new Error(`after(${after}) is out of range [committed(${this.committed})]`);
    }
    this.unstable.truncateAndAppend(ents);
    this.onAppend?.(ents);
    return this.lastIndex();
  }

  /**
   * The index of the first entry in `ents` that is new or conflicts with the
   * log (same index, different term); 0 if all are already present.
   */
  findConflict(ents: Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Fast backtracking (etcd-io/raft findConflictByTerm): the largest index
   * <= `index` whose term is <= `term`, with that term. A leader receiving this
   * hint can skip every entry of a term the follower cannot have.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (; index > 0; index--) {
      const t = this.maybeTerm(index);
      if (t === undefined) return { index, term: 0 };
      if (t <= term) return { index, term: t };
    }
    return { index: 0, term: 0 };
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries;
  }

  /**
   * The last index the application has said is on stable storage (advance()
   * after persisting a Ready). 0 while an incoming snapshot is unpersisted.
   */
  lastStableIndex(): number {
    return this.unstable.snapshot ? 0 : this.unstable.offset - 1;
  }

  /** Committed entries not yet applied, capped by size. */
  nextCommittedEntries(): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    const hi = this.committed + 1;
    if (lo >= hi) return [];
    return this.slice(lo, hi, this.maxApplyingSize);
  }

  hasNextCommittedEntries(): boolean {
    return this.committed > Math.max(this.applied, this.firstIndex() - 1);
  }

  /** The snapshot to install, if one arrived and is not yet persisted. */
  pendingSnapshot(): Snapshot | undefined {
    return this.unstable.snapshot;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  commitTo(tocommit: number): void {
    // Commit never decreases.
    if (this.committed < tocommit) {
      if (this.lastIndex() < tocommit) {
        throw new Error(`tocommit(${tocommit}) is out of range [lastIndex(${this.lastIndex()})]`);
      }
      this.committed = tocommit;
    }
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (this.committed < i || i < this.applied) {
      throw new Error(`applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`);
    }
    this.applied = i;
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
  }

  /** Entries from i to the end, capped by size. */
  entries(i: number, maxSize: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxSize);
  }

  /** Raft §5.4.1: is a log ending at (lasti, term) at least as up to date as ours? */
  isUpToDate(lasti: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lasti >= this.lastIndex());
  }

  /**
   * Leader commit rule. `term` must be the leader's current term: only an
   * entry of the current term is committed by counting replicas (Raft §5.4.2);
   * earlier entries become committed indirectly, as its prefix.
   */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.termOrZero(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  /** Test-only broken rule: commit whatever a quorum holds, whatever its term. */
  unsafeCommitByCount(maxIndex: number): boolean {
    if (maxIndex > this.committed) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  restore(snap: Snapshot): void {
    this.committed = snap.metadata.index;
    this.unstable.restore(snap);
  }

  /** Entries in [lo, hi), from storage and/or unstable, capped by size (at least one). */
  slice(lo: number, hi: number, maxSize: number): Entry[] {
    if (lo === hi) return [];
    const first = this.firstIndex();
    if (lo < first) throw new RaftError('ERR_RAFT_COMPACTED', `index ${lo}`);
    if (hi > this.lastIndex() + 1) throw new Error(`slice[${lo},${hi}) out of bound [${first},${this.lastIndex()}]`);
    let ents: Entry[] = [];
    if (lo < this.unstable.offset) {
      const stored = this.storage.entries(lo, Math.min(hi, this.unstable.offset), maxSize);
      // Storage returned fewer than asked: the size limit was hit.
      if (stored.length < Math.min(hi, this.unstable.offset) - lo) return stored;
      ents = stored;
    }
    if (hi > this.unstable.offset) {
      const fromUnstable = this.unstable.slice(Math.max(lo, this.unstable.offset), hi);
      ents = ents.length > 0 ? ents.concat(fromUnstable) : fromUnstable;
    }
    return limitSize(ents, maxSize);
  }
}
