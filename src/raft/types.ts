// The data the Raft core takes in and hands back. Plain objects only: the
// caller owns encoding them for the wire and the disk.
//
// Node IDs are non-empty strings and are never reused; '' means "none".
// (Strings, because etcd's member IDs are 64-bit and a JS number holds 53.)

export type NodeId = string;
export const NONE: NodeId = '';

export type EntryType = 'normal' | 'confChange';

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Opaque payload. Empty for the no-op entry a new leader appends. */
  data: Uint8Array;
}

/** The durable vote/term/commit triple; persisted before messages are sent. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export type RaftRole = 'follower' | 'candidate' | 'precandidate' | 'leader';

/** Volatile state worth telling the application about (not persisted). */
export interface SoftState {
  lead: NodeId;
  role: RaftRole;
}

/** The membership of the cluster: who votes, who only learns. */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

export type ConfChangeType = 'addNode' | 'removeNode' | 'addLearnerNode';

/**
 * One server at a time (Raft thesis §4.1). Adding a voter that is already a
 * learner promotes it. Context is opaque to Raft (etcd puts the member's
 * peer URLs there).
 */
export interface ConfChange {
  type: ConfChangeType;
  nodeId: NodeId;
  context: Uint8Array;
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  confState: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  /** The application's state machine at metadata.index, opaque to Raft. */
  data: Uint8Array;
}

/** A linearizable read is safe at `index` once the application applied it. */
export interface ReadState {
  index: number;
  context: Uint8Array;
}

export type MessageType =
  // Local messages: never sent on the wire.
  | 'MsgHup' // start an election
  | 'MsgBeat' // leader: send heartbeats
  | 'MsgCheckQuorum' // leader: step down if a quorum was not heard from
  | 'MsgUnreachable' // the transport could not reach `from`
  | 'MsgSnapStatus' // the transport finished (or failed) sending a snapshot
  // Proposals and reads may be forwarded from followers to the leader.
  | 'MsgProp'
  | 'MsgReadIndex'
  | 'MsgReadIndexResp'
  // Replication.
  | 'MsgApp'
  | 'MsgAppResp'
  | 'MsgSnap'
  | 'MsgHeartbeat'
  | 'MsgHeartbeatResp'
  // Elections.
  | 'MsgVote'
  | 'MsgVoteResp'
  | 'MsgPreVote'
  | 'MsgPreVoteResp'
  // Leadership transfer.
  | 'MsgTransferLeader'
  | 'MsgTimeoutNow';

export interface Message {
  type: MessageType;
  to: NodeId;
  from: NodeId;
  term: number;
  /** MsgApp: term of the entry preceding `entries`. MsgVote: candidate's last log term. Rejections: hint term. */
  logTerm: number;
  /** MsgApp: index preceding `entries`. MsgAppResp: the index acknowledged (or rejected). */
  index: number;
  entries: Entry[];
  commit: number;
  snapshot?: Snapshot;
  reject: boolean;
  /** MsgAppResp rejection: the follower's guess of where the logs may match. */
  rejectHint: number;
  /** MsgReadIndex/MsgHeartbeat(Resp): the read request's context; MsgVote: campaign kind. */
  context: Uint8Array;
}

export interface Ready {
  /** Present when lead or role changed since the last Ready. */
  softState?: SoftState;
  /** Present when term, vote or commit changed: persist it. */
  hardState?: HardState;
  readStates: ReadState[];
  /** Append to stable storage before sending `messages`. */
  entries: Entry[];
  /** Install this snapshot in storage (and the state machine) before anything else. */
  snapshot?: Snapshot;
  /** Committed entries to apply to the state machine, in order. */
  committedEntries: Entry[];
  /** Send after `entries` and `hardState` are durable. */
  messages: Message[];
  /** Whether the write must be fsynced: term or vote changed, new entries, or a snapshot. */
  mustSync: boolean;
}

export const EMPTY_DATA: Uint8Array = new Uint8Array(0);

export function emptyHardState(): HardState {
  return { term: 0, vote: NONE, commit: 0 };
}

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === NONE && hs.commit === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export function emptySnapshot(): Snapshot {
  return { metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } }, data: EMPTY_DATA };
}

/** A message with every field at its zero value, to be filled by the sender. */
export function message(fields: Partial<Message> & Pick<Message, 'type'>): Message {
  return {
    to: NONE,
    from: NONE,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: EMPTY_DATA,
    ...fields,
  };
}

export function isLocalMessage(type: MessageType): boolean {
  return (
    type === 'MsgHup' ||
    type === 'MsgBeat' ||
    type === 'MsgCheckQuorum' ||
    type === 'MsgUnreachable' ||
    type === 'MsgSnapStatus'
  );
}

export function isResponseMessage(type: MessageType): boolean {
  return (
    type === 'MsgAppResp' ||
    type === 'MsgVoteResp' ||
    type === 'MsgHeartbeatResp' ||
    type === 'MsgUnreachable' ||
    type === 'MsgPreVoteResp'
  );
}

export function voteResponseType(type: MessageType): MessageType {
  return type === 'MsgPreVote' ? 'MsgPreVoteResp' : 'MsgVoteResp';
}

/**
 * Whether an application may send `m` before persisting the Ready it came in:
 * true for a leader's appends, heartbeats, snapshots and transfer nudges,
 * which promise nothing about the leader's own disk (its entries count toward
 * commitment only once advance() says they are stable). Votes and every
 * response must wait for the disk.
 */
export function mayPrecedePersistence(m: Message): boolean {
  return m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap' || m.type === 'MsgTimeoutNow';
}
