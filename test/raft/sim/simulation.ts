// A whole Raft cluster in one process, driven by one seeded random source.
//
// Each step of simulated time: maybe inject a fault or a client action, then
// deliver the messages that are due (in random order), tick every running
// node, and let nodes process their Ready (persist, send, apply). The same seed
// always produces the same run, so a failing seed replays exactly.
//
// Faults (each seed enables a random subset, at random intensities — "swarm
// testing"): message loss, delay and reordering, duplication, symmetric and
// asymmetric partitions, crashes that lose everything not yet durable
// (including a commit index written without fsync), membership changes,
// leadership transfers, snapshots with aggressive log compaction.
import { applyConfChange, decodeConfChange, describeConfState } from '../../../src/raft/confchange.js';
import { describeEntry, describeMessage } from '../../../src/raft/describe.js';
import { isRaftError } from '../../../src/raft/errors.js';
import type { RaftConfig } from '../../../src/raft/raft.js';
import { SeededRandom } from '../../../src/raft/random.js';
import { bootstrap, RawNode } from '../../../src/raft/rawnode.js';
import { MemoryStorage } from '../../../src/raft/storage.js';
import type { ConfChange, ConfState, Entry, HardState, Message, NodeId, Ready } from '../../../src/raft/types.js';
import { mayPrecedePersistence } from '../../../src/raft/types.js';
import type { LogView, Violation } from './checker.js';
import { SafetyChecker } from './checker.js';

export interface SimOptions {
  seed: number;
  nodes: number;
  /** Steps with faults, before the network heals and liveness is checked. */
  faultSteps?: number;
  /** Steps allowed for the healed cluster to elect a leader and commit. */
  livenessSteps?: number;
  trace?: (line: string) => void;
  /** Deliberately broken Raft rules, to show the checker catches them. */
  breakRule?: 'vote' | 'commit' | 'lease' | 'durable';
}

export interface SimResult {
  seed: number;
  violations: Violation[];
  stats: { steps: number; committed: number; elections: number; crashes: number; snapshots: number; confChanges: number; transfers: number };
  profile: string;
}

/** How hard this seed hits the cluster. */
interface FaultProfile {
  dropRate: number;
  dupRate: number;
  maxDelay: number;
  crashRate: number;
  /** Chance a leader crashes right after its commit index moves, before its Ready is processed. */
  crashOnCommitRate: number;
  /** Chance a new leader's outbound links clog (drop everything) for a while right after it is elected. */
  clogRate: number;
  restartRate: number;
  partitionRate: number;
  confChangeRate: number;
  transferRate: number;
  snapshotRate: number;
  proposeRate: number;
  /** Clients wait for answers: at most this many proposals are outstanding. */
  maxOutstanding: number;
  readRate: number;
  readyRate: number;
  /** How often a leader sends its appends before its own disk write finishes (then finishes it later, or crashes first). */
  earlySendRate: number;
  preVote: boolean;
  checkQuorum: boolean;
  /** Serve reads from a leader lease (only with check-quorum) instead of ReadIndex rounds. */
  leaseReads: boolean;
}

function drawProfile(rng: SeededRandom): FaultProfile {
  const pick = <T>(xs: readonly T[]): T => rng.pick(xs);
  const profile: FaultProfile = {
    dropRate: pick([0, 0, 0.01, 0.05, 0.2]),
    dupRate: pick([0, 0.01, 0.05]),
    maxDelay: pick([1, 2, 4, 10]),
    crashRate: pick([0, 0.002, 0.01, 0.03, 0.08]),
    restartRate: pick([0.02, 0.1, 0.5]),
    crashOnCommitRate: pick([0, 0.05, 0.1, 0.2]),
    clogRate: pick([0, 0.1, 0.3, 0.5]),
    partitionRate: pick([0, 0.01, 0.03, 0.05]),
    confChangeRate: pick([0, 0, 0.005, 0.02]),
    transferRate: pick([0, 0.002, 0.01]),
    snapshotRate: pick([0, 0.01, 0.05]),
    proposeRate: pick([0.1, 0.3, 0.8]),
    maxOutstanding: pick([1, 8, 64]),
    readRate: pick([0, 0.05, 0.2]),
    readyRate: pick([1, 0.9, 0.6]),
    earlySendRate: pick([0, 0.5, 1]),
    preVote: rng.chance(0.5),
    checkQuorum: rng.chance(0.5),
    leaseReads: false,
  };
  // Lease reads need check-quorum; every node ticks in lockstep here, which
  // is the clock assumption lease.ts states.
  profile.leaseReads = profile.checkQuorum && rng.chance(0.4);
  return profile;
}

