// The interpreter behind the transcript tests: a handful of RawNodes in one
// process, a network made of per-node inboxes, and one method per script
// command. Every command returns the text it printed; the runner compares it
// with the expected output in the script.
//
// The application side follows the loop in src/raft/rawnode.ts exactly:
// persist (snapshot, entries, hard state), then send, then apply, then
// advance. Storage is written only by that loop, so a crashed node restarts
// from precisely what it persisted.
import { applyConfChange, confStateEqual, decodeConfChange, describeConfState } from '../../../src/raft/confchange.js';
import { describeEntry, describeMessage } from '../../../src/raft/describe.js';
import { isRaftError } from '../../../src/raft/errors.js';
import type { RaftConfig, RaftLogger } from '../../../src/raft/raft.js';
import { bootstrap, RawNode } from '../../../src/raft/rawnode.js';
import type { RandomSource } from '../../../src/raft/random.js';
import { MemoryStorage } from '../../../src/raft/storage.js';
import type { ConfChangeType, ConfState, Entry, HardState, Message, NodeId, Ready, Snapshot } from '../../../src/raft/types.js';
import type { Command } from './script.js';
import { listItems } from './script.js';

// Small timeouts keep the scripts short. With the fixed random source below
// every randomized election timeout is exactly ELECTION_TICK.
const ELECTION_TICK = 3;
const HEARTBEAT_TICK = 1;
const noJitter: RandomSource = { intn: () => 0 };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

type LogLevel = 'none' | 'warn' | 'info' | 'debug';
const levelRank: Record<LogLevel, number> = { none: 0, warn: 1, info: 2, debug: 3 };

/** Per-node Raft options set by add-nodes. */
interface NodeOptions {
  preVote: boolean;
  checkQuorum: boolean;
  maxSizePerMsg: number | undefined;
  breakCommitRule: boolean;
}

/** The application's state machine: applied payloads and the configuration history. */
interface AppState {
  applied: number;
  /** Non-empty normal entries applied, in order: what a snapshot carries. */
  payloads: { index: number; data: string }[];
  /** The configuration after each applied conf change (and the starting one). */
  confs: { index: number; conf: ConfState }[];
}

interface EnvNode {
  readonly id: NodeId;
  /** The durable storage: written only when a Ready is processed. */
  readonly storage: MemoryStorage;
  readonly options: NodeOptions;
  /** Undefined while the node is crashed. */
  raw: RawNode | undefined;
  inbox: Message[];
  app: AppState;
}

export class InteractionEnv {
  private readonly nodes = new Map<NodeId, EnvNode>();
  /** Partition groups; empty when the network is whole. */
  private groups: NodeId[][] = [];
  private logLevel: LogLevel = 'none';
  private out: string[] = [];
  private indent = '';
  /** What every node applied at each index, to catch state machine safety violations. */
  private readonly appliedAt = new Map<number, { id: NodeId; entry: string }>();

  /** Run one command line and return what it printed ("ok" when nothing). */
  handle(cmd: Command): string {
    this.out = [];
    this.indent = '';
    try {
      this.dispatch(cmd);
    } catch (err) {
      this.print(`ERROR ${err instanceof Error ? err.message : String(err)}`);
    }
    return this.out.length === 0 ? 'ok' : this.out.join('\n');
  }

  private dispatch(cmd: Command): void {
    const p = cmd.positional;
    switch (cmd.name) {
      case 'log-level':
        return this.setLogLevel(one(p, 'log-level LEVEL'));
      case 'add-nodes':
        return this.addNodes(cmd);
      case 'campaign':
        return this.live(one(p, 'campaign ID')).campaign();
      case 'propose':
        return this.propose(cmd);
      case 'propose-conf-change':
        return this.proposeConfChange(cmd);
      case 'process-ready':
        return this.ids(p).forEach((id) => this.processReady(id));
      case 'deliver-msgs':
        return this.deliverMsgs(cmd);
      case 'drop-msgs':
        return this.dropMsgs(cmd);
      case 'stabilize':
        return this.stabilize(p.length > 0 ? p : this.allIds());
      case 'tick':
        return this.tick(one(p, 'tick ID'), Number(named(cmd, 'n') ?? '1'));
      case 'tick-heartbeat':
        return this.tick(one(p, 'tick-heartbeat ID'), HEARTBEAT_TICK);
      case 'tick-election':
        return this.tick(one(p, 'tick-election ID'), ELECTION_TICK);
      case 'partition':
        return this.partition(p.map(listItems));
      case 'heal':
        this.groups = [];
        return;
      case 'transfer-leadership':
        return this.live(required(cmd, 'from')).transferLeadership(required(cmd, 'to'));
      case 'read-index':
        return this.readIndex(cmd);
      case 'compact':
        return this.compact(cmd);
      case 'raft-log':
        return this.raftLog(one(p, 'raft-log ID'));
      case 'raft-state':
        return this.raftState();
      case 'status':
        return this.status(one(p, 'status ID'));
      case 'crash':
        return this.crash(one(p, 'crash ID'));
      case 'restart':
        return this.restart(one(p, 'restart ID'));
      default:
        throw new Error(`unknown command '${cmd.name}'`);
    }
  }

