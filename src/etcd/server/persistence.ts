// What the member needs from its disk: durable Raft state and snapshots.
// The data directory's write-ahead log implements it; the member never
// touches files itself.
import type { Entry, HardState, Snapshot } from '../../raft/index.js';

export interface RestoredState {
  /** The newest snapshot, if any; its data is the store's JSON. */
  snapshot?: Snapshot;
  hardState: HardState;
  /** Entries after the snapshot. */
  entries: Entry[];
}

export interface Persistence {
  /**
   * Append entries and the hard state; resolves once durable when mustSync
   * (Raft's rule: nothing that depends on them is sent before that).
   */
  save(hardState: HardState | undefined, entries: Entry[], mustSync: boolean): Promise<void>;
  /** Make a snapshot durable (the snapshot file, then a marker in the log). */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  /** Everything up to `index` is covered by a durable snapshot: release what is no longer needed. */
  release(index: number): Promise<void>;
  close(): Promise<void>;
}
