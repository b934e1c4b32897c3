// The application's handle on Raft. Everything is synchronous and pure; the
// application runs the loop:
//
//   on a timer:           node.tick()
//   on a message:         node.step(m)
//   to write:             node.propose(data) / node.proposeConfChange(cc)
//   to read:              node.readIndex(ctx) → later a ReadState
//   whenever hasReady():  rd = node.ready()
//                           1. install rd.snapshot, append rd.entries, save rd.hardState
//                              (fsync if rd.mustSync)
//                           2. send rd.messages
//                           3. apply rd.committedEntries (decodeConfChange for
//                              'confChange' entries to learn membership)
//                           4. node.advance()
//
// Messages must not be sent before the entries and hard state of the same
// Ready are durable: a vote or an acknowledgement that is forgotten after a
// crash breaks Raft's guarantees. The one exception is a leader's own
// replication (mayPrecedePersistence): its entries count toward commitment
// only after advance(), so it may send them while its disk is still writing.
import { encodeConfChange } from './confchange.js';
import type { MemoryStorage } from './storage.js';
import { isRaftError, RaftError } from './errors.js';
import type { RaftConfig, RaftStatus } from './raft.js';
import { Raft } from './raft.js';
import type { ConfChange, ConfState, Entry, HardState, Message, NodeId, Ready, SoftState } from './types.js';
import { hardStateEqual, isLocalMessage, isResponseMessage, message } from './types.js';

export class RawNode {
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  /** What the last ready() handed out, to be acknowledged by advance(). */
  private handedOut: { lastEntry?: { index: number; term: number }; lastCommitted?: number; snapshotIndex?: number } | undefined;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  tick(): void {
    this.raft.tick();
  }

  /** Start an election now, without waiting for the timeout. */
  campaign(): void {
    this.raft.step(message({ type: 'MsgHup' }));
  }

  /**
   * Propose data to be appended. Throws RaftError ERR_RAFT_PROPOSAL_DROPPED
   * when there is no leader to take it; even an accepted proposal can be lost
   * (the leader may fail first), so callers retry after a timeout.
   */
  propose(data: Uint8Array): void {
    this.raft.step(message({ type: 'MsgProp', from: this.raft.id, entries: [{ term: 0, index: 0, type: 'normal', data }] }));
  }

  proposeConfChange(cc: ConfChange): void {
    this.raft.step(
      message({ type: 'MsgProp', from: this.raft.id, entries: [{ term: 0, index: 0, type: 'confChange', data: encodeConfChange(cc) }] }),
    );
  }

  /**
   * Ask for a linearizable read point. A ReadState with this context arrives
   * in a later Ready; the read may be served once `applied >= index`.
   */
  readIndex(context: Uint8Array): void {
    // See readonly.ts: contexts must be non-empty and unique cluster-wide.
    if (context.length === 0) throw new RaftError('ERR_RAFT_CONFIG', 'a read index context must not be empty');
    this.raft.step(message({ type: 'MsgReadIndex', context }));
  }

  /** Ask the leader to hand leadership to `transferee`. */
  transferLeadership(transferee: NodeId): void {
    this.raft.step(message({ type: 'MsgTransferLeader', from: transferee }));
  }

  /**
   * Feed a message from another node. Local message types are refused, as are
   * responses from nodes we do not know. Proposals a leader cannot take are
   * dropped here (their sender times out and retries) rather than thrown
   * back at the transport.
   */
  step(m: Message): void {
    if (isLocalMessage(m.type)) throw new RaftError('ERR_RAFT_STEP_LOCAL_MSG', m.type);
    if (isResponseMessage(m.type) && !this.raft.trk.progress.has(m.from) && this.raft.role === 'leader') {
      throw new RaftError('ERR_RAFT_STEP_PEER_NOT_FOUND', m.from);
    }
    try {
      this.raft.step(m);
    } catch (err) {
      if (isRaftError(err, 'ERR_RAFT_PROPOSAL_DROPPED')) return;
      throw err;
    }
  }

  /** The transport could not reach `id`: the leader should probe it again. */
  reportUnreachable(id: NodeId): void {
    this.raft.step(message({ type: 'MsgUnreachable', from: id }));
  }

