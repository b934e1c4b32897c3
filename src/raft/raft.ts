// The Raft state machine. Pure: it never reads a clock, a socket or a file.
// Time is tick(); input is step(message); output accumulates in `msgs`,
// `readStates` and the log's unstable part, which RawNode hands out as Ready.
//
// Paper references: Raft = Ongaro & Ousterhout, "In Search of an
// Understandable Consensus Algorithm" (2014); thesis = Ongaro, "Consensus:
// Bridging Theory and Practice" (2014).
import { confChangeProblem, decodeConfChange } from './confchange.js';
import { ConfigLog } from './conflog.js';
import { RaftError } from './errors.js';
import { invalidInbound } from './inbound.js';
import { RaftLog } from './log.js';
import type { Progress } from './progress.js';
import type { RandomSource } from './random.js';
import type { ReadOnlyOption } from './readonly.js';
import { ReadOnly } from './readonly.js';
import { Lease } from './lease.js';
import type { Storage } from './storage.js';
import { majorityVoteResult, ProgressTracker } from './tracker.js';
import type { ConfState, Entry, HardState, Message, MessageType, NodeId, RaftRole, ReadState, Snapshot, SoftState } from './types.js';
import { EMPTY_DATA, isEmptyHardState, isLocalMessage, message, NONE, voteResponseType } from './types.js';

export interface RaftLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}

const silentLogger: RaftLogger = { debug() {}, info() {}, warn() {} };

export interface RaftConfig {
  id: NodeId;
  storage: Storage;
  /** Ticks a follower waits without hearing a leader before campaigning; randomized in [e, 2e). */
  electionTick: number;
  /** Ticks between leader heartbeats; must be < electionTick. */
  heartbeatTick: number;
  /** The source of election-timeout jitter. Seed it to replay a run. */
  random: RandomSource;
  /** Last index the application applied before this start (e.g. its snapshot). */
  applied?: number;
  /** Most bytes of entries in one append message. */
  maxSizePerMsg?: number;
  /** Most bytes of committed entries in one Ready. */
  maxCommittedSizePerReady?: number;
  /** Most append messages in flight to one follower in replicate state. */
  maxInflightMsgs?: number;
  /** Leader refuses proposals once this many bytes are uncommitted (0 = no limit). */
  maxUncommittedEntriesSize?: number;
  /** Leader steps down when it has not heard from a quorum for an election timeout. */
  checkQuorum?: boolean;
  /** Candidates first ask whether they could win before disrupting the term (thesis §9.6). */
  preVote?: boolean;
  readOnlyOption?: ReadOnlyOption;
  /** Followers drop proposals instead of forwarding them to the leader. */
  disableProposalForwarding?: boolean;
  logger?: RaftLogger;
  /**
   * Deliberately broken rules, for proving the simulator's checks bite.
   * Never set outside tests.
   */
  unsafeTestingBreak?: {
    /** Grant votes without the §5.4.1 "candidate's log is at least as up to date" check. */
    grantVotesWithoutLogCheck?: boolean;
    /** Commit any entry a quorum holds, even one from an earlier term (breaks §5.4.2). */
    commitPreviousTermEntries?: boolean;
    /** Treat the leader lease as never expiring (breaks lease reads, see lease.ts). */
    leaseNeverExpires?: boolean;
  };
}

type CampaignType = 'preElection' | 'election' | 'transfer';

// Marks a vote request that comes from a leadership transfer, which must not
// be refused by followers that still believe in the current leader.
const CAMPAIGN_TRANSFER = new TextEncoder().encode('CampaignTransfer');