function describeProfile(p: FaultProfile): string {
  return (
    `drop=${p.dropRate} dup=${p.dupRate} delay<=${p.maxDelay} crash=${p.crashRate} restart=${p.restartRate} crashOnCommit=${p.crashOnCommitRate} clog=${p.clogRate} partition=${p.partitionRate} ` +
    `conf=${p.confChangeRate} transfer=${p.transferRate} snapshot=${p.snapshotRate} propose=${p.proposeRate} ` +
    `outstanding<=${p.maxOutstanding} read=${p.readRate} ready=${p.readyRate} earlySend=${p.earlySendRate} preVote=${p.preVote} checkQuorum=${p.checkQuorum} leaseReads=${p.leaseReads}`
  );
}

/** Steps a client waits for its proposal before giving up on it. */
const CLIENT_TIMEOUT = 100;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** FNV-1a over the previous digest and the applied bytes: a cheap state-machine fingerprint. */
function fold(digest: number, index: number, data: Uint8Array): number {
  let h = (digest ^ index) >>> 0;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 16777619) >>> 0;
  return Math.imul(h ^ 0x9e, 16777619) >>> 0;
}

function dataKey(e: Entry): string {
  return e.data.length === 0 ? '<empty>' : e.type === 'confChange' ? `conf:${decoder.decode(e.data.subarray(2))}` : decoder.decode(e.data);
}

/** What survives a crash: the durable log, hard state and snapshot. */
class Disk {
  readonly store: MemoryStorage;
  /** A hard state written without fsync (only the commit index changed); a crash may lose it. */
  unsynced: HardState | undefined;

  constructor(founders: NodeId[]) {
    this.store = new MemoryStorage();
    if (founders.length > 0) bootstrap(this.store, founders.map((id) => ({ id })));
  }

  /** A fresh in-memory storage holding exactly the durable contents. */
  load(): MemoryStorage {
    const snap = this.store.snapshot();
    const s = new MemoryStorage(snap.metadata.confState);
    if (snap.metadata.index > 0) s.applySnapshot(snap);
    const first = this.store.firstIndex();
    const last = this.store.lastIndex();
    if (last >= first) s.append(this.store.entries(first, last + 1, Infinity));
    s.setHardState(this.store.initialState().hardState);
    return s;
  }
}

class SimNode {
  readonly id: NodeId;
  readonly disk: Disk;
  node: RawNode | undefined;
  storage: MemoryStorage | undefined;
  /** The application's state machine: a digest of everything applied, and its membership view. */
  digest = 0;
  appliedIndex = 0;
  appConf: ConfState;
  lastCommit = 0;
  lastRole = 'follower';
  lastTerm = 0;
  /** Whether the liveness probe entry has been applied here. */
  appliedMarker = false;
  /** A Ready whose leader messages went out before its disk write, which has not happened yet. */
  inFlight: { rd: Ready; sent: Set<Message> } | undefined;
  /** Reads in flight: context → commit index known cluster-wide when requested. */
  readonly pendingReads = new Map<string, number>();

  /** `founders` is the initial cluster for a founding member, empty for one added later. */
  constructor(id: NodeId, founders: NodeId[]) {
    this.id = id;
    this.disk = new Disk(founders);
    this.appConf = { voters: [], learners: [] };
  }

  get alive(): boolean {
    return this.node !== undefined;
  }

  logView(): LogView {
    const raftLog = this.node!.raft.raftLog;
    return {
      termAt: (i) => {
        if (i < raftLog.firstIndex() - 1 || i > raftLog.lastIndex()) return undefined;
        return raftLog.term(i);
      },
      snapshotIndex: () => raftLog.firstIndex() - 1,
    };
  }
}

interface InFlight {
  at: number;
  m: Message;
}