  // --- output ---------------------------------------------------------------

  private print(line: string): void {
    this.out.push(this.indent + line);
  }

  private setLogLevel(level: string): void {
    if (!(level in levelRank)) throw new Error(`unknown log level '${level}'`);
    this.logLevel = level as LogLevel;
  }

  /** Raft's own log lines, printed inline at or above the chosen level. */
  private loggerFor(): RaftLogger {
    const emit = (level: LogLevel, msg: string) => {
      if (levelRank[level] <= levelRank[this.logLevel]) this.print(`${level.toUpperCase()} ${msg}`);
    };
    return { debug: (m) => emit('debug', m), info: (m) => emit('info', m), warn: (m) => emit('warn', m) };
  }

  // --- nodes ------------------------------------------------------------------

  /**
   * add-nodes N [voters=(..)] [learners=(..)] [index=K] [prevote=true]
   * [checkquorum=true] [max-msg-size=B] [unsafe-commit-previous-term=true]
   *
   * With index=K the nodes start from a snapshot at K (term 1) holding the
   * given configuration. Without it, voters=(..) bootstraps the log the way
   * a new cluster does (one committed addNode entry per voter); with neither,
   * the node starts empty and waits to be added by a leader.
   */
  private addNodes(cmd: Command): void {
    const n = Number(one(cmd.positional, 'add-nodes N'));
    const voters = cmd.named.get('voters') ?? [];
    const learners = cmd.named.get('learners') ?? [];
    const index = named(cmd, 'index');
    const maxSize = named(cmd, 'max-msg-size');
    const options: NodeOptions = {
      preVote: named(cmd, 'prevote') === 'true',
      checkQuorum: named(cmd, 'checkquorum') === 'true',
      maxSizePerMsg: maxSize === undefined ? undefined : Number(maxSize),
      breakCommitRule: named(cmd, 'unsafe-commit-previous-term') === 'true',
    };
    if (learners.length > 0 && index === undefined) throw new Error('learners need index= (bootstrap adds voters only)');
    const first = this.nodes.size + 1;
    for (let k = 0; k < n; k++) {
      const id = String(first + k);
      const storage = new MemoryStorage();
      if (index !== undefined) {
        const conf = { voters: [...voters], learners: [...learners] };
        storage.applySnapshot({ metadata: { index: Number(index), term: 1, confState: conf }, data: encodePayloads([]) });
      } else if (voters.length > 0) {
        bootstrap(storage, voters.map((v) => ({ id: v })));
      }
      const node: EnvNode = { id, storage, options, raw: undefined, inbox: [], app: startingApp(storage.snapshot()) };
      this.nodes.set(id, node);
      this.boot(node);
    }
  }

  /** Start (or restart) a node's Raft from its durable storage. */
  private boot(n: EnvNode): void {
    const snap = n.storage.snapshot();
    const config: RaftConfig = {
      id: n.id,
      storage: n.storage,
      electionTick: ELECTION_TICK,
      heartbeatTick: HEARTBEAT_TICK,
      random: noJitter,
      applied: snap.metadata.index,
      preVote: n.options.preVote,
      checkQuorum: n.options.checkQuorum,
      logger: this.loggerFor(),
      unsafeTestingBreak: { commitPreviousTermEntries: n.options.breakCommitRule },
    };
    if (n.options.maxSizePerMsg !== undefined) config.maxSizePerMsg = n.options.maxSizePerMsg;
    n.raw = new RawNode(config);
  }

  private node(id: NodeId): EnvNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  private live(id: NodeId): RawNode {
    const raw = this.node(id).raw;
    if (!raw) throw new Error(`node ${id} is down`);
    return raw;
  }

  private allIds(): NodeId[] {
    return [...this.nodes.keys()].sort(byId);
  }

