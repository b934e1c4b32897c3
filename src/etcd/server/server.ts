// One etcd member: the Raft core, the v2 store it replicates, the peer
// transport and the disk, wired by the Ready loop:
//
//   1. persist the snapshot, entries and hard state (fsync when Raft says so)
//   2. send the messages (only now: they promise what was just persisted)
//   3. apply committed entries to the store, waking the requests that wait
//   4. advance, and take a snapshot every --snapshot-count entries
//
// Writes (and quorum reads, as etcd 3.4 does them) go through the log as
// entries; a follower's proposals are forwarded to the leader by Raft. The
// member that received the client request waits for the entry to be applied
// locally and answers with the result.
import { randomBytes } from 'node:crypto';
import type { ConfChange, Entry, HardState, Message, Snapshot } from '../../raft/index.js';
import { bootstrap, decodeConfChange, isRaftError, mayPrecedePersistence, MemoryStorage, NONE, RawNode, SeededRandom } from '../../raft/index.js';
import type { ApplyResult, Event, ParsedStoreSnapshot, UnixNanos, V2Error, V2Request } from '../../store/index.js';
import { applyRequest, isV2Error, parseStoreSnapshot, Store } from '../../store/index.js';
import type { Logger } from '../../common/log.js';
import type { Member } from '../member/cluster.js';
import { attributesJSON, Cluster, memberKeys, raftAttributesJSON } from '../member/cluster.js';
import { computeClusterId } from '../member/ids.js';
import { PeerTransport } from '../transport/peer-transport.js';
import type { MemberContext, Payload } from './payload.js';
import { decodeMemberContext, decodePayload, encodeMemberContext, encodePayload } from './payload.js';
import type { Persistence, RestoredState } from './persistence.js';

/** The cluster version this member speaks (etcd 3.4's v2 API). */
export const CLUSTER_VERSION = '3.4.0';
/** How often every peer is reached, so each member knows which peers are up. */
const PEER_PROBE_MS = 500;
/** A member counts as active for reconfiguration if it answered this recently. */
const ACTIVE_WINDOW_MS = 3 * PEER_PROBE_MS;
/** Log entries kept behind a snapshot for followers that are only a little behind. */
const MAX_CATCH_UP_ENTRIES = 5000;

export interface ServerOptions {
  name: string;
  memberId: string;
  /** The founding members (new cluster) or the members known at join time. */
  cluster: Cluster;
  clientURLs: string[];
  peerURLs: string[];
  heartbeatMs: number;
  electionMs: number;
  /** etcd's --initial-election-tick-advance: start the first election early once a peer answers. */
  initialElectionTickAdvance?: boolean;
  snapshotCount: number;
  persistence: Persistence;
  /** What the data directory held, if anything. */
  restored?: RestoredState;
  /** Write the founding members into an empty log (a new cluster's first start). */
  bootstrapNewCluster: boolean;
  /** Every outgoing peer socket binds to this address. */
  localAddress?: string;
  log: Logger;
  now?: () => UnixNanos;
}

/** What a proposed request came to, and where the log was when it did. */
export interface Outcome {
  result: ApplyResult;
  /** The store's index after the request was applied. */
  storeIndex: number;
}

export class RequestTimeoutError extends Error {
  constructor() {
    super('etcdserver: request timed out');
  }
}

export class ServerStoppedError extends Error {
  constructor() {
    super('etcdserver: server stopped');
  }
}