export class Simulation {
  private readonly rng: SeededRandom;
  private readonly opts: Required<Omit<SimOptions, 'trace' | 'breakRule'>> & Pick<SimOptions, 'trace' | 'breakRule'>;
  private readonly profile: FaultProfile;
  readonly checker = new SafetyChecker();
  private readonly nodes = new Map<NodeId, SimNode>();
  private inflight: InFlight[] = [];
  /** Directed links that drop everything: `${from}>${to}`. */
  private blocked = new Set<string>();
  private now = 0;
  /** Whether the network misbehaves (loses, delays, duplicates, reorders) this step. */
  private faultsActive = true;
  private nextNodeId: number;
  private proposals = 0;
  /** Proposals whose clients are still waiting: data → step proposed. */
  private readonly outstanding = new Map<string, number>();
  /** Nodes whose outbound messages are lost until a given step. */
  private readonly clogged = new Map<NodeId, number>();
  /** Nodes scheduled to crash at a given step. */
  private readonly doomed = new Map<NodeId, number>();
  private livenessMarker: string | undefined;
  private readCount = 0;
  private readonly stats = { steps: 0, committed: 0, elections: 0, crashes: 0, snapshots: 0, confChanges: 0, transfers: 0 };

  constructor(opts: SimOptions) {
    this.opts = { faultSteps: 1200, livenessSteps: 600, ...opts };
    this.rng = new SeededRandom(opts.seed);
    this.profile = drawProfile(this.rng);
    const ids = Array.from({ length: opts.nodes }, (_, i) => String(i + 1));
    this.nextNodeId = opts.nodes + 1;
    for (const id of ids) {
      const n = new SimNode(id, ids);
      this.nodes.set(id, n);
      this.start(n);
    }
    this.trace(`seed ${opts.seed}: ${opts.nodes} nodes; ${describeProfile(this.profile)}`);
  }

  private trace(line: string): void {
    this.opts.trace?.(`${String(this.now).padStart(5)} ${line}`);
  }

  private raftConfig(n: SimNode, storage: MemoryStorage): RaftConfig {
    return {
      id: n.id,
      storage,
      electionTick: 10,
      heartbeatTick: 1,
      random: new SeededRandom(this.rng.intn(0x7fffffff)),
      applied: storage.snapshot().metadata.index,
      maxSizePerMsg: this.rng.pick([1, 64, 1024, 1024 * 1024]),
      maxInflightMsgs: this.rng.pick([1, 4, 256]),
      checkQuorum: this.profile.checkQuorum,
      preVote: this.profile.preVote,
      readOnlyOption: this.profile.leaseReads ? 'leaseBased' : 'safe',
      unsafeTestingBreak: {
        grantVotesWithoutLogCheck: this.opts.breakRule === 'vote',
        commitPreviousTermEntries: this.opts.breakRule === 'commit',
        leaseNeverExpires: this.opts.breakRule === 'lease',
        countUnpersistedLeaderEntries: this.opts.breakRule === 'durable',
      },
    };
  }

  private start(n: SimNode): void {
    const storage = n.disk.load();
    n.storage = storage;
    n.node = new RawNode(this.raftConfig(n, storage));
    // The state machine restarts from the snapshot; Raft re-delivers the rest.
    const snap = storage.snapshot();
    n.digest = snap.metadata.index > 0 ? decodeSnapshotDigest(snap.data) : 0;
    n.appliedIndex = snap.metadata.index;
    n.appConf = snap.metadata.confState;
    n.lastCommit = n.node.raft.raftLog.committed;
    n.lastRole = 'follower';
    n.lastTerm = n.node.raft.term;
    n.pendingReads.clear();
    this.checker.commitRegressedOnRestart(n.id, storage.initialState().hardState.commit, n.lastCommit);
  }

  run(): SimResult {
    const { faultSteps, livenessSteps } = this.opts;
    try {
      for (let i = 0; i < faultSteps && this.checker.violations.length === 0; i++) this.step(true);
      if (this.checker.violations.length === 0) this.checkLiveness(livenessSteps);
    } catch (err) {
      const e = err as Error;
      this.checker.step = this.now;
      this.checker.crashed(`${e.message}\n${e.stack ?? ''}`);
    }
    this.stats.steps = this.now;
    this.stats.committed = this.checker.highestCommitted();
    return { seed: this.opts.seed, violations: this.checker.violations, stats: { ...this.stats }, profile: describeProfile(this.profile) };
  }