  private ids(p: string[]): NodeId[] {
    return p.length > 0 ? p : this.allIds();
  }

  // --- proposals and requests -------------------------------------------------

  private propose(cmd: Command): void {
    const [id, data] = cmd.positional;
    if (id === undefined || data === undefined) throw new Error('usage: propose ID DATA');
    this.dropped(() => this.live(id).propose(encoder.encode(data)));
  }

  private proposeConfChange(cmd: Command): void {
    const [id, kind, target] = cmd.positional;
    const types: Record<string, ConfChangeType> = { add: 'addNode', remove: 'removeNode', 'add-learner': 'addLearnerNode' };
    const type = kind === undefined ? undefined : types[kind];
    if (id === undefined || type === undefined || target === undefined) {
      throw new Error('usage: propose-conf-change ID add|remove|add-learner NODE');
    }
    this.dropped(() => this.live(id).proposeConfChange({ type, nodeId: target, context: new Uint8Array(0) }));
  }

  private readIndex(cmd: Command): void {
    const [id, ctx] = cmd.positional;
    if (id === undefined || ctx === undefined) throw new Error('usage: read-index ID CTX');
    this.dropped(() => this.live(id).readIndex(encoder.encode(ctx)));
  }

  /** A refused proposal or read is an expected outcome worth printing, not a failure. */
  private dropped(f: () => void): void {
    try {
      f();
    } catch (err) {
      if (!isRaftError(err, 'ERR_RAFT_PROPOSAL_DROPPED')) throw err;
      this.print(`dropped: ${err.message}`);
    }
  }

  private tick(id: NodeId, times: number): void {
    const raw = this.live(id);
    for (let i = 0; i < times; i++) raw.tick();
  }

  // --- the Ready loop ---------------------------------------------------------

  private processReady(id: NodeId): void {
    const n = this.node(id);
    const raw = n.raw;
    if (!raw || !raw.hasReady()) return;
    this.print(`> ${id} handling Ready`);
    this.indent = '  ';
    const rd = raw.ready();
    this.printReady(rd);
    // 1. Persist.
    if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    // 2. Send.
    for (const m of rd.messages) this.route(m);
    // 3. Apply.
    if (rd.snapshot) n.app = startingApp(rd.snapshot);
    this.apply(n, rd.committedEntries);
    // 4. Acknowledge.
    raw.advance();
    this.indent = '';
  }

  private printReady(rd: Ready): void {
    this.print(`Ready MustSync=${rd.mustSync}:`);
    if (rd.softState) this.print(`Lead:${rd.softState.lead || '-'} State:${rd.softState.role}`);
    if (rd.hardState) this.print(describeHardState(rd.hardState));
    if (rd.snapshot) this.print(`Snapshot ${describeSnapshot(rd.snapshot)}`);
    this.printList('Entries:', rd.entries.map(describeEntry));
    this.printList('CommittedEntries:', rd.committedEntries.map(describeEntry));
    this.printList('Messages:', rd.messages.map(describeMessage));
    this.printList('ReadStates:', rd.readStates.map((rs) => `Index:${rs.index} Ctx:${JSON.stringify(decoder.decode(rs.context))}`));
  }

  private printList(title: string, lines: string[]): void {
    if (lines.length === 0) return;
    this.print(title);
    lines.forEach((l) => this.print(l));
  }

  /** Put a message in its recipient's inbox, unless the network loses it. */
  private route(m: Message): void {
    const why = this.lossReason(m.from, m.to);
    if (why) {
      this.print(`dropped (${why}): ${describeMessage(m)}`);
      return;
    }
    this.node(m.to).inbox.push(m);
  }

  private lossReason(from: NodeId, to: NodeId): string | undefined {
    const target = this.nodes.get(to);
    if (!target) return `${to} does not exist`;
    if (!target.raw) return `${to} is down`;
    if (this.groups.length > 0 && groupOf(this.groups, from) !== groupOf(this.groups, to)) return 'partitioned';
    return undefined;
  }

  private apply(n: EnvNode, entries: Entry[]): void {
    const before = currentConf(n.app);
    for (const e of entries) {
      this.checkSafety(n.id, e);
      n.app.applied = e.index;
      if (e.type === 'confChange') {
        n.app.confs.push({ index: e.index, conf: applyConfChange(currentConf(n.app), decodeConfChange(e.data)) });
      } else if (e.data.length > 0) {
        n.app.payloads.push({ index: e.index, data: decoder.decode(e.data) });
      }
    }
    const after = currentConf(n.app);
    if (!confStateEqual(before, after)) this.print(`Applied ConfState: ${describeConfState(after)}`);
  }