  /** The transport finished sending a snapshot to `id` (or failed to). */
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(message({ type: 'MsgSnapStatus', from: id, reject: !ok }));
  }

  hasReady(): boolean {
    const r = this.raft;
    if (!softStateEqual(r.softState(), this.prevSoftState)) return true;
    if (!hardStateEqual(r.hardState(), this.prevHardState)) return true;
    if (r.raftLog.pendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.raftLog.unstableEntries().length > 0 || r.readStates.length > 0) return true;
    return r.raftLog.hasNextCommittedEntries();
  }

  /** Everything to persist, send and apply. Call advance() when done. */
  ready(): Ready {
    if (this.handedOut) throw new Error('ready() called twice without advance()');
    const r = this.raft;
    const entries = r.raftLog.unstableEntries().slice();
    const committedEntries = r.raftLog.nextCommittedEntries();
    const snapshot = r.raftLog.pendingSnapshot();
    const rd: Ready = {
      entries,
      committedEntries,
      messages: r.msgs,
      readStates: r.readStates,
      mustSync: false,
    };
    const soft = r.softState();
    if (!softStateEqual(soft, this.prevSoftState)) {
      rd.softState = soft;
      this.prevSoftState = soft;
    }
    const hard = r.hardState();
    if (!hardStateEqual(hard, this.prevHardState)) {
      rd.hardState = hard;
      rd.mustSync = hard.term !== this.prevHardState.term || hard.vote !== this.prevHardState.vote;
      this.prevHardState = hard;
    }
    if (entries.length > 0) rd.mustSync = true;
    if (snapshot) {
      rd.snapshot = snapshot;
      rd.mustSync = true;
    }
    r.msgs = [];
    r.readStates = [];
    const last = entries[entries.length - 1];
    this.handedOut = {
      lastEntry: last ? { index: last.index, term: last.term } : undefined,
      lastCommitted: committedEntries.length > 0 ? committedEntries[committedEntries.length - 1]!.index : undefined,
      snapshotIndex: snapshot?.metadata.index,
    };
    if (r.role === 'leader') r.reduceUncommittedSize(committedEntries);
    return rd;
  }

  /** The last Ready was persisted, sent and applied. */
  advance(): void {
    const h = this.handedOut;
    if (!h) throw new Error('advance() called without ready()');
    this.handedOut = undefined;
    const log = this.raft.raftLog;
    if (h.snapshotIndex !== undefined) {
      log.stableSnapTo(h.snapshotIndex);
      if (log.applied < h.snapshotIndex) log.applied = h.snapshotIndex;
    }
    if (h.lastCommitted !== undefined) log.appliedTo(h.lastCommitted);
    if (h.lastEntry) log.stableTo(h.lastEntry.index, h.lastEntry.term);
    if (h.lastEntry || h.snapshotIndex !== undefined) this.raft.stableAdvanced();
  }

  status(): RaftStatus {
    return this.raft.status();
  }

  /**
   * The latest configuration in the log. It may not be committed yet: for a
   * snapshot at index i use confStateAt(i).
   */
  confState(): ConfState {
    return this.raft.trk.confState();
  }

  /** The configuration in force after the entry at `index`, for index >= the applied index. */
  confStateAt(index: number): ConfState {
    if (index < this.raft.raftLog.applied) {
      throw new Error(`confStateAt(${index}): only indexes at or after the applied index ${this.raft.raftLog.applied} are kept`);
    }
    const cs = this.raft.configLog.at(index);
    return { voters: [...cs.voters], learners: [...cs.learners] };
  }
}

function softStateEqual(a: SoftState, b: SoftState): boolean {
  return a.lead === b.lead && a.role === b.role;
}

export interface Peer {
  id: NodeId;
  /** Opaque to Raft; etcd keeps the member's name and URLs here. */
  context?: Uint8Array;
}

/**
 * Write the initial membership of a new cluster into an empty storage: one
 * committed "add voter" entry per peer at term 1, in id order. Every founding
 * member bootstraps from the same peer list and so holds the same entries;
 * members added later learn the founders by replaying them, and the
 * application learns them by applying them like any other change.
 */
export function bootstrap(storage: MemoryStorage, peers: Peer[]): void {
  if (peers.length === 0) throw new RaftError('ERR_RAFT_CONFIG', 'must provide at least one peer to bootstrap');
  if (storage.lastIndex() !== 0) throw new RaftError('ERR_RAFT_CONFIG', "can't bootstrap a nonempty storage");
  const sorted = [...peers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const entries: Entry[] = sorted.map((p, i) => ({
    term: 1,
    index: i + 1,
    type: 'confChange',
    data: encodeConfChange({ type: 'addNode', nodeId: p.id, context: p.context ?? new Uint8Array(0) }),
  }));
  storage.append(entries);
  storage.setHardState({ term: 1, vote: '', commit: entries.length });
}