  // --- one step of simulated time ------------------------------------------

  private step(faults: boolean): void {
    this.faultsActive = faults;
    this.now++;
    this.checker.step = this.now;
    if (faults) this.injectFaults();
    this.clientActions(faults);
    this.deliver(faults);
    for (const n of this.nodes.values()) {
      if (!n.alive) continue;
      n.node!.tick();
      this.observe(n);
    }
    for (const n of this.nodes.values()) {
      if (!n.alive) continue;
      if (faults) {
        // Under faults a node may fall behind on its Ready processing.
        if (this.rng.chance(this.profile.readyRate)) this.processReady(n);
      } else {
        // A healthy application drains Ready until there is nothing left.
        for (let i = 0; i < 1000 && n.alive && (n.inFlight || n.node!.hasReady()); i++) this.processReady(n);
      }
    }
  }

  private injectFaults(): void {
    const p = this.profile;
    const live = this.liveNodes();
    for (const [id, at] of this.doomed) {
      const n = this.nodes.get(id)!;
      if (at > this.now) continue;
      this.doomed.delete(id);
      if (n.alive && live.length > 1) this.crash(n);
    }
    if (this.rng.chance(p.crashRate)) {
      // Leaders are the interesting victims: half the crashes hit one.
      // Keep at least one node running, so the run keeps doing something.
      const leader = this.leaderNode();
      if (live.length > 1) this.crash(leader && this.rng.chance(0.5) ? leader : this.rng.pick(live));
    }
    const down = [...this.nodes.values()].filter((n) => !n.alive && !this.removed.has(n.id));
    if (down.length > 0 && this.rng.chance(p.restartRate)) this.restart(this.rng.pick(down));
    if (this.rng.chance(p.partitionRate)) this.partition();
    if (this.blocked.size > 0 && this.rng.chance(p.partitionRate * 2)) this.heal();
    if (this.rng.chance(p.confChangeRate)) this.changeMembership();
    if (this.rng.chance(p.transferRate)) this.transfer();
    if (this.rng.chance(p.snapshotRate)) this.snapshot();
  }

  private clientActions(faults: boolean): void {
    // A client gives up on a proposal after a timeout (it may still commit).
    for (const [data, at] of this.outstanding) if (this.now - at > CLIENT_TIMEOUT) this.outstanding.delete(data);
    if (faults && this.outstanding.size < this.profile.maxOutstanding && this.rng.chance(this.profile.proposeRate)) {
      const live = this.liveNodes();
      if (live.length > 0) this.propose(this.rng.pick(live));
    }
    if (faults && this.rng.chance(this.profile.readRate)) {
      // Clients send half their reads to whoever they believe leads — which,
      // after a partition, can be a deposed leader that does not know it yet.
      const live = this.liveNodes();
      const leaders = live.filter((n) => n.node!.raft.role === 'leader');
      if (leaders.length > 0 && this.rng.chance(0.5)) this.read(this.rng.pick(leaders));
      else if (live.length > 0) this.read(this.rng.pick(live));
    }
  }