  /** State machine safety (Raft §5.4.3): no two nodes apply different entries at one index. */
  private checkSafety(id: NodeId, e: Entry): void {
    const desc = describeEntry(e);
    const prior = this.appliedAt.get(e.index);
    if (!prior) {
      this.appliedAt.set(e.index, { id, entry: desc });
    } else if (prior.entry !== desc) {
      this.print(`SAFETY VIOLATION: ${id} applies ${desc} but ${prior.id} applied ${prior.entry} at index ${e.index}`);
    }
  }

  /**
   * deliver-msgs [ID...] [type=T] [from=F]: step the matching queued messages
   * into their recipients (all nodes when no ID is given).
   * deliver-msgs drop=(ID...) is drop-msgs ID... (etcd's spelling).
   */
  private deliverMsgs(cmd: Command): void {
    const drop = cmd.named.get('drop');
    if (drop) {
      drop.forEach((id) => this.dropFrom(id, () => true));
      return;
    }
    const match = messageFilter(cmd);
    for (const id of this.ids(cmd.positional)) this.deliver(id, match);
  }

  private dropMsgs(cmd: Command): void {
    const match = messageFilter(cmd);
    for (const id of this.ids(cmd.positional)) this.dropFrom(id, match);
  }

  private deliver(id: NodeId, match: (m: Message) => boolean): void {
    const n = this.node(id);
    const msgs = n.inbox.filter(match);
    if (msgs.length === 0) return;
    n.inbox = n.inbox.filter((m) => !match(m));
    this.print(`> ${id} receiving messages`);
    this.indent = '  ';
    for (const m of msgs) {
      this.print(describeMessage(m));
      if (!n.raw) continue;
      try {
        n.raw.step(m);
      } catch (err) {
        this.print(`ERROR ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.indent = '';
  }

  private dropFrom(id: NodeId, match: (m: Message) => boolean): void {
    const n = this.node(id);
    for (const m of n.inbox.filter(match)) this.print(`dropped: ${describeMessage(m)}`);
    n.inbox = n.inbox.filter((m) => !match(m));
  }

  /**
   * Process every Ready and deliver every message, in node order, until
   * nothing is left to do. Bounded, so a livelock fails instead of hanging.
   */
  private stabilize(ids: NodeId[]): void {
    for (let round = 0; round < 1000; round++) {
      let busy = false;
      for (const id of ids) {
        if (this.node(id).raw?.hasReady()) {
          this.processReady(id);
          busy = true;
        }
      }
      for (const id of ids) {
        if (this.node(id).inbox.length > 0) {
          this.deliver(id, () => true);
          busy = true;
        }
      }
      if (!busy) return;
    }
    throw new Error('stabilize did not settle within 1000 rounds');
  }

  // --- faults -----------------------------------------------------------------

  /**
   * partition (1) (2 3): only nodes in one group can talk. Nodes not listed
   * are cut off from everyone. Messages already queued across the cut are lost.
   */
  private partition(groups: NodeId[][]): void {
    this.groups = groups;
    for (const id of this.allIds()) {
      this.dropFrom(id, (m) => groupOf(groups, m.from) !== groupOf(groups, m.to));
    }
  }

  /** Lose the node's volatile state and every message addressed to it. */
  private crash(id: NodeId): void {
    const n = this.node(id);
    if (!n.raw) throw new Error(`node ${id} is already down`);
    n.raw = undefined;
    this.dropFrom(id, () => true);
  }

  /** Start again from what was persisted; the state machine starts from the snapshot. */
  private restart(id: NodeId): void {
    const n = this.node(id);
    if (n.raw) throw new Error(`node ${id} is running`);
    n.app = startingApp(n.storage.snapshot());
    this.boot(n);
  }

  // --- log compaction -----------------------------------------------------------

  /** compact ID INDEX: snapshot the state machine at INDEX (<= applied) and drop the log up to it. */
  private compact(cmd: Command): void {
    const [id, at] = cmd.positional;
    if (id === undefined || at === undefined) throw new Error('usage: compact ID INDEX');
    const n = this.node(id);
    const index = Number(at);
    if (index > n.app.applied) throw new Error(`cannot snapshot at ${index}: applied is ${n.app.applied}`);
    const payloads = n.app.payloads.filter((p) => p.index <= index).map((p) => p.data);
    n.storage.createSnapshot(index, confAt(n.app, index), encodePayloads(payloads));
    n.storage.compact(index);
    this.raftLog(id);
  }

  // --- inspection ---------------------------------------------------------------

  /** The node's log as Raft sees it: the snapshot it starts after, then every entry. */
  private raftLog(id: NodeId): void {
    const n = this.node(id);
    const raw = n.raw;
    const log = raw?.raft.raftLog;
    const first = log ? log.firstIndex() : n.storage.firstIndex();
    const last = log ? log.lastIndex() : n.storage.lastIndex();
    if (first > 1) {
      const snap = log ? log.snapshot() : n.storage.snapshot();
      this.print(`snapshot ${describeSnapshot(snap)}`);
    }
    if (last < first) {
      this.print(`log is empty: first index=${first}, last index=${last}`);
      return;
    }
    const ents = log ? log.slice(first, last + 1, Infinity) : n.storage.entries(first, last + 1, Infinity);
    ents.forEach((e) => this.print(describeEntry(e)));
  }

  private raftState(): void {
    for (const id of this.allIds()) {
      const raw = this.node(id).raw;
      if (!raw) {
        this.print(`${id}: down`);
        continue;
      }
      const r = raw.raft;
      const kind = r.trk.isVoter(id) ? 'voter' : r.isLearner ? 'learner' : 'non-member';
      this.print(`${id}: ${r.role} (${kind}) Term:${r.term} Lead:${r.lead || '-'}`);
    }
  }

  private status(id: NodeId): void {
    const raw = this.node(id).raw;
    if (!raw) {
      this.print(`${id}: down`);
      return;
    }
    const st = raw.status();
    this.print(`${describeHardState(st.hardState)} Lead:${st.softState.lead || '-'} State:${st.softState.role}`);
    this.print(`Applied:${st.applied} LastIndex:${st.lastIndex} Config:${describeConfState(st.config)}`);
    if (st.leadTransferee) this.print(`LeadTransferee:${st.leadTransferee}`);
    for (const peer of Object.keys(st.progress).sort(byId)) this.print(`${peer}: ${st.progress[peer]}`);
  }
}

// --- helpers --------------------------------------------------------------------

function one(p: string[], usage: string): string {
  if (p.length !== 1) throw new Error(`usage: ${usage}`);
  return p[0]!;
}

function named(cmd: Command, key: string): string | undefined {
  const v = cmd.named.get(key);
  if (v !== undefined && v.length !== 1) throw new Error(`${key}= takes one value`);
  return v?.[0];
}

function required(cmd: Command, key: string): string {
  const v = named(cmd, key);
  if (v === undefined) throw new Error(`${cmd.name} needs ${key}=`);
  return v;
}

/** type=MsgApp and from=ID narrow which queued messages a command touches. */
function messageFilter(cmd: Command): (m: Message) => boolean {
  const type = named(cmd, 'type');
  const from = named(cmd, 'from');
  return (m) => (type === undefined || m.type === type) && (from === undefined || m.from === from);
}

/** Numeric ids sort as numbers, so 10 follows 9. */
function byId(a: string, b: string): number {
  return Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function groupOf(groups: NodeId[][], id: NodeId): number {
  return groups.findIndex((g) => g.includes(id));
}

function describeHardState(hs: HardState): string {
  return `HardState Term:${hs.term} Vote:${hs.vote || '-'} Commit:${hs.commit}`;
}

function describeSnapshot(s: Snapshot): string {
  const md = s.metadata;
  return `Index:${md.index} Term:${md.term} ${describeConfState(md.confState)} Data:${decoder.decode(s.data)}`;
}

/** The snapshot's data is the list of applied payloads, as JSON. */
function encodePayloads(payloads: string[]): Uint8Array {
  return encoder.encode(JSON.stringify(payloads));
}

function startingApp(snap: Snapshot): AppState {
  const index = snap.metadata.index;
  const data = snap.data.length > 0 ? (JSON.parse(decoder.decode(snap.data)) as string[]) : [];
  return {
    applied: index,
    payloads: data.map((d) => ({ index, data: d })),
    confs: [{ index, conf: snap.metadata.confState }],
  };
}

function currentConf(app: AppState): ConfState {
  return app.confs[app.confs.length - 1]!.conf;
}

function confAt(app: AppState, index: number): ConfState {
  let conf = app.confs[0]!.conf;
  for (const c of app.confs) if (c.index <= index) conf = c.conf;
  return conf;
}