function isCampaignTransfer(ctx: Uint8Array): boolean {
  if (ctx.length !== CAMPAIGN_TRANSFER.length) return false;
  for (let i = 0; i < ctx.length; i++) if (ctx[i] !== CAMPAIGN_TRANSFER[i]) return false;
  return true;
}

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  role: RaftRole = 'follower';
  lead: NodeId = NONE;
  readonly raftLog: RaftLog;
  readonly trk: ProgressTracker;
  readonly configLog: ConfigLog;
  /** Messages to send, collected until the next Ready. */
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  isLearner = false;
  /** Target of an ongoing leadership transfer, or NONE. */
  leadTransferee: NodeId = NONE;
  /**
   * A leader may not append a configuration change while the entry at this
   * index is uncommitted: the previous change, or the leader's first entry.
   */
  pendingConfIndex = 0;
  private uncommittedSize = 0;
  private readOnly: ReadOnly;
  /** Lease reads: see lease.ts. */
  private readonly lease: Lease;
  /** Ticks since this node started: the lease's clock. */
  private ticks = 0;
  /** ReadIndex requests that arrived before this leader committed an entry of its term. */
  private pendingReadIndexMessages: Message[] = [];

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly checkQuorum: boolean;
  private readonly preVote: boolean;
  private readonly maxMsgSize: number;
  private readonly maxUncommittedSize: number;
  private readonly disableProposalForwarding: boolean;
  private readonly random: RandomSource;
  private readonly logger: RaftLogger;
  private readonly breakVoteCheck: boolean;
  private readonly breakCommitRule: boolean;

  constructor(c: RaftConfig) {
    if (c.id === NONE) throw new RaftError('ERR_RAFT_CONFIG', 'cannot use none as id');
    if (c.heartbeatTick <= 0) throw new RaftError('ERR_RAFT_CONFIG', 'heartbeat tick must be greater than 0');
    if (c.electionTick <= c.heartbeatTick) {
      throw new RaftError('ERR_RAFT_CONFIG', 'election tick must be greater than heartbeat tick');
    }
    const maxInflight = c.maxInflightMsgs ?? 256;
    if (maxInflight <= 0) throw new RaftError('ERR_RAFT_CONFIG', 'max inflight messages must be greater than 0');
    const readOnlyOption = c.readOnlyOption ?? 'safe';
    if (readOnlyOption === 'leaseBased' && !c.checkQuorum) {
      throw new RaftError('ERR_RAFT_CONFIG', 'checkQuorum must be enabled when readOnlyOption is leaseBased');
    }
    this.id = c.id;
    this.electionTimeout = c.electionTick;
    this.heartbeatTimeout = c.heartbeatTick;
    this.checkQuorum = c.checkQuorum ?? false;
    this.preVote = c.preVote ?? false;
    this.maxMsgSize = c.maxSizePerMsg ?? 1024 * 1024;
    this.maxUncommittedSize = c.maxUncommittedEntriesSize ?? 0;
    this.disableProposalForwarding = c.disableProposalForwarding ?? false;
    this.random = c.random;
    this.logger = c.logger ?? silentLogger;
    this.breakVoteCheck = c.unsafeTestingBreak?.grantVotesWithoutLogCheck ?? false;
    this.breakCommitRule = c.unsafeTestingBreak?.commitPreviousTermEntries ?? false;
    this.readOnly = new ReadOnly(readOnlyOption);
    this.lease = new Lease(c.electionTick, c.unsafeTestingBreak?.leaseNeverExpires ?? false);
    this.trk = new ProgressTracker(maxInflight);

    this.raftLog = new RaftLog(c.storage, c.maxCommittedSizePerReady ?? this.maxMsgSize);
    const { hardState, confState } = c.storage.initialState();

    // Rebuild the configuration from the snapshot plus every configuration
    // entry in the log, committed or not.
    const snapIndex = c.storage.firstIndex() - 1;
    this.configLog = new ConfigLog(snapIndex, confState);
    const last = c.storage.lastIndex();
    if (last > snapIndex) this.configLog.appended(c.storage.entries(snapIndex + 1, last + 1, Infinity));
    this.raftLog.onAppend = (ents) => {
      if (this.configLog.appended(ents)) this.switchToConfig(this.configLog.current());
    };
    this.switchToConfig(this.configLog.current());

    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (c.applied !== undefined && c.applied > 0) this.raftLog.appliedTo(c.applied);
    this.becomeFollower(this.term, NONE);
    this.logger.info(
      `${this.id} newRaft [peers: [${this.trk.voters.join(',')}], term: ${this.term}, commit: ${this.raftLog.committed}, ` +
        `applied: ${this.raftLog.applied}, lastindex: ${this.raftLog.lastIndex()}, lastterm: ${this.raftLog.lastTerm()}]`,
    );
  }

  private loadState(hs: HardState): void {
    if (hs.commit > this.raftLog.lastIndex()) {
      throw new Error(`${this.id} state.commit ${hs.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`);
    }
    // A commit index older than the snapshot is implied by the snapshot.
    this.raftLog.committed = Math.max(hs.commit, this.raftLog.committed);
    this.term = hs.term;
    this.vote = hs.vote;
  }

  softState(): SoftState {
    return { lead: this.lead, role: this.role };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  /** Whether this server may campaign: it is a voter in its latest configuration. */
  promotable(): boolean {
    return this.trk.isVoter(this.id);
  }

  // --- sending ------------------------------------------------------------

  private send(m: Message): void {
    if (m.from === NONE) m.from = this.id;
    if (m.type === 'MsgVote' || m.type === 'MsgVoteResp' || m.type === 'MsgPreVote' || m.type === 'MsgPreVoteResp') {
      // Vote traffic carries the term it is about: a pre-vote is for a term
      // we have not entered yet.
      if (m.term === 0) throw new Error(`term should be set when sending ${m.type}`);
    } else {
      if (m.term !== 0) throw new Error(`term should not be set when sending ${m.type} (was ${m.term})`);
      // Proposals and forwarded reads are not tied to a term.
      if (m.type !== 'MsgProp' && m.type !== 'MsgReadIndex') m.term = this.term;
    }
    this.msgs.push(m);
  }

  /** Send entries (or a snapshot) to `to` if its progress allows. Returns whether anything was sent. */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm: number;
    let ents: Entry[];
    try {
      prevTerm = this.raftLog.term(prevIndex);
      // With a full window, send only an empty append: if every message that
      // filled the window was lost, its answer (ack or rejection) clears it.
      ents = pr.state === 'replicate' && pr.inflights.full() ? [] : this.raftLog.entries(pr.next, this.maxMsgSize);
    } catch (err) {
      if (!(err instanceof RaftError)) throw err;
      // The entries it needs were compacted away: send a snapshot instead.
      return this.maybeSendSnapshot(to, pr);
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send(message({ type: 'MsgApp', to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.raftLog.committed }));
    pr.updateOnEntriesSend(ents.length, pr.next);
    return true;
  }

  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) {
      this.logger.debug(`${this.id} ignores sending snapshot to ${to} since it is not recently active`);
      return false;
    }
    let snap;
    try {
      snap = this.raftLog.snapshot();
    } catch (err) {
      if (err instanceof RaftError && err.code === 'ERR_RAFT_SNAPSHOT_TEMPORARILY_UNAVAILABLE') return false;
      throw err;
    }
    if (snap.metadata.index === 0) throw new Error('need non-empty snapshot');
    this.logger.debug(`${this.id} sends snapshot [index: ${snap.metadata.index}, term: ${snap.metadata.term}] to ${to} [${pr.describe()}]`);
    pr.becomeSnapshot(snap.metadata.index);
    this.send(message({ type: 'MsgSnap', to, snapshot: snap }));
    return true;
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  private sendHeartbeat(to: NodeId, ctx: Uint8Array): void {
    // Never tell a follower to commit beyond what it is known to hold: its
    // log past `match` may still differ from ours.
    const pr = this.trk.progress.get(to)!;
    const commit = Math.min(pr.match, this.raftLog.committed);
    this.send(message({ type: 'MsgHeartbeat', to, commit, context: ctx }));
  }

  private forEachPeer(f: (id: NodeId, pr: Progress) => void): void {
    for (const [id, pr] of this.trk.progress) if (id !== this.id) f(id, pr);
  }

  bcastAppend(): void {
    this.forEachPeer((id) => this.sendAppend(id));
  }

  private bcastHeartbeat(ctx?: Uint8Array): void {
    // In lease mode every heartbeat round is numbered, so that acks tell the
    // leader which round (and so which send time) a quorum confirmed.
    const c = this.readOnly.option === 'leaseBased' ? this.lease.startRound(this.ticks) : ctx ?? this.readOnly.lastPendingRequestCtx() ?? EMPTY_DATA;
    this.forEachPeer((id) => this.sendHeartbeat(id, c));
  }

  // --- commitment -----------------------------------------------------------

  /** Leader: advance commit to what a quorum holds. Returns whether it moved. */
  private maybeCommit(): boolean {
    const mci = this.trk.committed();
    const moved = this.breakCommitRule ? this.raftLog.unsafeCommitByCount(mci) : this.raftLog.maybeCommit(mci, this.term);
    if (moved) this.afterCommitAdvanced();
    return moved;
  }

  private afterCommitAdvanced(): void {
    this.configLog.compact(this.raftLog.applied);
    if (this.role !== 'leader') return;
    // Reads that waited for this leader's first commit can go now.
    if (this.pendingReadIndexMessages.length > 0 && this.committedEntryInCurrentTerm()) {
      const pending = this.pendingReadIndexMessages;
      this.pendingReadIndexMessages = [];
      for (const m of pending) this.sendMsgReadIndexResponse(m);
    }
    // A leader that removed itself keeps leading until that change commits,
    // then steps aside (thesis §4.2.2) — after telling the others the new
    // commit index, so they learn the removal took effect without waiting
    // out an election timeout.
    if (!this.configLog.at(this.raftLog.committed).voters.includes(this.id)) {
      this.logger.info(`${this.id} is no longer a voter after committed index ${this.raftLog.committed}; stepping down`);
      this.bcastAppend();
      this.becomeFollower(this.term, NONE);
    }
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.termOrZero(this.raftLog.committed) === this.term;
  }

  // --- role changes -----------------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const last = this.raftLog.lastIndex();
    for (const [id, pr] of this.trk.progress) {
      pr.match = id === this.id ? last : 0;
      pr.next = last + 1;
      pr.state = 'probe';
      pr.pendingSnapshot = 0;
      pr.msgAppFlowPaused = false;
      pr.recentActive = id === this.id;
      pr.inflights.reset();
    }
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly(this.readOnly.option);
    this.lease.revoke();
    this.pendingReadIndexMessages = [];
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.random.intn(this.electionTimeout);
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
    this.logger.debug(`${this.id} became follower at term ${this.term}`);
  }

  private becomeCandidate(): void {
    if (this.role === 'leader') throw new Error('invalid transition [leader -> candidate]');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
    this.logger.debug(`${this.id} became candidate at term ${this.term}`);
  }

  private becomePreCandidate(): void {
    if (this.role === 'leader') throw new Error('invalid transition [leader -> pre-candidate]');
    // A pre-candidate changes neither term nor vote: it only asks.
    this.trk.resetVotes();
    this.lead = NONE;
    this.role = 'precandidate';
    this.logger.debug(`${this.id} became pre-candidate at term ${this.term}`);
  }

  private becomeLeader(): void {
    if (this.role === 'follower') throw new Error('invalid transition [follower -> leader]');
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.trk.progress.get(this.id)!;
    self.becomeReplicate();
    self.recentActive = true;
    // An empty entry of the new term: committing it commits everything
    // before it (§5.4.2), and until it commits no configuration change may
    // be appended (the single-server change fix) — hence pendingConfIndex.
    this.appendEntry([{ term: 0, index: 0, type: 'normal', data: EMPTY_DATA }]);
    this.pendingConfIndex = this.raftLog.lastIndex();
    this.logger.info(`${this.id} became leader at term ${this.term}`);
  }

  private appendEntry(es: Entry[]): boolean {
    let li = this.raftLog.lastIndex();
    for (let i = 0; i < es.length; i++) {
      es[i] = { term: this.term, index: li + 1 + i, type: es[i]!.type, data: es[i]!.data };
    }
    if (!this.increaseUncommittedSize(es)) {
      this.logger.warn(`${this.id} appending new entries to log would exceed uncommitted entry size limit; dropping proposal`);
      return false;
    }
    li = this.raftLog.append(es);
    // The leader's own entries count toward commitment: they are persisted
    // before any follower can acknowledge them (Ready contract).
    this.trk.progress.get(this.id)?.maybeUpdate(li);
    this.maybeCommit();
    return true;
  }

  private increaseUncommittedSize(es: Entry[]): boolean {
    let s = 0;
    for (const e of es) s += e.data.byteLength;
    if (this.uncommittedSize > 0 && s > 0 && this.maxUncommittedSize > 0 && this.uncommittedSize + s > this.maxUncommittedSize) {
      return false;
    }
    this.uncommittedSize += s;
    return true;
  }

  /** Entries were handed to the application to apply: they no longer count as uncommitted. */
  reduceUncommittedSize(es: Entry[]): void {
    if (this.uncommittedSize === 0) return;
    let s = 0;
    for (const e of es) s += e.data.byteLength;
    this.uncommittedSize = s > this.uncommittedSize ? 0 : this.uncommittedSize - s;
  }

  // --- configuration --------------------------------------------------------

  /** The configuration changed (an entry was appended, truncated or a snapshot restored). */
  private switchToConfig(cs: ConfState): void {
    this.trk.setConfig(cs, this.raftLog.lastIndex() + 1);
    const self = this.trk.progress.get(this.id);
    this.isLearner = self?.isLearner ?? false;
    if (this.role !== 'leader') return;
    if (self && this.trk.voters.includes(this.id)) self.match = Math.max(self.match, this.raftLog.lastIndex());
    if (this.leadTransferee !== NONE && !this.trk.voters.includes(this.leadTransferee)) this.abortLeaderTransfer();
    // A smaller quorum may commit more: tell everyone. (New members get their
    // first append from the caller's broadcast.)
    if (!this.maybeCommit()) return;
    if (this.role === 'leader') this.bcastAppend();
  }

  // --- ticks ----------------------------------------------------------------

  tick(): void {
    this.ticks++;
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(message({ type: 'MsgHup', from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(message({ type: 'MsgCheckQuorum', from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.role === 'leader' && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.role !== 'leader') return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(message({ type: 'MsgBeat', from: this.id }));
    }
  }

  // --- elections --------------------------------------------------------------

  private hup(t: CampaignType): void {
    if (this.role === 'leader') {
      this.logger.debug(`${this.id} ignoring MsgHup because already leader`);
      return;
    }
    if (!this.promotable()) {
      this.logger.warn(`${this.id} is unpromotable and can not campaign`);
      return;
    }
    this.logger.info(`${this.id} is starting a new election at term ${this.term}`);
    this.campaign(t);
  }

  private campaign(t: CampaignType): void {
    let term: number;
    let voteMsg: MessageType;
    if (t === 'preElection') {
      this.becomePreCandidate();
      voteMsg = 'MsgPreVote';
      // Ask about the next term without entering it.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteMsg = 'MsgVote';
      term = this.term;
    }
    // Vote for ourselves first; a single-voter cluster wins at once.
    if (this.poll(this.id, voteResponseType(voteMsg), true) === 'won') {
      if (t === 'preElection') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    for (const id of this.trk.voters) {
      if (id === this.id) continue;
      this.logger.debug(`${this.id} [logterm: ${lastTerm}, index: ${lastIndex}] sent ${voteMsg} request to ${id} at term ${this.term}`);
      this.send(
        message({
          type: voteMsg,
          to: id,
          term,
          index: lastIndex,
          logTerm: lastTerm,
          context: t === 'transfer' ? CAMPAIGN_TRANSFER : EMPTY_DATA,
        }),
      );
    }
  }

  private poll(id: NodeId, t: MessageType, granted: boolean) {
    this.logger.debug(`${this.id} received ${t} ${granted ? '' : 'rejection '}from ${id} at term ${this.term}`);
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes().result;
  }

  // --- step ---------------------------------------------------------------

  step(m: Message): void {
    // A message no correct peer sends is refused before it changes anything.
    if (m.term !== 0) {
      const why = invalidInbound(m, this.raftLog.lastIndex());
      if (why) throw new RaftError('ERR_RAFT_INVALID_MESSAGE', `${m.type} from ${m.from}: ${why}`);
    }
    // First, the term.
    if (m.term === 0) {
      // Local message (or a proposal / forwarded read, which carry no term).
    } else if (m.term > this.term) {
      if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
        const force = isCampaignTransfer(m.context);
        // In lease mode a node that just started also waits out one election
        // timeout: it may have been inside a leader's lease before it
        // restarted, and has forgotten (lease.ts).
        const justStarted = this.readOnly.option === 'leaseBased' && this.ticks < this.electionTimeout;
        const inLease = this.checkQuorum && ((this.lead !== NONE && this.electionElapsed < this.electionTimeout) || justStarted);
        if (!force && inLease) {
          // We heard from a leader within the minimum election timeout: this
          // candidate is probably partitioned or removed, so do not let it
          // disrupt the cluster (thesis §4.2.3).
          this.logger.debug(`${this.id} ignored ${m.type} from ${m.from} at term ${m.term}: lease is not expired`);
          return;
        }
      }
      if (m.type === 'MsgPreVote') {
        // Never change our term in response to a pre-vote.
      } else if (m.type === 'MsgPreVoteResp' && !m.reject) {
        // We send pre-votes with a term one ahead of ours; a grant carries that
        // term. We only move to it once we win the pre-election.
      } else {
        this.logger.debug(`${this.id} received a ${m.type} message with higher term from ${m.from} [term: ${m.term}]`);
        if (m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap') this.becomeFollower(m.term, m.from);
        else this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'MsgHeartbeat' || m.type === 'MsgApp')) {
        // A stale leader (partitioned, or one whose votes we ignored under the
        // lease) must learn the new term, or it would never step down.
        this.send(message({ type: 'MsgAppResp', to: m.from }));
      } else if (m.type === 'MsgPreVote') {
        this.logger.debug(`${this.id} rejected ${m.type} from ${m.from} [term ${m.term}] at term ${this.term}`);
        this.send(message({ type: 'MsgPreVoteResp', to: m.from, term: this.term, reject: true }));
      } else {
        this.logger.debug(`${this.id} ignored a ${m.type} message with lower term from ${m.from} [term: ${m.term}]`);
      }
      return;
    }

    switch (m.type) {
      case 'MsgHup':
        this.hup(this.preVote ? 'preElection' : 'election');
        return;
      case 'MsgVote':
      case 'MsgPreVote': {
        // We can vote if this is a repeat of a vote we cast, or we have not
        // voted and know of no leader this term, or it is a pre-vote for a
        // future term.
        const canVote =
          this.vote === m.from ||
          (this.vote === NONE && this.lead === NONE) ||
          (m.type === 'MsgPreVote' && m.term > this.term);
        const upToDate = this.breakVoteCheck || this.raftLog.isUpToDate(m.index, m.logTerm);
        if (canVote && upToDate) {
          this.logger.debug(`${this.id} cast ${m.type} for ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`);
          // The response carries the term of the request, not ours: for a
          // pre-vote we have not (and may never) enter that term.
          this.send(message({ type: voteResponseType(m.type), to: m.from, term: m.term }));
          if (m.type === 'MsgVote') {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.logger.debug(`${this.id} rejected ${m.type} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`);
          this.send(message({ type: voteResponseType(m.type), to: m.from, term: this.term, reject: true }));
        }
        return;
      }
    }

    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'precandidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'MsgBeat':
        this.bcastHeartbeat();
        return;
      case 'MsgCheckQuorum':
        if (!this.trk.quorumActive()) {
          this.logger.warn(`${this.id} stepped down to follower since quorum is not active`);
          this.becomeFollower(this.term, NONE);
        }
        // Activity is counted afresh for the next round.
        for (const [id, pr] of this.trk.progress) if (id !== this.id) pr.recentActive = false;
        return;
      case 'MsgProp':
        this.handleProposal(m);
        return;
      case 'MsgReadIndex':
        if (!this.trk.isVoter(this.id)) {
          // A leader that removed itself no longer speaks for any quorum:
          // another leader may already be committing without it.
          throw new RaftError('ERR_RAFT_PROPOSAL_DROPPED', 'leader is not a voter');
        }
        if (this.trk.isSingleton(this.id)) {
          this.respondToReadIndex(m, this.raftLog.committed);
          return;
        }
        // A new leader does not know the commit index of the old one until it
        // commits an entry of its own term (thesis §6.4 step 1).
        if (!this.committedEntryInCurrentTerm()) {
          this.pendingReadIndexMessages.push(m);
          return;
        }
        if (this.readOnly.option === 'leaseBased' && !this.holdsLease()) {
          throw new RaftError('ERR_RAFT_PROPOSAL_DROPPED', 'no valid leader lease; retry the read');
        }
        this.sendMsgReadIndexResponse(m);
        return;
    }

    const pr = this.trk.progress.get(m.from);
    if (!pr) {
      this.logger.debug(`${this.id} no progress available for ${m.from}`);
      return;
    }
    switch (m.type) {
      case 'MsgAppResp':
        this.handleAppendResponse(m, pr);
        return;
      case 'MsgHeartbeatResp': {
        pr.recentActive = true;
        pr.msgAppFlowPaused = false;
        if (pr.match < this.raftLog.lastIndex()) this.sendAppend(m.from);
        if (m.context.length === 0) return;
        if (this.readOnly.option === 'leaseBased') {
          this.lease.ack(m.context, m.from, this.id, this.trk.voters);
          return;
        }
        const acks = this.readOnly.recvAck(m.from, m.context);
        if (!acks) return;
        const votes = new Map<NodeId, boolean>();
        for (const id of acks) votes.set(id, true);
        if (majorityVoteResult(this.trk.voters, votes) !== 'won') return;
        for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
        return;
      }
      case 'MsgSnapStatus':
        if (pr.state !== 'snapshot') return;
        if (m.reject) pr.pendingSnapshot = 0;
        this.logger.debug(`${this.id} snapshot ${m.reject ? 'failed' : 'succeeded'}, resumed sending replication messages to ${m.from} [${pr.describe()}]`);
        pr.becomeProbe();
        // Wait for the follower's append response (or the next heartbeat)
        // before sending more.
        pr.msgAppFlowPaused = true;
        return;
      case 'MsgUnreachable':
        // The follower probably lost our appends: find out where it is.
        if (pr.state === 'replicate') pr.becomeProbe();
        return;
      case 'MsgTransferLeader':
        this.handleTransferLeader(m, pr);
        return;
    }
  }

  private handleProposal(m: Message): void {
    if (m.entries.length === 0) throw new Error(`${this.id} stepped empty MsgProp`);
    if (!this.trk.progress.has(this.id)) {
      // We were removed while leading; stepping down is imminent.
      throw new RaftError('ERR_RAFT_PROPOSAL_DROPPED', 'leader is not a member');
    }
    if (this.leadTransferee !== NONE) {
      throw new RaftError('ERR_RAFT_PROPOSAL_DROPPED', `transfer of leadership to ${this.leadTransferee} in progress`);
    }
    const changes = m.entries.filter((e) => e.type === 'confChange');
    if (changes.length > 0) {
      // One change at a time (thesis §4.1): a second one in the same batch
      // could move two voters at once, and majorities stop overlapping.
      if (changes.length > 1) throw new RaftError('ERR_RAFT_PROPOSAL_DROPPED', 'only one configuration change per proposal');
      if (this.pendingConfIndex > this.raftLog.committed) {
        throw new RaftError('ERR_RAFT_PROPOSAL_DROPPED', 'a configuration change is already pending');
      }
      let cc;
      try {
        cc = decodeConfChange(changes[0]!.data);
      } catch (err) {
        throw new RaftError('ERR_RAFT_PROPOSAL_DROPPED', (err as Error).message);
      }
      const problem = confChangeProblem(this.trk.confState(), cc);
      if (problem) throw new RaftError('ERR_RAFT_PROPOSAL_DROPPED', problem);
    }
    const entries = m.entries.map((e) => ({ ...e }));
    if (!this.appendEntry(entries)) throw new RaftError('ERR_RAFT_PROPOSAL_DROPPED', 'uncommitted entry size limit');
    for (const e of entries) if (e.type === 'confChange') this.pendingConfIndex = e.index;
    this.bcastAppend();
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      this.logger.debug(`${this.id} received MsgAppResp(rejected, hint: (index ${m.rejectHint}, term ${m.logTerm})) from ${m.from} for index ${m.index}`);
      // The follower told us the last index at which its log may match ours
      // and that entry's term. Skip straight past every entry of a term the
      // follower cannot have (fast backtracking, Raft §5.3 "optimization").
      let nextProbeIdx = m.rejectHint;
      if (m.logTerm > 0) nextProbeIdx = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && (pr.match >= pr.pendingSnapshot || pr.match + 1 >= this.raftLog.firstIndex())) {
      // The snapshot arrived, or the follower caught up far enough to be
      // served from the log (even if the transport never reported the
      // snapshot's fate): resume normal replication.
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      // Tell everyone the new commit index (and keep streaming).
      if (this.role === 'leader') this.bcastAppend();
    } else if (oldPaused) {
      this.sendAppend(m.from);
    }
    if (this.role !== 'leader') return;
    // Fill the window while there is more to send.
    while (this.maybeSendAppend(m.from, false)) {
      /* keep sending */
    }
    if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
      this.logger.info(`${this.id} sent MsgTimeoutNow to ${m.from} after received MsgAppResp`);
      this.sendTimeoutNow(m.from);
    }
  }

  private handleTransferLeader(m: Message, pr: Progress): void {
    const transferee = m.from;
    if (pr.isLearner) {
      this.logger.debug(`${this.id} is learner. Ignored transferring leadership`);
      return;
    }
    if (this.leadTransferee !== NONE) {
      if (this.leadTransferee === transferee) return;
      this.abortLeaderTransfer();
    }
    if (transferee === this.id) return;
    this.logger.info(`${this.id} [term ${this.term}] starts to transfer leadership to ${transferee}`);
    // The transfer must finish within one election timeout.
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    if (pr.match === this.raftLog.lastIndex()) {
      this.sendTimeoutNow(transferee);
    } else {
      this.sendAppend(transferee);
    }
  }

  private holdsLease(): boolean {
    return this.leadTransferee === NONE && this.lease.valid(this.ticks);
  }

  private sendTimeoutNow(to: NodeId): void {
    // The transferee's election skips the followers' lease check, so a new
    // leader may exist before our lease runs out: give the lease up now.
    this.lease.revoke();
    this.send(message({ type: 'MsgTimeoutNow', to }));
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  private sendMsgReadIndexResponse(m: Message): void {
    if (this.readOnly.option === 'leaseBased') {
      if (!this.holdsLease()) {
        // Reads released after this leader's first commit may find the lease
        // gone; they are dropped like any lost request and the client retries.
        this.logger.debug(`${this.id} dropped a read: no valid leader lease`);
        return;
      }
      this.respondToReadIndex(m, this.raftLog.committed);
      return;
    }
    this.readOnly.addRequest(this.raftLog.committed, m);
    // Our own ack counts.
    this.readOnly.recvAck(this.id, m.context);
    this.bcastHeartbeat(m.context);
  }

  private respondToReadIndex(req: Message, readIndex: number): void {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index: readIndex, context: req.context });
      return;
    }
    this.send(message({ type: 'MsgReadIndexResp', to: req.from, index: readIndex, context: req.context }));
  }

  private stepCandidate(m: Message): void {
    // A pre-candidate counts pre-votes; a candidate counts votes. Stale
    // responses of the other kind are ignored.
    const myVoteResp: MessageType = this.role === 'precandidate' ? 'MsgPreVoteResp' : 'MsgVoteResp';
    switch (m.type) {
      case 'MsgProp':
        throw new RaftError('ERR_RAFT_PROPOSAL_DROPPED', 'no leader');
      case 'MsgApp':
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case 'MsgTimeoutNow':
        this.logger.debug(`${this.id} [term ${this.term} state ${this.role}] ignored MsgTimeoutNow from ${m.from}`);
        return;
      case 'MsgReadIndex':
        throw new RaftError('ERR_RAFT_PROPOSAL_DROPPED', 'no leader to serve the read');
    }
    if (m.type !== myVoteResp) return;
    const result = this.poll(m.from, m.type, !m.reject);
    if (result === 'won') {
      if (this.role === 'precandidate') {
        this.campaign('election');
      } else {
        this.becomeLeader();
        this.bcastAppend();
      }
    } else if (result === 'lost') {
      // A pre-candidate's lost pre-election, or a candidate's lost election:
      // back to follower, keeping the term we are in.
      this.becomeFollower(this.term, NONE);
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'MsgProp':
        if (this.lead === NONE) throw new RaftError('ERR_RAFT_PROPOSAL_DROPPED', 'no leader');
        if (this.disableProposalForwarding) throw new RaftError('ERR_RAFT_PROPOSAL_DROPPED', 'proposal forwarding is disabled');
        m.to = this.lead;
        this.send(m);
        return;
      case 'MsgApp':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'MsgTransferLeader':
        if (this.lead === NONE) {
          this.logger.info(`${this.id} no leader at term ${this.term}; dropping leader transfer msg`);
          return;
        }
        m.to = this.lead;
        this.send(m);
        return;
      case 'MsgTimeoutNow':
        // The leader chose us: campaign now, skipping pre-vote (we know we
        // are up to date, and the lease must not stop this election).
        this.logger.info(`${this.id} [term ${this.term}] received MsgTimeoutNow from ${m.from} and starts an election to get leadership`);
        if (this.promotable()) this.campaign('transfer');
        return;
      case 'MsgReadIndex':
        if (this.lead === NONE) throw new RaftError('ERR_RAFT_PROPOSAL_DROPPED', 'no leader to serve the read');
        m.to = this.lead;
        this.send(m);
        return;
      case 'MsgReadIndexResp':
        this.readStates.push({ index: m.index, context: m.context });
        return;
    }
  }

  private handleAppendEntries(m: Message): void {
    if (m.index < this.raftLog.committed) {
      // Everything up to our commit index is settled: tell the leader so.
      this.send(message({ type: 'MsgAppResp', to: m.from, index: this.raftLog.committed }));
      return;
    }
    const committedBefore = this.raftLog.committed;
    const lastNew = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      if (this.raftLog.committed > committedBefore) this.afterCommitAdvanced();
      this.send(message({ type: 'MsgAppResp', to: m.from, index: lastNew }));
      return;
    }
    // The logs differ at m.index. Hint where they may match: the last entry
    // at or before m.index whose term is <= the leader's term there.
    const hint = this.raftLog.findConflictByTerm(Math.min(m.index, this.raftLog.lastIndex()), m.logTerm);
    this.logger.debug(
      `${this.id} [logterm: ${this.raftLog.termOrZero(m.index)}, index: ${m.index}] rejected MsgApp [logterm: ${m.logTerm}, index: ${m.index}] from ${m.from}`,
    );
    this.send(message({ type: 'MsgAppResp', to: m.from, index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term }));
  }

  private handleHeartbeat(m: Message): void {
    const before = this.raftLog.committed;
    this.raftLog.commitTo(m.commit);
    if (this.raftLog.committed > before) this.afterCommitAdvanced();
    this.send(message({ type: 'MsgHeartbeatResp', to: m.from, context: m.context }));
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot!;
    if (this.restore(s)) {
      this.logger.info(`${this.id} [commit: ${this.raftLog.committed}] restored snapshot [index: ${s.metadata.index}, term: ${s.metadata.term}]`);
      this.send(message({ type: 'MsgAppResp', to: m.from, index: this.raftLog.lastIndex() }));
    } else {
      this.logger.info(`${this.id} [commit: ${this.raftLog.committed}] ignored snapshot [index: ${s.metadata.index}, term: ${s.metadata.term}]`);
      this.send(message({ type: 'MsgAppResp', to: m.from, index: this.raftLog.committed }));
    }
  }

  /** Install a snapshot from the leader. Returns false if it was not needed. */
  private restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.raftLog.committed) return false;
    if (this.role !== 'follower') {
      // Only a follower can receive a snapshot from a leader of its term;
      // anything else means something is badly wrong. Move on to a new term.
      this.logger.warn(`${this.id} attempted to restore snapshot as ${this.role}; should never happen`);
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    if (this.raftLog.matchTerm(s.metadata.index, s.metadata.term)) {
      // We already have the entries: just commit up to the snapshot.
      this.logger.info(`${this.id} fast-forwarded commit to snapshot [index: ${s.metadata.index}, term: ${s.metadata.term}]`);
      this.raftLog.commitTo(s.metadata.index);
      this.afterCommitAdvanced();
      return false;
    }
    this.raftLog.restore(s);
    this.configLog.reset(s.metadata.index, s.metadata.confState);
    this.switchToConfig(s.metadata.confState);
    return true;
  }

  status(): RaftStatus {
    const progress: Record<NodeId, string> = {};
    if (this.role === 'leader') for (const [id, pr] of this.trk.progress) progress[id] = pr.describe();
    return {
      id: this.id,
      hardState: this.hardState(),
      softState: this.softState(),
      applied: this.raftLog.applied,
      lastIndex: this.raftLog.lastIndex(),
      config: this.trk.confState(),
      leadTransferee: this.leadTransferee,
      progress,
    };
  }

  /** Whether `type` should never arrive from the network. */
  static isLocal(type: MessageType): boolean {
    return isLocalMessage(type);
  }
}

export interface RaftStatus {
  id: NodeId;
  hardState: HardState;
  softState: SoftState;
  applied: number;
  lastIndex: number;
  config: ConfState;
  leadTransferee: NodeId;
  progress: Record<NodeId, string>;
}