  private liveNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.alive);
  }

  /**
   * Nodes whose removal from the cluster was committed. Like etcd's transport,
   * the network drops their messages, and they are never restarted.
   */
  private readonly removed = new Set<NodeId>();

  // --- client actions --------------------------------------------------------

  private propose(n: SimNode): void {
    const data = `s${this.opts.seed}-p${++this.proposals}`;
    this.checker.proposedData(data);
    this.outstanding.set(data, this.now);
    try {
      n.node!.propose(encoder.encode(data));
      this.trace(`propose ${JSON.stringify(data)} at ${n.id}`);
    } catch (err) {
      if (!isRaftError(err, 'ERR_RAFT_PROPOSAL_DROPPED')) throw err;
      this.trace(`propose ${JSON.stringify(data)} at ${n.id}: dropped (${(err as Error).message})`);
    }
    this.observe(n);
  }

  private read(n: SimNode): void {
    const ctx = `r${++this.readCount}`;
    try {
      n.node!.readIndex(encoder.encode(ctx));
      n.pendingReads.set(ctx, this.checker.highestCommitted());
      this.trace(`read ${ctx} at ${n.id} (committed so far ${this.checker.highestCommitted()})`);
    } catch (err) {
      if (!isRaftError(err, 'ERR_RAFT_PROPOSAL_DROPPED')) throw err;
    }
    this.observe(n);
  }

  private leaderNode(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.liveNodes()) {
      if (n.node!.raft.role === 'leader' && (!best || n.node!.raft.term > best.node!.raft.term)) best = n;
    }
    return best;
  }

  private changeMembership(): void {
    const leader = this.leaderNode();
    if (!leader) return;
    const cs = leader.node!.confState();
    const choices: ConfChange[] = [];
    const ctx = new Uint8Array(0);
    if (cs.voters.length < 7) choices.push({ type: 'addNode', nodeId: String(this.nextNodeId), context: ctx });
    if (cs.voters.length + cs.learners.length < 9) choices.push({ type: 'addLearnerNode', nodeId: String(this.nextNodeId), context: ctx });
    for (const l of cs.learners) choices.push({ type: 'addNode', nodeId: l, context: ctx });
    // Shrinking below three voters would make liveness depend on luck.
    if (cs.voters.length > 3) for (const v of cs.voters) choices.push({ type: 'removeNode', nodeId: v, context: ctx });
    for (const l of cs.learners) choices.push({ type: 'removeNode', nodeId: l, context: ctx });
    if (choices.length === 0) return;
    const cc = this.rng.pick(choices);
    try {
      leader.node!.proposeConfChange(cc);
    } catch (err) {
      if (!isRaftError(err, 'ERR_RAFT_PROPOSAL_DROPPED')) throw err;
      this.trace(`conf change ${cc.type} ${cc.nodeId} at ${leader.id}: dropped (${(err as Error).message})`);
      return;
    }
    this.stats.confChanges++;
    this.trace(`conf change ${cc.type} ${cc.nodeId} proposed at ${leader.id} (now ${describeConfState(cs)})`);
    if (cc.nodeId === String(this.nextNodeId)) {
      // The new server starts empty and learns the configuration from the leader.
      this.nextNodeId++;
      const n = new SimNode(cc.nodeId, []);
      this.nodes.set(n.id, n);
      this.start(n);
    }
    this.observe(leader);
  }

  private transfer(): void {
    const leader = this.leaderNode();
    if (!leader) return;
    const voters = leader.node!.confState().voters.filter((v) => v !== leader.id);
    if (voters.length === 0) return;
    const to = this.rng.pick(voters);
    this.stats.transfers++;
    this.trace(`transfer leadership ${leader.id} -> ${to}`);
    leader.node!.transferLeadership(to);
    this.observe(leader);
  }

  private snapshot(): void {
    const live = this.liveNodes().filter((n) => n.appliedIndex > n.storage!.snapshot().metadata.index);
    if (live.length === 0) return;
    const n = this.rng.pick(live);
    const index = n.appliedIndex;
    const data = encodeSnapshotDigest(n.digest);
    // Keep a few entries for slow followers, or none at all, to force snapshot sends.
    const keep = this.rng.pick([0, 0, 2, 10]);
    for (const store of [n.storage!, n.disk.store]) {
      store.createSnapshot(index, n.appConf, data);
      if (index - keep > store.firstIndex() - 1) store.compact(index - keep);
    }
    this.stats.snapshots++;
    this.trace(`snapshot ${n.id} at ${index}, log compacted to ${index - keep}`);
  }

  // --- faults ------------------------------------------------------------------

  private crash(n: SimNode): void {
    // Anything not fsynced is gone; a commit index written without fsync may
    // or may not have made it.
    if (n.disk.unsynced) {
      if (this.rng.chance(0.5)) n.disk.store.setHardState(n.disk.unsynced);
      n.disk.unsynced = undefined;
    }
    // A Ready still being written never reached the disk.
    n.inFlight = undefined;
    n.node = undefined;
    n.storage = undefined;
    this.stats.crashes++;
    this.trace(`crash ${n.id}`);
  }

  private restart(n: SimNode): void {
    if (n.disk.unsynced) {
      n.disk.store.setHardState(n.disk.unsynced);
      n.disk.unsynced = undefined;
    }
    this.start(n);
    const r = n.node!.raft;
    this.trace(`restart ${n.id} (term ${r.term}, commit ${r.raftLog.committed}, last ${r.raftLog.lastIndex()})`);
  }

  private partition(): void {
    const ids = [...this.nodes.keys()];
    this.blocked = new Set();
    const leader = this.leaderNode();
    if (leader && this.rng.chance(0.4)) {
      // Cut the leader off: it keeps taking proposals it can never commit,
      // and the rest elect a new leader — the setting of Raft's Figure 7/8.
      for (const b of ids) if (b !== leader.id) this.blocked.add(`${leader.id}>${b}`).add(`${b}>${leader.id}`);
      this.trace(`partition isolates leader ${leader.id}`);
    } else if (this.rng.chance(0.5)) {
      // Symmetric: two sides that cannot talk.
      const side = new Set(ids.filter(() => this.rng.chance(0.5)));
      for (const a of ids) for (const b of ids) if (side.has(a) !== side.has(b)) this.blocked.add(`${a}>${b}`);
      this.trace(`partition {${[...side].join(',')}} | {${ids.filter((i) => !side.has(i)).join(',')}}`);
    } else {
      // Asymmetric: some links lose traffic in one direction only.
      for (const a of ids) for (const b of ids) if (a !== b && this.rng.chance(0.25)) this.blocked.add(`${a}>${b}`);
      this.trace(`partition one-way ${[...this.blocked].join(' ')}`);
    }
  }

  private heal(): void {
    this.blocked = new Set();
    this.trace('heal network');
  }

  // --- network --------------------------------------------------------------

  private send(from: SimNode, m: Message): void {
    const p = this.profile;
    const faults = this.faultsActive;
    const clogged = (this.clogged.get(m.from) ?? 0) > this.now;
    if (faults && (clogged || this.blocked.has(`${m.from}>${m.to}`) || this.rng.chance(p.dropRate))) {
      this.trace(`drop ${describeMessage(m)}`);
      this.transportFailed(from, m);
      return;
    }
    const delay = faults ? 1 + this.rng.intn(p.maxDelay) : 1;
    this.inflight.push({ at: this.now + delay, m });
    if (faults && this.rng.chance(p.dupRate)) this.inflight.push({ at: this.now + 1 + this.rng.intn(p.maxDelay), m });
  }

  /** What a real transport tells Raft when a message does not get through. */
  private transportFailed(from: SimNode, m: Message): void {
    if (!from.alive) return;
    if (m.type === 'MsgSnap') from.node!.reportSnapshot(m.to, false);
    else if (m.type === 'MsgApp' && this.rng.chance(0.5)) from.node!.reportUnreachable(m.to);
  }

  private deliver(reorder: boolean): void {
    const due: InFlight[] = [];
    const later: InFlight[] = [];
    for (const f of this.inflight) (f.at <= this.now ? due : later).push(f);
    this.inflight = later;
    // Under faults, messages due at the same time arrive in any order; a
    // healed network delivers them in the order they were sent.
    for (let i = reorder ? due.length - 1 : 0; i > 0; i--) {
      const j = this.rng.intn(i + 1);
      [due[i], due[j]] = [due[j]!, due[i]!];
    }
    for (const { m } of due) {
      const to = this.nodes.get(m.to);
      const from = this.nodes.get(m.from);
      if (this.removed.has(m.from)) continue;
      if (!to?.alive) {
        if (from) this.transportFailed(from, m);
        continue;
      }
      this.trace(`deliver ${describeMessage(m)}`);
      this.stepNode(to, m);
      if (m.type === 'MsgSnap' && from?.alive) from.node!.reportSnapshot(m.to, true);
    }
  }

  private stepNode(n: SimNode, m: Message): void {
    const raft = n.node!.raft;
    // Whether the §5.4.1 check would allow a vote, judged before the step.
    const upToDate = m.type === 'MsgVote' ? raft.raftLog.isUpToDate(m.index, m.logTerm) : true;
    const votedBefore = raft.vote;
    const termBefore = raft.term;
    try {
      n.node!.step(m);
    } catch (err) {
      if (isRaftError(err, 'ERR_RAFT_STEP_PEER_NOT_FOUND')) return;
      throw err;
    }
    if (m.type === 'MsgVote' && raft.vote === m.from && (votedBefore !== m.from || termBefore !== raft.term)) {
      this.checker.voteGranted(m.term, m.from, upToDate);
    }
    this.observe(n);
  }

  // --- the application's side of the Ready loop ------------------------------

  private processReady(n: SimNode): void {
    const node = n.node!;
    if (n.inFlight) {
      // The disk write of an earlier Ready finishes now.
      const { rd, sent } = n.inFlight;
      n.inFlight = undefined;
      this.completeReady(n, rd, sent);
      return;
    }
    if (!node.hasReady()) return;
    const rd: Ready = node.ready();
    const early = rd.messages.filter(mayPrecedePersistence);
    if (early.length > 0 && this.rng.chance(this.profile.earlySendRate)) {
      // A leader replicates while its own disk is still writing.
      for (const m of early) this.send(n, m);
      n.inFlight = { rd, sent: new Set(early) };
      this.trace(`${n.id} sent ${early.length} message(s) before persisting`);
      return;
    }
    this.completeReady(n, rd, new Set());
  }

  private completeReady(n: SimNode, rd: Ready, alreadySent: Set<Message>): void {
    const node = n.node!;
    const storage = n.storage!;
    const disk = n.disk;
    // 1. Persist: snapshot, entries, hard state. fsync when Raft says so.
    if (rd.snapshot) {
      storage.applySnapshot(rd.snapshot);
      disk.store.applySnapshot(rd.snapshot);
      disk.unsynced = undefined;
      n.digest = decodeSnapshotDigest(rd.snapshot.data);
      n.appliedIndex = rd.snapshot.metadata.index;
      n.appConf = rd.snapshot.metadata.confState;
      this.checker.snapshotInstalled(n.id, rd.snapshot.metadata.index, n.digest);
      this.trace(`${n.id} installed snapshot at ${rd.snapshot.metadata.index} ${describeConfState(n.appConf)}`);
    }
    if (rd.entries.length > 0) {
      storage.append(rd.entries);
      disk.store.append(rd.entries);
      const first = rd.entries[0]!;
      const prevTerm = first.index - 1 <= 0 ? 0 : disk.store.term(first.index - 1);
      this.checker.persisted(n.id, rd.entries.map((e) => ({ index: e.index, term: e.term, dataKey: dataKey(e) })), prevTerm);
    }
    if (rd.hardState) {
      storage.setHardState(rd.hardState);
      if (rd.mustSync) {
        disk.store.setHardState(rd.hardState);
        disk.unsynced = undefined;
      } else {
        disk.unsynced = rd.hardState;
      }
    }
    // 2. Send, now that what the messages promise is durable.
    for (const m of rd.messages) if (!alreadySent.has(m)) this.send(n, m);
    // 3. Apply.
    for (const e of rd.committedEntries) {
      if (e.index <= n.appliedIndex) continue;
      n.digest = fold(n.digest, e.index, e.data);
      n.appliedIndex = e.index;
      if (e.type === 'confChange') {
        const cc = decodeConfChange(e.data);
        n.appConf = applyConfChange(n.appConf, cc);
        if (cc.type === 'removeNode') this.removed.add(cc.nodeId);
        this.trace(`${n.id} applied ${describeEntry(e)} → ${describeConfState(n.appConf)}`);
      }
      this.checker.appliedEntry(n.id, e.index, e.term, dataKey(e), n.digest, e.data.length > 0 && e.type === 'normal');
      this.outstanding.delete(dataKey(e));
      if (this.livenessMarker !== undefined && dataKey(e) === this.livenessMarker) n.appliedMarker = true;
    }
    for (const rs of rd.readStates) {
      const ctx = decoder.decode(rs.context);
      const committedAtRequest = n.pendingReads.get(ctx);
      if (committedAtRequest === undefined) continue;
      n.pendingReads.delete(ctx);
      this.checker.readServed(n.id, rs.index, committedAtRequest);
    }
    // 4. Done.
    node.advance();
    this.observe(n);
  }

  /** Look at a node after it did something: roles, terms and commits. */
  private observe(n: SimNode): void {
    if (!n.alive) return;
    const r = n.node!.raft;
    if (r.role !== n.lastRole || r.term !== n.lastTerm) {
      if (r.role === 'leader') {
        this.stats.elections++;
        // Some new leaders die young, before their first entry spreads, or
        // lose their outbound network for a while (FoundationDB's "clogging").
        if (this.faultsActive && this.rng.chance(this.profile.crashRate * 5)) this.doomed.set(n.id, this.now + this.rng.intn(4));
        if (this.faultsActive && this.rng.chance(this.profile.clogRate)) {
          const until = this.now + 5 + this.rng.intn(20);
          this.clogged.set(n.id, until);
          this.trace(`${n.id} outbound links clogged until ${until}`);
        }
        this.trace(`${n.id} became leader at term ${r.term} (last ${r.raftLog.lastIndex()}/${r.raftLog.lastTerm()})`);
        this.checker.becameLeader(n.id, r.term, n.logView());
      } else if (r.role !== n.lastRole) {
        this.trace(`${n.id} became ${r.role} at term ${r.term}`);
      }
      n.lastRole = r.role;
      n.lastTerm = r.term;
    }
    const commit = r.raftLog.committed;
    if (commit !== n.lastCommit) {
      const leaders = this.liveNodes()
        .filter((l) => l.node!.raft.role === 'leader')
        .map((l) => ({ id: l.id, term: l.node!.raft.term, log: l.logView() }));
      this.checker.commitAdvanced(n.id, r.term, n.lastCommit, commit, n.logView(), leaders);
      n.lastCommit = commit;
      if (r.role === 'leader' && this.faultsActive && this.liveNodes().length > 1 && this.rng.chance(this.profile.crashOnCommitRate)) {
        this.crash(n);
      }
    }
  }

  // --- liveness ----------------------------------------------------------------

  private checkLiveness(maxSteps: number): void {
    this.heal();
    for (const n of this.nodes.values()) if (!n.alive && !this.removed.has(n.id)) this.restart(n);
    // The bound grows with the work left over from the fault phase: the
    // uncommitted backlog must commit before the probe can, at least one
    // entry per round trip in the slowest flow-control settings.
    const running = this.liveNodes().filter((n) => !this.removed.has(n.id));
    const last = Math.max(...running.map((n) => n.node!.raft.raftLog.lastIndex()));
    const slowest = Math.min(...running.map((n) => n.appliedIndex));
    const backlog = Math.max(0, last - slowest);
    maxSteps += 4 * backlog;
    this.trace(`faults stopped: network healed, every node running; backlog ${backlog}, allowing ${maxSteps} steps`);
    const marker = `s${this.opts.seed}-liveness`;
    this.livenessMarker = marker;
    this.checker.proposedData(marker);
    let proposedAt = -1;
    for (let i = 0; i < maxSteps; i++) {
      this.step(false);
      if (this.checker.violations.length > 0) return;
      const leader = this.leaderNode();
      if (leader && proposedAt < 0) {
        try {
          leader.node!.propose(encoder.encode(marker));
          proposedAt = this.now;
          this.trace(`liveness probe proposed at ${leader.id}`);
        } catch (err) {
          if (!isRaftError(err, 'ERR_RAFT_PROPOSAL_DROPPED')) throw err;
        }
      }
      if (proposedAt >= 0 && this.markerAppliedEverywhere()) {
        this.trace(`liveness probe applied on every member after ${this.now - proposedAt} steps`);
        return;
      }
      // A leader can lose its proposal (it steps down); propose again then.
      if (proposedAt >= 0 && this.now - proposedAt > 100) proposedAt = -1;
    }
    const state = this.liveNodes()
      .map((n) => `${n.id}:${n.node!.raft.role}@${n.node!.raft.term} commit=${n.node!.raft.raftLog.committed} applied=${n.appliedIndex}`)
      .join(' ');
    this.checker.livenessFailed(`no new proposal committed on every member within ${maxSteps} steps after faults stopped: ${state}`);
  }

  private markerAppliedEverywhere(): boolean {
    const leader = this.leaderNode();
    if (!leader) return false;
    const cs = leader.node!.confState();
    return [...cs.voters, ...cs.learners].every((id) => {
      const n = this.nodes.get(id);
      return n?.alive === true && n.appliedMarker;
    });
  }
}

function encodeSnapshotDigest(digest: number): Uint8Array {
  return encoder.encode(String(digest));
}

function decodeSnapshotDigest(data: Uint8Array): number {
  return Number(decoder.decode(data));
}

export function runSeed(opts: SimOptions): SimResult {
  return new Simulation(opts).run();
}