interface Waiter {
  resolve(o: Outcome): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class EtcdServer {
  readonly store = new Store();
  readonly cluster: Cluster;
  readonly transport: PeerTransport;
  readonly startTime = new Date();
  readonly memberId: string;
  readonly name: string;
  private readonly node: RawNode;
  private readonly storage = new MemoryStorage();
  private readonly opts: ServerOptions;
  private readonly log: Logger;
  private readonly now: () => UnixNanos;
  private readonly waits = new Map<string, Waiter>();
  /** Proposals made while no leader was known; retried every tick until their deadline. */
  private pending: Array<{ data: Uint8Array; deadline: number; conf?: ConfChange }> = [];
  private readonly requestTimeoutMs: number;
  private readonly idPrefix = randomBytes(4).toString('hex');
  private nextRequest = 0;
  private appliedIndex = 0;
  private snapshotIndex = 0;
  private leaderSince = 0;
  private readyRunning = false;
  private readyAgain = false;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private readonly electionTick: number;
  /** The last peer snapshot whose data was checked, parsed, waiting to be installed. */
  private checkedSnapshot: { index: number; term: number; parsed: ParsedStoreSnapshot } | undefined;
  private bootstrapEntries: Entry[] = [];
  private bootstrapHardState: HardState | undefined;
  private readonly readyWaiters: Array<() => void> = [];
  private published = false;
  /** Counters for /v2/stats/self. */
  readonly counters = { recvAppendRequestCnt: 0, sendAppendRequestCnt: 0, leaderChanges: 0, proposalsFailed: 0 };

  constructor(opts: ServerOptions) {
    this.opts = opts;
    this.log = opts.log;
    this.now = opts.now ?? (() => BigInt(Date.now()) * 1_000_000n);
    this.memberId = opts.memberId;
    this.name = opts.name;
    this.cluster = opts.cluster;
    this.requestTimeoutMs = 5000 + 2 * opts.electionMs;
    this.transport = new PeerTransport(
      opts.memberId,
      () => this.cluster.id,
      {
        receive: (msgs) => this.receive(msgs),
        reportUnreachable: (id) => this.node.reportUnreachable(id),
        reportSnapshot: (id, ok) => {
          this.node.reportSnapshot(id, ok);
          this.scheduleReady();
        },
        isRemoved: (id) => this.cluster.removed.has(id),
        removedFromCluster: () => {
          if (this.stopped) return;
          this.log.warn('this member has been permanently removed from the cluster; stopping');
          void this.stop();
        },
      },
      opts.log,
      opts.localAddress,
    );

    const restored = opts.restored;
    if (restored) {
      if (restored.snapshot && restored.snapshot.metadata.index > 0) {
        this.storage.applySnapshot(restored.snapshot);
        this.restoreStore(restored.snapshot);
      }
      this.storage.append(restored.entries);
      this.storage.setHardState(restored.hardState);
      if ('appended' in restored && Array.isArray(restored.appended) && restored.appended.length > 0) {
        // --force-new-cluster wrote new entries in memory: they go to disk first.
        this.bootstrapEntries = restored.appended as Entry[];
        this.bootstrapHardState = restored.hardState;
      }
    } else if (opts.bootstrapNewCluster) {
      bootstrap(
        this.storage,
        [...this.cluster.members.values()].map((m) => ({ id: m.id, context: encodeMemberContext({ id: m.id, name: m.name, peerURLs: m.peerURLs }) })),
      );
      this.bootstrapEntries = this.storage.entries(1, this.storage.lastIndex() + 1, Infinity);
      this.bootstrapHardState = this.storage.initialState().hardState;
    }
    for (const m of this.cluster.members.values()) this.transport.setPeer(m.id, m.peerURLs);

    const electionTick = Math.max(2, Math.round(opts.electionMs / opts.heartbeatMs));
    this.electionTick = electionTick;
    this.node = new RawNode({
      id: opts.memberId,
      storage: this.storage,
      electionTick,
      heartbeatTick: 1,
      random: new SeededRandom(randomBytes(4).readUInt32BE(0)),
      applied: this.snapshotIndex,
      checkQuorum: true,
      preVote: true,
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 512,
      logger: {
        debug: (m) => this.log.debug(m, { component: 'raft' }),
        info: (m) => this.log.info(m, { component: 'raft' }),
        warn: (m) => this.log.warn(m, { component: 'raft' }),
      },
    });
    this.appliedIndex = this.snapshotIndex;
  }

  // --- lifecycle --------------------------------------------------------------

  async start(): Promise<void> {
    if (this.bootstrapEntries.length > 0) {
      // The founding members must be on disk before anything is sent.
      await this.opts.persistence.save(this.bootstrapHardState, this.bootstrapEntries, true);
      this.bootstrapEntries = [];
    }
    this.timers.push(
      setInterval(() => {
        this.node.tick();
        this.retryPending();
        this.maybePromoteLearner();
        this.scheduleReady();
      }, this.opts.heartbeatMs),
    );
    this.timers.push(this.transport.startProbing(PEER_PROBE_MS));
    // The leader expires TTL keys by proposing the time it sees (etcd: every 500 ms).
    this.timers.push(setInterval(() => this.maybeExpireKeys(), 500));
    this.timers.push(setInterval(() => void this.maybePublish(), 500));
    this.scheduleReady();
    void this.maybePublish();
    void this.adjustTicks();
  }

  /**
   * etcd's adjustTicks: a member that just started need not wait a whole
   * election timeout before its first election. Alone, it campaigns at once
   * (etcd leaves it one tick away, which is still up to a whole election
   * timeout after randomization); with peers, once one of them answers (checked every 50 ms for
   * up to 5 s, etcd's connection read timeout), it is two ticks away, which
   * still leaves time for a live leader's heartbeat to arrive first.
   *
   * One addition: a brand-new cluster (term 1, no leader ever) whose members
   * all answer has no leader to wait for, so the member with the lowest ID
   * campaigns at once (a pre-vote first, so nothing is disrupted if that is
   * wrong) instead of 2–11 ticks later; the others keep etcd's advance and
   * vote for it. Only liveness depends on this, never safety.
   */
  private async adjustTicks(): Promise<void> {
    const electionTick = this.electionTick;
    const advance = (ticks: number) => {
      for (let i = 0; i < ticks; i++) this.node.tick();
      this.scheduleReady();
    };
    const others = [...this.cluster.members.keys()].filter((id) => id !== this.memberId);
    if (others.length === 0) {
      // The only voter: nobody to wait for or to split the vote with.
      this.node.campaign();
      this.scheduleReady();
      return;
    }
    if (this.opts.initialElectionTickAdvance === false) return;
    const fresh = (): boolean => this.node.raft.term <= 1 && this.leader === NONE;
    const lowest = others.every((id) => BigInt(`0x${id}`) > BigInt(`0x${this.memberId}`));
    for (let waited = 0; waited < 5000 && !this.stopped; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
      if (this.stopped) return;
      const answered = others.filter((id) => this.transport.hasAnswered(id)).length;
      if (answered === 0) continue;
      // A fresh cluster waits (up to 1 s) to hear from everyone before deciding.
      if (fresh() && answered < others.length && waited < 1000) continue;
      if (fresh() && answered === others.length && lowest) {
        this.log.info('campaigning at once: a new cluster, every member answers, and this member has the lowest ID', { member: this.memberId });
        this.node.campaign();
        this.scheduleReady();
        return;
      }
      return advance(electionTick - 2);
    }
  }

  /** Resolves once this member has joined and published itself: it serves clients. */
  whenReady(): Promise<void> {
    if (this.published) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Run `f` once the server has stopped (on request or on its own). */
  onStop(f: () => void): void {
    this.stopHooks.push(f);
  }

  private readonly stopHooks: Array<() => void> = [];

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.transport.stop();
    for (const [, w] of this.waits) {
      clearTimeout(w.timer);
      w.reject(new ServerStoppedError());
    }
    this.waits.clear();
    // Let an in-flight Ready finish its disk write before closing the disk.
    while (this.readyRunning) await new Promise((r) => setTimeout(r, 5));
    await this.opts.persistence.close();
    for (const f of this.stopHooks.splice(0)) f();
  }

  // --- state for the APIs ------------------------------------------------------

  get leader(): string {
    return this.node.raft.lead;
  }

  get isLeader(): boolean {
    return this.node.raft.role === 'leader';
  }

  get term(): number {
    return this.node.raft.term;
  }

  get committedIndex(): number {
    return this.node.raft.raftLog.committed;
  }

  get applied(): number {
    return this.appliedIndex;
  }

  /** Milliseconds since this member last became leader (0 when not leading). */
  leaderUptimeMs(): number {
    return this.isLeader ? Date.now() - this.leaderSince : 0;
  }

  nowNanos(): UnixNanos {
    return this.now();
  }

  /** Requests waiting for their entries to apply (etcd_server_proposals_pending). */
  get pendingProposals(): number {
    return this.waits.size;
  }

  logError(msg: string, err: unknown): void {
    this.log.error(msg, { error: err instanceof Error ? err.message : String(err) });
  }

  // --- the Ready loop ------------------------------------------------------------

  private scheduleReady(): void {
    if (this.stopped) return;
    if (this.readyRunning) {
      this.readyAgain = true;
      return;
    }
    if (!this.node.hasReady()) return;
    this.readyRunning = true;
    void this.runReady();
  }

  private async runReady(): Promise<void> {
    try {
      do {
        this.readyAgain = false;
        while (!this.stopped && this.node.hasReady()) await this.handleReady();
      } while (this.readyAgain && !this.stopped);
    } catch (err) {
      // A disk that cannot be written leaves nothing safe to do but stop:
      // acknowledging anything more could lose it.
      this.log.error('cannot persist raft state; stopping the member', { error: (err as Error).message });
      this.readyRunning = false;
      await this.stop();
      process.exitCode = 1;
      return;
    }
    this.readyRunning = false;
  }

  private async handleReady(): Promise<void> {
    const rd = this.node.ready();
    if (rd.softState) this.leadershipChanged(rd.softState.lead, rd.softState.role);
    for (const m of rd.messages) if (m.type === 'MsgApp') this.counters.sendAppendRequestCnt++;
    // A leader's appends and heartbeats go out while its own disk is writing:
    // Raft counts the leader's copy toward commitment only after advance().
    // Votes and acknowledgements wait until what they promise is durable.
    const early = rd.messages.filter(mayPrecedePersistence);
    const afterPersist = early.length === 0 ? rd.messages : rd.messages.filter((m) => !mayPrecedePersistence(m));
    if (early.length > 0) this.transport.send(early);
    if (rd.snapshot) {
      await this.opts.persistence.saveSnapshot(rd.snapshot);
      this.storage.applySnapshot(rd.snapshot);
      this.restoreStore(rd.snapshot);
      this.log.info('applied snapshot from the leader', { index: rd.snapshot.metadata.index, term: rd.snapshot.metadata.term });
    }
    if (rd.entries.length > 0 || rd.hardState) await this.opts.persistence.save(rd.hardState, rd.entries, rd.mustSync);
    this.storage.append(rd.entries);
    if (rd.hardState) this.storage.setHardState(rd.hardState);
    this.transport.send(afterPersist);
    for (const e of rd.committedEntries) this.applyEntry(e);
    this.node.advance();
    await this.maybeSnapshot();
  }

  /**
   * Messages from peers. Nothing a peer sends may crash the member: messages
   * from unknown senders are dropped, a snapshot whose data does not load is
   * refused before Raft sees it, and a message Raft rejects (even with one of
   * its internal checks) is logged and dropped. Returns false when the batch
   * held something that had to be refused, so the transport can drop the peer.
   */
  private receive(msgs: Message[]): boolean {
    if (this.stopped) return true;
    let clean = true;
    for (const m of msgs) {
      if (m.from === this.memberId || (!this.cluster.members.has(m.from) && !this.node.raft.trk.progress.has(m.from))) {
        this.log.warn('dropped a raft message from an unknown member (or one claiming to be this member)', { type: m.type, from: m.from });
        clean = false;
        continue;
      }
      if (m.type === 'MsgApp') this.counters.recvAppendRequestCnt++;
      if (m.type === 'MsgSnap' && !this.snapshotLoads(m)) {
        clean = false;
        continue;
      }
      try {
        this.node.step(m);
      } catch (err) {
        if (isRaftError(err, 'ERR_RAFT_INVALID_MESSAGE')) {
          this.log.error('refused a raft message no correct peer sends', { type: m.type, from: m.from, error: err.message });
          clean = false;
        } else if (isRaftError(err)) {
          this.log.debug('ignored raft message', { type: m.type, from: m.from, error: err.message });
        } else {
          this.log.error('refused a raft message that breaks an invariant', { type: m.type, from: m.from, error: (err as Error).message });
          clean = false;
        }
      }
    }
    this.scheduleReady();
    return clean;
  }

  /** Whether a received snapshot's data is a store this member can load (checked before it is saved). */
  private snapshotLoads(m: Message): boolean {
    try {
      const parsed = parseStoreSnapshot(new TextDecoder().decode(m.snapshot!.data));
      // Kept so that installing it (restoreStore) does not parse it again.
      this.checkedSnapshot = { index: m.snapshot!.metadata.index, term: m.snapshot!.metadata.term, parsed };
      return true;
    } catch (err) {
      this.log.error('refused a snapshot whose data does not load', { from: m.from, index: m.snapshot!.metadata.index, error: (err as Error).message });
      return false;
    }
  }

  private leadershipChanged(lead: string, role: string): void {
    this.counters.leaderChanges++;
    if (role === 'leader') {
      this.leaderSince = Date.now();
      this.log.info('became leader', { member: this.memberId, term: this.term });
    } else if (lead === NONE) {
      this.log.info('no leader', { member: this.memberId, term: this.term });
    } else {
      this.log.info('following leader', { member: this.memberId, leader: lead, term: this.term });
    }
    this.retryPending();
    // A member serves clients once published; do it as soon as there is a
    // leader to take the proposal rather than at the next 500 ms retry.
    if (lead !== NONE) void this.maybePublish();
  }

  // --- applying committed entries ------------------------------------------------

  private applyEntry(e: Entry): void {
    this.appliedIndex = e.index;
    if (e.type === 'confChange') {
      this.applyConfChange(e);
      return;
    }
    if (e.data.length === 0) return; // a new leader's empty entry
    const p = decodePayload(e.data);
    if ('error' in p) {
      this.log.error('skipped a committed entry that does not decode', { index: e.index, error: p.error });
      return;
    }
    const now = this.now();
    let result: ApplyResult;
    switch (p.kind) {
      case 'v2':
        result = applyRequest(this.store, p.req, now);
        break;
      case 'attributes':
        result = this.applyAttributes(p, now);
        break;
      case 'updatePeers':
        result = this.applyPeerUpdate(p, now);
        break;
    }
    this.resolve(p.id, { result, storeIndex: this.store.index });
  }

  private applyAttributes(p: Extract<Payload, { kind: 'attributes' }>, now: UnixNanos): ApplyResult {
    const m = this.cluster.members.get(p.memberId);
    if (m) {
      m.name = p.name;
      m.clientURLs = p.clientURLs;
    }
    const r = this.store.set(memberKeys.attributes(p.memberId), false, attributesJSON(p), { expireTime: null, refresh: false }, now);
    return isV2Error(r) ? { kind: 'error', error: r } : { kind: 'event', event: r };
  }

  /**
   * etcd validates every membership change as it applies it
   * (RaftCluster.ValidateConfigurationChange → membersFromStore): a recursive
   * GET of the members dir and a GET of the removed-members dir (not found
   * until a member was removed). /v2/stats/store counts both, so do we.
   */
  countMembershipValidation(): void {
    const now = this.now();
    this.store.get('/0/members', true, true, now);
    this.store.get('/0/removed_members', false, false, now);
  }

  private applyPeerUpdate(p: Extract<Payload, { kind: 'updatePeers' }>, now: UnixNanos): ApplyResult {
    this.countMembershipValidation();
    const m = this.cluster.members.get(p.memberId);
    if (m) {
      m.peerURLs = p.peerURLs;
      this.transport.setPeer(m.id, m.peerURLs);
    }
    const r = this.store.update(memberKeys.raftAttributes(p.memberId), raftAttributesJSON(p), { expireTime: null, refresh: false }, now);
    return isV2Error(r) ? { kind: 'error', error: r } : { kind: 'event', event: r };
  }

  private applyConfChange(e: Entry): void {
    let cc: ConfChange;
    try {
      cc = decodeConfChange(e.data);
    } catch (err) {
      this.log.error('skipped a malformed membership change', { index: e.index, error: (err as Error).message });
      return;
    }
    const now = this.now();
    const permanent = { expireTime: null, refresh: false };
    this.countMembershipValidation();
    if (cc.type === 'removeNode') {
      this.cluster.members.delete(cc.nodeId);
      this.cluster.removed.add(cc.nodeId);
      this.transport.removePeer(cc.nodeId);
      this.store.delete(`/0/members/${cc.nodeId}`, true, true, now);
      this.store.create(memberKeys.removed(cc.nodeId), false, '', false, permanent, now);
      this.log.info('removed member', { member: cc.nodeId });
      const removedBy = decodeMemberContext(cc.context)?.requestId;
      if (removedBy) this.resolve(removedBy, { result: { kind: 'expired', events: [] }, storeIndex: this.store.index });
      if (cc.nodeId === this.memberId) {
        this.log.warn('this member has been permanently removed from the cluster; stopping');
        void this.stop();
      }
      return;
    }
    const ctx = decodeMemberContext(cc.context);
    const member: Member = this.cluster.members.get(cc.nodeId) ?? { id: cc.nodeId, name: ctx?.name ?? '', peerURLs: ctx?.peerURLs ?? [], clientURLs: [] };
    if (!this.cluster.members.has(cc.nodeId)) {
      this.cluster.members.set(cc.nodeId, member);
      this.log.info('added member', { member: cc.nodeId, peerURLs: member.peerURLs });
    }
    this.transport.setPeer(member.id, member.peerURLs);
    // A member added at bootstrap and again by a later change is stored once.
    this.store.create(memberKeys.raftAttributes(cc.nodeId), false, raftAttributesJSON(member), false, permanent, now);
    if (!this.cluster.id) this.cluster.id = computeClusterId([...this.cluster.members.keys()]);
    if (ctx?.requestId) this.resolve(ctx.requestId, { result: { kind: 'expired', events: [] }, storeIndex: this.store.index });
  }

  private resolve(id: string, o: Outcome): void {
    const w = this.waits.get(id);
    if (!w) return;
    this.waits.delete(id);
    clearTimeout(w.timer);
    w.resolve(o);
  }

  /** Rebuild the store (and membership) from a snapshot's data. */
  private restoreStore(snap: Snapshot): void {
    const checked = this.checkedSnapshot;
    this.checkedSnapshot = undefined;
    if (checked && checked.index === snap.metadata.index && checked.term === snap.metadata.term) this.store.recoverParsed(checked.parsed);
    else this.store.recover(new TextDecoder().decode(snap.data));
    this.snapshotIndex = snap.metadata.index;
    this.appliedIndex = snap.metadata.index;
    const now = this.now();
    const members = this.store.get('/0/members', true, true, now);
    const found = new Map<string, Member>();
    if (!isV2Error(members)) {
      for (const dir of members.node.nodes ?? []) {
        const id = dir.key.split('/').pop()!;
        const m: Member = { id, name: '', peerURLs: [], clientURLs: [] };
        for (const leaf of dir.nodes ?? []) {
          try {
            const v = JSON.parse(leaf.value ?? '{}') as { peerURLs?: string[]; name?: string; clientURLs?: string[] };
            if (leaf.key.endsWith('/raftAttributes')) m.peerURLs = v.peerURLs ?? [];
            if (leaf.key.endsWith('/attributes')) {
              m.name = v.name ?? '';
              m.clientURLs = v.clientURLs ?? [];
            }
          } catch {
            this.log.error('member record in the snapshot is not JSON', { key: leaf.key });
          }
        }
        found.set(id, m);
      }
    }
    for (const id of [...this.cluster.members.keys()]) if (!found.has(id)) this.transport.removePeer(id);
    this.cluster.members.clear();
    for (const [id, m] of found) {
      this.cluster.members.set(id, m);
      this.transport.setPeer(id, m.peerURLs);
    }
    const removed = this.store.get('/0/removed_members', false, false, now);
    if (!isV2Error(removed)) for (const n of removed.node.nodes ?? []) this.cluster.removed.add(n.key.split('/').pop()!);
  }

  private async maybeSnapshot(): Promise<void> {
    if (this.appliedIndex - this.snapshotIndex <= this.opts.snapshotCount) return;
    const index = this.appliedIndex;
    const snap = this.storage.createSnapshot(index, this.node.confStateAt(index), new TextEncoder().encode(this.store.save()));
    await this.opts.persistence.saveSnapshot(snap);
    this.snapshotIndex = index;
    const keep = Math.min(MAX_CATCH_UP_ENTRIES, this.opts.snapshotCount);
    const compactTo = index - keep;
    if (compactTo > this.storage.firstIndex()) this.storage.compact(compactTo);
    await this.opts.persistence.release(compactTo);
    this.log.info('saved snapshot', { index, compactedTo: Math.max(compactTo, 0) });
  }

  // --- proposing -------------------------------------------------------------------

  private newRequestId(): string {
    return `${this.memberId}.${this.idPrefix}.${++this.nextRequest}`;
  }

  /** Put a v2 request through the log and wait for its result. */
  proposeV2(req: V2Request): Promise<Outcome> {
    const id = this.newRequestId();
    return this.proposeAndWait(id, encodePayload({ kind: 'v2', id, req }));
  }

  proposeAttributes(name: string, clientURLs: string[]): Promise<Outcome> {
    const id = this.newRequestId();
    return this.proposeAndWait(id, encodePayload({ kind: 'attributes', id, memberId: this.memberId, name, clientURLs }));
  }

  proposePeerUpdate(memberId: string, peerURLs: string[]): Promise<Outcome> {
    const id = this.newRequestId();
    return this.proposeAndWait(id, encodePayload({ kind: 'updatePeers', id, memberId, peerURLs }));
  }

  /**
   * etcd's strict reconfiguration check (on by default in 3.4): why this
   * change could cost the cluster its quorum, or undefined if it is safe.
   * A member counts as started once it published its name; as active if it
   * answered within ACTIVE_WINDOW_MS (every peer is probed every 500 ms) and
   * the last attempt to reach it did not fail.
   */
  reconfigurationProblem(cc: Pick<ConfChange, 'type' | 'nodeId'>): string | undefined {
    const voters = this.node.raft.trk.voters;
    const started = (id: string) => (this.cluster.members.get(id)?.name ?? '') !== '';
    const active = (id: string) => id === this.memberId || this.transport.activeWithin(id, ACTIVE_WINDOW_MS);
    if (cc.type === 'addNode' || cc.type === 'addLearnerNode') {
      const nmembers = voters.length + 1;
      const nstarted = voters.filter(started).length;
      // Adding a second member to a one-member cluster is how a restored
      // backup grows again: allowed, as in etcd.
      if (!(nstarted === 1 && nmembers === 2) && nstarted < Math.floor(nmembers / 2) + 1) {
        return `rejecting member add: started members (${nstarted}) would be less than a quorum of ${nmembers}`;
      }
      const down = voters.filter((id) => !active(id));
      if (down.length > 0) return `rejecting member add: not every voting member is connected (${down.join(', ')} not active)`;
      return undefined;
    }
    if (cc.type === 'removeNode') {
      if (!voters.includes(cc.nodeId)) return undefined; // a learner holds no part of the quorum
      const rest = voters.filter((id) => id !== cc.nodeId);
      const quorum = Math.floor(rest.length / 2) + 1;
      const nstarted = rest.filter(started).length;
      if (nstarted < quorum) return `rejecting member remove: started members (${nstarted}) would be less than a quorum of ${rest.length}`;
      const nactive = rest.filter(active).length;
      if (nactive < quorum) return `reconfigure breaks active quorum: ${nactive} of the remaining ${rest.length} members are active`;
    }
    return undefined;
  }

  /**
   * Add or remove a member through Raft; resolves once this very change is
   * applied here (its request ID rides in the change's context, so another
   * change to the same member — a promotion, say — does not answer it).
   */
  proposeMembership(change: { type: ConfChange['type']; nodeId: string; member?: MemberContext }): Promise<Outcome> {
    const requestId = this.newRequestId();
    const ctx = encodeMemberContext({ ...(change.member ?? { id: change.nodeId, name: '', peerURLs: [] }), requestId });
    const cc: ConfChange = { type: change.type, nodeId: change.nodeId, context: ctx };
    return this.wait(requestId, () => this.submit({ data: new Uint8Array(0), conf: cc, deadline: Date.now() + this.requestTimeoutMs }));
  }

  private proposeAndWait(id: string, data: Uint8Array): Promise<Outcome> {
    return this.wait(id, () => this.submit({ data, deadline: Date.now() + this.requestTimeoutMs }));
  }

  private wait(id: string, submit: () => void): Promise<Outcome> {
    if (this.stopped) return Promise.reject(new ServerStoppedError());
    return new Promise<Outcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waits.delete(id);
        this.counters.proposalsFailed++;
        reject(new RequestTimeoutError());
      }, this.requestTimeoutMs);
      this.waits.set(id, { resolve, reject, timer });
      submit();
    });
  }

  private submit(p: { data: Uint8Array; deadline: number; conf?: ConfChange }): void {
    try {
      if (p.conf) this.node.proposeConfChange(p.conf);
      else this.node.propose(p.data);
    } catch (err) {
      if (!isRaftError(err, 'ERR_RAFT_PROPOSAL_DROPPED')) throw err;
      // No leader yet (or a transfer or a pending change): try again on the next tick.
      this.pending.push(p);
    }
    this.scheduleReady();
  }

  private retryPending(): void {
    if (this.pending.length === 0 || this.leader === NONE) return;
    const now = Date.now();
    const retry = this.pending.filter((p) => p.deadline > now);
    this.pending = [];
    for (const p of retry) this.submit(p);
  }

  // --- background work ------------------------------------------------------------

  /**
   * Leader: a member added through the API joins as a learner; promote it to
   * voter once it answers and holds everything committed, so adding a member
   * never costs the cluster its quorum. One change at a time: if another is
   * pending, the next tick tries again.
   */
  private maybePromoteLearner(): void {
    if (!this.isLeader) return;
    const trk = this.node.raft.trk;
    for (const id of trk.learners) {
      const pr = trk.progress.get(id);
      // etcd's isLearnerReady: the learner holds at least 90% of what the leader holds.
      const leaderMatch = this.node.raft.raftLog.lastIndex();
      if (!pr || pr.match < leaderMatch * 0.9 || !this.transport.activeWithin(id, 2 * this.opts.heartbeatMs + 1000)) continue;
      try {
        this.node.proposeConfChange({ type: 'addNode', nodeId: id, context: new Uint8Array(0) });
        this.log.info('promoting a caught-up member to voter', { member: id });
      } catch (err) {
        if (!isRaftError(err, 'ERR_RAFT_PROPOSAL_DROPPED')) throw err;
      }
      return;
    }
  }

  private maybeExpireKeys(): void {
    if (!this.isLeader || !this.store.hasTTLKeys()) return;
    const id = this.newRequestId();
    try {
      this.node.propose(encodePayload({ kind: 'v2', id, req: { method: 'SYNC', path: '/', time: this.now() } }));
    } catch (err) {
      if (!isRaftError(err, 'ERR_RAFT_PROPOSAL_DROPPED')) throw err;
    }
    this.scheduleReady();
  }

  /** Publish this member's name and client URLs (once), then set the cluster version if missing. */
  private async maybePublish(): Promise<void> {
    if (this.stopped || this.published || this.leader === NONE || this.publishing) return;
    this.publishing = true;
    try {
      await this.proposeAttributes(this.name, this.opts.clientURLs);
      this.published = true;
      this.log.info('published member attributes', { name: this.name, clientURLs: this.opts.clientURLs, cluster: this.cluster.id });
      for (const w of this.readyWaiters.splice(0)) w();
    } catch (err) {
      if (!this.stopped) this.log.warn('publishing member attributes failed; will retry', { error: (err as Error).message });
    } finally {
      this.publishing = false;
    }
    if (this.published && this.isLeader && isV2Error(this.store.get(memberKeys.version, false, false, this.now()))) {
      try {
        await this.proposeV2({ method: 'PUT', path: memberKeys.version, value: CLUSTER_VERSION });
      } catch {
        // The next leader (or the next tick) sets it.
      }
    }
  }

  private publishing = false;

  // --- reads ---------------------------------------------------------------------

  /** A local (possibly stale) read, as a default v2 GET. */
  get(path: string, recursive: boolean, sorted: boolean): Event | V2Error {
    return this.store.get(path, recursive, sorted, this.now());
  }
}
