// The engine: one leader per cluster through the etcd lease (fleet's
// lease/engine-leader, same CAS rules), which places units. Unlike fleet,
// which re-reads every job, unit file and machine on every change, the
// leader keeps an in-memory model fed by watches on job/ and machines/
// and reconciles only what an event touched; a full resync happens when it
// gains the lease and when etcd clears the watch index (401); a failed
// write is retried for its unit only. Writes go through an adaptive window
// (window.ts) so a burst never floods etcd past what it answers in time,
// and the lease is renewed on its own schedule, never behind those writes.
// The leader also keeps coracle/schedule/<machine>/<unit> and
// coracle/globals/<unit> in line with job/, so each agent follows only its own
// units.

import type { Logger } from '../../common/log.js';
import { EtcdError } from '../../client/errors.js';
import { EventFeed } from '../registry/feed.js';
import { Pacer, WriteWindow } from './window.js';
import type { KeysResponse } from '../../client/types.js';
import {
  ENGINE_VERSION, RegistryModel, encodeIndexEntry, requirementsOf,
  type Lease, type Registry, type Requirements,
} from '../registry/index.js';
import type { Node } from '../../client/types.js';
import { ERROR_EVENT_INDEX_CLEARED } from '../registry/registry.js';
import { Placement, reconcile, type Task } from '../scheduler/index.js';

export interface EngineOptions {
  registry: Registry;
  machineID: string;
  /** engine_reconcile_interval in ms (lease TTL = 5×). */
  reconcileIntervalMs: number;
  log: Logger;
  /** Most registry writes in flight at once; the window adapts below it (default 256). */
  maxWritesInFlight?: number;
  /** A write answered slower than this narrows the window (ms, default 1500). */
  slowWriteMs?: number;
  /** fleet's verbosity: ≥ 1 logs every watch event the engine handles (debug level). */
  verbosity?: number;
  /** Full in-memory reconcile every N intervals as a safety net (default 30). */
  fullEvery?: number;
  /** Full re-read of the registry every N intervals (default 60: 2 minutes at fleet's 2 s). */
  resyncEvery?: number;
}

export interface EngineMetrics {
  leader: boolean;
  leaderChanges: number;
  resyncs: number;
  events: number;
  batches: number;
  scheduled: number;
  unscheduled: number;
  failedWrites: number;
  /** Units whose failed write waits for its retry. */
  retrying: number;
  unschedulable: number;
  lastBatchMs: number;
  /** The write window now, and how often it was cut. */
  writeWindow: number;
  writeWindowCuts: number;
  leaseRenewals: number;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export class Engine {
  private readonly reg: Registry;
  private readonly log: Logger;
  private readonly stopper = new AbortController();
  private lease: Lease | undefined;
  private generation = 0;
  /** Aborted when the generation (leadership / resync) ends or the engine stops. */
  private genAbort = new AbortController();
  private get genSignal(): AbortSignal {
    return AbortSignal.any([this.genAbort.signal, this.stopper.signal]);
  }
  private model: RegistryModel;
  private placement = new Placement();
  /** Unit → why it could not be placed (mirrored to coracle/unscheduled/). */
  private readonly reasons = new Map<string, string>();
  /** Units whose unit file is not in the model yet (hash → names). */
  private readonly waitingForFile = new Map<string, Set<string>>();
  private readonly reqCache = new Map<string, { hash: string; req: Requirements }>();
  private readonly fetching = new Set<string>();
  /** The schedule/globals index entries written, by unit: key and value. */
  private readonly indexed = new Map<string, { key: string; value: string }>();
  /** Index keys found in etcd at the last resync (to delete stale ones). */
  private indexFound: Map<string, string> | undefined;
  private filesArrived: string[] = [];
  private queue: KeysResponse[] = [];
  /** Units whose last write failed: reconciled again (alone) on the next round. */
  private readonly retry = new Set<string>();
  private readonly pacer: Pacer;
  /** When the lease we hold runs out (local clock, from the start of the request that set it). */
  private leaseDeadline = 0;
  private processing: Promise<void> | undefined;
  private needResync = false;
  private retryPending = false;
  private ticks = 0;
  private loop: Promise<void> | undefined;
  readonly metrics: EngineMetrics = {
    leader: false, leaderChanges: 0, resyncs: 0, events: 0, batches: 0, scheduled: 0, unscheduled: 0, failedWrites: 0, retrying: 0, unschedulable: 0, lastBatchMs: 0,
    writeWindow: 0, writeWindowCuts: 0, leaseRenewals: 0,
  };

  constructor(private readonly opts: EngineOptions) {
    this.reg = opts.registry;
    this.log = opts.log;
    this.model = new RegistryModel(this.reg.keys);
    this.pacer = new Pacer(
      new WriteWindow({ max: opts.maxWritesInFlight ?? 256, ...(opts.slowWriteMs !== undefined ? { slowMs: opts.slowWriteMs } : {}) }),
      // an answer such as "key exists" is etcd doing fine
      (e) => !(e instanceof EtcdError && e.errorCode < 300),
    );
    this.metrics.writeWindow = this.pacer.window.limit;
  }

  /** Runs one registry write through the window. */
  private paced<T>(op: () => Promise<T>): Promise<T> {
    return this.pacer.run(op).finally(() => {
      this.metrics.writeWindow = this.pacer.window.limit;
      this.metrics.writeWindowCuts = this.pacer.window.cuts;
    });
  }

  get isLeader(): boolean {
    return this.lease !== undefined;
  }

  /** Why units are unscheduled, as this engine (if leader) last decided. */
  unscheduledReasons(): ReadonlyMap<string, string> {
    return this.reasons;
  }

  start(): void {
    this.loop ??= Promise.all([this.run(), this.keepLease()]).then(() => undefined);
  }

  /** Stops reconciling and gives the lease back. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
    await this.processing;
    if (this.lease !== undefined) {
      await this.reg.releaseLease(this.lease).catch(() => undefined);
      this.lease = undefined;
    }
  }

  private get leaseTTL(): number {
    return Math.max(1, Math.round((5 * this.opts.reconcileIntervalMs) / 1000));
  }

  private async run(): Promise<void> {
    while (!this.stopper.signal.aborted) {
      try {
        await this.tick();
      } catch (e) {
        this.log.error('engine round failed', { err: (e as Error).message });
      }
      await sleep(this.opts.reconcileIntervalMs, this.stopper.signal);
    }
  }

  private async tick(): Promise<void> {
    if (!(await this.versionMatches())) {
      this.loseLeadership('cluster engine version is higher than ours');
      return;
    }
    if (this.lease === undefined) {
      const started = Date.now();
      const got = await this.acquire();
      if (got !== undefined) {
        this.leaseDeadline = started + got.ttl * 1000;
        this.gainLeadership(got);
      }
    }
    if (this.lease === undefined || this.stopper.signal.aborted) return;
    this.ticks++;
    const full = this.ticks % (this.opts.fullEvery ?? 30) === 0;
    // a watch can stall silently (a member that accepts but never answers): re-read everything now and then
    if (this.ticks % (this.opts.resyncEvery ?? 60) === 0) this.needResync = true;
    if (this.needResync) {
      this.needResync = false;
      this.restartWatch();
    } else if (full || this.retryPending || this.retry.size > 0) {
      this.retryPending = false;
      // not awaited: a long batch must not hold up the next round
      void this.enqueueReconcile(full);
    }
  }

  /**
   * Renews the lease every reconcile interval, on its own: never queued
   * behind placement writes (they go through the window; this does not). A
   * renewal that fails for want of an answer is retried while the lease
   * still runs; only a lost compare (someone else holds it) or a lease that
   * ran out ends leadership.
   */
  private async keepLease(): Promise<void> {
    const period = Math.min(this.opts.reconcileIntervalMs, (this.leaseTTL * 1000) / 5);
    let wait = period;
    while (!this.stopper.signal.aborted) {
      await sleep(this.lease === undefined ? this.opts.reconcileIntervalMs : wait, this.stopper.signal);
      const lease = this.lease;
      if (lease === undefined || this.stopper.signal.aborted) continue;
      const started = Date.now();
      try {
        // a renewal that takes long is given up and sent again while the lease still runs, not waited for
        const renewed = await this.reg.renewLease(lease, this.leaseTTL, { timeout: Math.max(500, (this.leaseTTL * 1000) / 4) });
        if (this.lease !== lease) continue; // lost meanwhile
        this.lease = renewed;
        this.leaseDeadline = started + this.leaseTTL * 1000;
        this.metrics.leaseRenewals++;
        wait = period;
      } catch (e) {
        if (this.lease !== lease) continue;
        // a renewal given up above may have landed after all: then the lease is still ours at a newer index
        if (e instanceof EtcdError && e.errorCode === 101) {
          const now = await this.reg.getLease().catch(() => undefined);
          if (this.lease !== lease) continue;
          if (now !== undefined && now.machineID === lease.machineID && now.version === lease.version) {
            this.lease = now;
            this.leaseDeadline = started + now.ttl * 1000;
            wait = 0;
            continue;
          }
        }
        const lost = e instanceof EtcdError && e.errorCode < 300;
        if (lost || Date.now() >= this.leaseDeadline - 500) this.loseLeadership(`renewal failed: ${(e as Error).message}`);
        else {
          this.log.warn('engine lease renewal failed; retrying while the lease runs', { err: (e as Error).message, leftMs: this.leaseDeadline - Date.now() });
          wait = 250;
        }
      }
    }
  }


  private async versionMatches(): Promise<boolean> {
    const v = await this.reg.engineVersion();
    if (v < ENGINE_VERSION) {
      await this.reg.updateEngineVersion(v, ENGINE_VERSION);
      this.log.info('updated cluster engine version', { from: v, to: ENGINE_VERSION });
    } else if (v > ENGINE_VERSION) return false;
    return true;
  }

  private async acquire(): Promise<Lease | undefined> {
    const existing = await this.reg.getLease();
    if (existing === undefined) {
      const l = await this.reg.acquireLease(this.opts.machineID, ENGINE_VERSION, this.leaseTTL);
      if (l !== undefined) this.log.info('engine leadership acquired', { machine: this.opts.machineID });
      return l;
    }
    if (existing.version >= ENGINE_VERSION) return undefined;
    const l = await this.reg.stealLease(existing, this.opts.machineID, ENGINE_VERSION, this.leaseTTL + existing.ttl);
    if (l === undefined) return undefined;
    this.log.info('stole engine leadership', { from: existing.machineID, waitSeconds: existing.ttl });
    await sleep(existing.ttl * 1000, this.stopper.signal);
    return l;
  }

  private gainLeadership(l: Lease): void {
    this.lease = l;
    this.retry.clear();
    this.metrics.leader = true;
    this.metrics.leaderChanges++;
    this.restartWatch();
  }

  private loseLeadership(why: string): void {
    if (this.lease === undefined) return;
    this.log.warn('engine leadership lost', { reason: why });
    this.lease = undefined;
    this.metrics.leader = false;
    this.generation++;
    this.genAbort.abort();
    this.genAbort = new AbortController();
  }

  /** Full resync: snapshot, rebuild, reconcile everything, then follow the watch. */
  private restartWatch(): void {
    this.generation++;
    this.genAbort.abort();
    this.genAbort = new AbortController();
    const gen = this.generation;
    void this.follow(gen);
  }

  /**
   * Snapshot, rebuild, reconcile everything, then follow job/ and machines/
   * (the only subtrees placement depends on; states/ would double the events)
   * until the generation ends or etcd clears a watch index (then resync).
   */
  private async follow(gen: number): Promise<void> {
    while (gen === this.generation && !this.stopper.signal.aborted) {
      const round = new AbortController();
      const signal = AbortSignal.any([round.signal, this.genSignal]);
      const feeds = [this.reg.keys.jobs, this.reg.keys.machines].map((key) => new EventFeed(this.reg, key));
      try {
        await this.processing;
        // watch, then list: the streams are open before the snapshot, so nothing after it has to be caught up
        await Promise.all(feeds.map((f) => f.open(signal)));
        const [jobs, machines, files, schedule, globals] = await Promise.all([
          this.reg.snapshotOf(this.reg.keys.jobs),
          this.reg.snapshotOf(this.reg.keys.machines),
          this.reg.snapshotOf(this.reg.keys.units),
          this.reg.snapshotOf(this.reg.keys.scheduleDir),
          this.reg.snapshotOf(this.reg.keys.globalsDir),
        ]);
        if (gen !== this.generation) {
          for (const f of feeds) f.close();
          return;
        }
        this.indexFound = new Map();
        const collect = (n: Node | undefined): void => {
          if (n === undefined) return;
          if (n.dir === true || n.nodes !== undefined) for (const c of n.nodes ?? []) collect(c);
          else if (n.key !== undefined) this.indexFound!.set(n.key, n.value ?? '');
        };
        collect(schedule.node);
        collect(globals.node);
        this.metrics.resyncs++;
        // what we wrote before may have been changed since: from now on only what etcd shows or this round writes counts
        this.indexed.clear();
        this.model.reset({ dir: true, nodes: [jobs.node, machines.node, files.node].filter((n) => n !== undefined) });
        this.queue = [];
        this.rebuild();
        this.log.debug('engine resync', { index: jobs.index, jobs: this.placement.jobs.size, globals: this.placement.globals.size, machines: this.placement.machines.size });
        feeds[0]!.startAfter(jobs.index);
        feeds[1]!.startAfter(machines.index);
        await this.enqueueReconcile(true, true);
      } catch (e) {
        for (const f of feeds) f.close();
        if (gen !== this.generation || this.stopper.signal.aborted) return;
        this.log.error('engine resync failed', { err: (e as Error).message });
        await sleep(1000, this.stopper.signal);
        continue;
      }
      const loops = [this.reg.keys.jobs, this.reg.keys.machines].map((key, i) => this.watchLoop(gen, key, feeds[i]!, signal));
      const why = await Promise.race(loops);
      round.abort();
      await Promise.allSettled(loops);
      if (why !== 'resync') return;
    }
  }

  /** Feeds one subtree's events into the queue; resolves 'resync' when etcd cleared the index. */
  private async watchLoop(gen: number, key: string, w: EventFeed, signal: AbortSignal): Promise<'resync' | 'stopped'> {
    this.log.debug('engine watching', { key });
    try {
      for (;;) {
        if (gen !== this.generation || signal.aborted) return 'stopped';
        let ev: KeysResponse;
        try {
          ev = await w.next(signal);
        } catch (e) {
          if (gen !== this.generation || signal.aborted) return 'stopped';
          if (e instanceof EtcdError && e.errorCode === ERROR_EVENT_INDEX_CLEARED) {
            this.log.warn('watch history cleared; resyncing', { key, err: e.message });
            return 'resync';
          }
          this.log.warn('engine watch failed; retrying', { key, err: (e as Error).message });
          await sleep(1000, signal);
          continue;
        }
        this.metrics.events++;
        if ((this.opts.verbosity ?? 0) >= 1) this.log.debug('engine event', { action: ev.action, key: ev.node?.key, index: ev.node?.modifiedIndex });
        this.queue.push(ev);
        void this.enqueueReconcile(false);
      }
    } finally {
      w.close();
    }
  }

  /** Runs a reconcile batch after any in-flight one; events queued meanwhile join the next batch. */
  private enqueueReconcile(full: boolean, resync = false): Promise<void> {
    const prev = this.processing ?? Promise.resolve();
    const next = prev.then(() => this.batch(full, resync)).catch((e: unknown) => {
      this.log.error('engine reconcile failed', { err: (e as Error).message });
      this.needResync = true;
    });
    this.processing = next;
    return next;
  }

  private rebuild(): void {
    this.placement = new Placement();
    this.waitingForFile.clear();
    for (const m of this.model.liveMachines()) this.placement.setMachine({ id: m.ID, metadata: m.Metadata });
    for (const name of this.model.jobs.keys()) this.syncJob(name);
  }

  /** Copies one job from the model into the placement. */
  private syncJob(name: string): void {
    const u = this.model.unit(name);
    if (u === undefined) {
      this.placement.removeJob(name);
      return;
    }
    let req = this.reqCache.get(name);
    if (req?.hash !== u.hash) {
      const raw = this.model.fileValues.get(u.hash);
      const file = this.reg.cachedUnitFile(u.hash) ?? (raw === undefined ? undefined : this.reg.fileFromModel(raw, u.hash));
      if (file === undefined) {
        // fleet skips a unit whose file it cannot find; fetch it and retry
        let set = this.waitingForFile.get(u.hash);
        if (!set) this.waitingForFile.set(u.hash, (set = new Set()));
        set.add(name);
        this.placement.removeJob(name);
        void this.fetchFile(u.hash);
        return;
      }
      req = { hash: u.hash, req: requirementsOf(name, file.options) };
      this.reqCache.set(name, req);
    }
    this.placement.setJob({ name, req: req.req, targetState: u.targetState, ...(u.target !== undefined ? { target: u.target } : {}) }, req.req.global);
  }

  /** Reads a unit file the model does not hold yet, then re-syncs the units that wait for it. */
  private async fetchFile(hash: string): Promise<void> {
    if (this.fetching.has(hash)) return;
    this.fetching.add(hash);
    try {
      const file = await this.reg.unitFile(hash).catch(() => undefined);
      if (file === undefined) {
        this.needResync = true; // not there (yet): the periodic round retries through a resync
        return;
      }
      this.filesArrived.push(hash);
      void this.enqueueReconcile(false);
    } finally {
      this.fetching.delete(hash);
    }
  }

  private async batch(full: boolean, resync: boolean): Promise<void> {
    if (this.lease === undefined) return;
    const started = performance.now();
    const events = this.queue;
    this.queue = [];
    const arrived = this.filesArrived;
    this.filesArrived = [];
    const check = new Set<string>();
    const place = new Set<string>();
    let capacityFreed = this.retryPending;
    this.retryPending = false;
    // units whose write failed: this unit alone again, not a resync
    for (const n of this.retry) {
      check.add(n);
      place.add(n);
    }
    this.retry.clear();
    for (const ev of events) {
      for (const c of this.model.apply(ev)) {
        if (c.kind === 'job') {
          if (c.field === 'job-state') continue;
          const before = this.placement.jobs.get(c.name);
          const wasCounted = before?.target !== undefined && before.targetState !== 'inactive';
          this.syncJob(c.name);
          const after = this.placement.jobs.get(c.name);
          if (after === undefined || after.targetState === 'inactive' || (wasCounted && after.target === undefined)) capacityFreed = true;
          if (after === undefined && this.reasons.has(c.name) && !this.placement.globals.has(c.name)) await this.clearReason(c.name);
          check.add(c.name);
          place.add(c.name);
        } else if (c.kind === 'machine') {
          const ms = this.model.liveMachine(c.id);
          const had = this.placement.machines.get(c.id);
          // a heartbeat that changes nothing (the usual event from machines/) costs nothing
          if (ms !== undefined && had !== undefined && sameMetadata(had.metadata, ms.Metadata)) continue;
          if (ms === undefined) this.placement.removeMachine(c.id);
          else this.placement.setMachine({ id: ms.ID, metadata: ms.Metadata });
          for (const n of this.placement.jobsTargeting(c.id)) check.add(n);
          capacityFreed = true;
        } else if (c.kind === 'file') {
          const names = this.waitingForFile.get(c.hash);
          if (names !== undefined) {
            this.waitingForFile.delete(c.hash);
            for (const n of names) {
              this.syncJob(n);
              check.add(n);
              place.add(n);
            }
          }
        }
      }
    }
    for (const hash of arrived) {
      const names = this.waitingForFile.get(hash);
      if (names === undefined) continue;
      this.waitingForFile.delete(hash);
      for (const n of names) {
        this.syncJob(n);
        check.add(n);
        place.add(n);
      }
    }
    if (full) {
      for (const n of this.placement.jobs.keys()) {
        check.add(n);
        place.add(n);
      }
    }
    if (capacityFreed) for (const n of this.reasons.keys()) place.add(n);

    const touched = new Set<string>([...check, ...place]);
    if (check.size === 0 && place.size === 0 && !resync) return;
    const result = reconcile(this.placement, check, place);
    this.log.debug('engine batch', { events: events.length, check: check.size, place: place.size, tasks: result.tasks.length, unschedulable: result.unschedulable.size });
    await this.write(result.tasks);
    for (const [name, reason] of result.unschedulable) {
      if (this.reasons.get(name) === reason) continue;
      this.reasons.set(name, reason);
      this.log.info('unit cannot be scheduled', { unit: name, reason });
      await this.reg.setUnscheduledReason(name, { reason, since: new Date().toISOString() }).catch(() => undefined);
    }
    for (const name of result.placed) if (this.reasons.has(name)) await this.clearReason(name);
    // units no longer wanting a machine (inactive, destroyed, global) lose their reason
    for (const name of place) {
      if (!this.reasons.has(name) || result.unschedulable.has(name)) continue;
      const j = this.placement.jobs.get(name);
      if (j === undefined || j.targetState === 'inactive' || j.target !== undefined) await this.clearReason(name);
    }
    if (resync) await this.dropStaleReasons();
    await this.updateIndex(resync ? undefined : touched);
    this.metrics.unschedulable = this.reasons.size;
    this.metrics.batches++;
    this.metrics.lastBatchMs = performance.now() - started;
  }

  private async indexAfterTask(t: Task): Promise<void> {
    const u = this.model.unit(t.job);
    const have = this.indexed.get(t.job);
    const keys = this.reg.client.keys;
    if (t.type === 'unschedule') {
      if (have?.key === this.reg.keys.scheduleEntry(t.machineID, t.job)) {
        this.indexed.delete(t.job);
        await this.paced(() => keys.delete(have.key, { timeout: 10_000 })).catch(() => undefined);
      }
      return;
    }
    if (u === undefined) return;
    const want = { key: this.reg.keys.scheduleEntry(t.machineID, t.job), value: encodeIndexEntry({ hash: u.hash, targetState: u.targetState }) };
    if (have?.key === want.key && have.value === want.value) return;
    if (have !== undefined && have.key !== want.key) await this.paced(() => keys.delete(have.key, { timeout: 10_000 })).catch(() => undefined);
    this.indexed.set(t.job, want);
    try {
      await this.paced(() => keys.set(want.key, want.value, { timeout: 10_000 }));
    } catch (e) {
      if (this.indexed.get(t.job) === want) this.indexed.delete(t.job); // so the retry writes it again
      throw e;
    }
  }

  /** What the index should hold for a unit: its machine's schedule entry, or its globals entry. */
  private desiredIndex(name: string): { key: string; value: string } | undefined {
    const u = this.model.unit(name);
    if (u === undefined) return undefined;
    const value = encodeIndexEntry({ hash: u.hash, targetState: u.targetState });
    if (this.placement.globals.has(name)) return { key: this.reg.keys.globalEntry(name), value };
    // the placement knows our own decisions before the watch brings them back
    const target = this.placement.jobs.get(name)?.target ?? u.target;
    if (target === undefined) return undefined;
    return { key: this.reg.keys.scheduleEntry(target, name), value };
  }

  /**
   * Brings the per-machine schedule index (and the globals index) in line with
   * the model for the named units; `undefined` = every unit (after a resync,
   * also deleting entries found in etcd that nothing wants).
   */
  private async updateIndex(names: Set<string> | undefined): Promise<void> {
    /** Each op with the unit it is for (undefined: a stale entry nothing wants). */
    const ops: Array<{ unit?: string; run: () => Promise<unknown> }> = [];
    const client = this.reg.client.keys;
    const timeout = { timeout: 10_000 };
    const del = (key: string, unit?: string) => ({ ...(unit !== undefined ? { unit } : {}), run: () => client.delete(key, timeout).catch(() => undefined) });
    const put = (key: string, value: string, unit: string) => ({ unit, run: () => client.set(key, value, timeout) });
    if (names === undefined) {
      const found = this.indexFound ?? new Map<string, string>();
      this.indexFound = undefined;
      const wanted = new Map<string, { value: string; unit: string }>();
      for (const name of this.model.jobs.keys()) {
        const want = this.desiredIndex(name);
        if (want === undefined) continue;
        wanted.set(want.key, { value: want.value, unit: name });
        // written by this round's placements already (after the snapshot was read): not again
        const have = this.indexed.get(name);
        if (have?.key === want.key && have.value === want.value) found.set(want.key, want.value);
        this.indexed.set(name, want);
      }
      for (const [key, w] of wanted) if (found.get(key) !== w.value) ops.push(put(key, w.value, w.unit));
      for (const key of found.keys()) if (!wanted.has(key)) ops.push(del(key));
    } else {
      for (const name of names) {
        const want = this.desiredIndex(name);
        const have = this.indexed.get(name);
        if (want?.key === have?.key && want?.value === have?.value) continue;
        if (have !== undefined && have.key !== want?.key) ops.push(del(have.key, name));
        if (want !== undefined) {
          ops.push(put(want.key, want.value, name));
          this.indexed.set(name, want);
        } else this.indexed.delete(name);
      }
    }
    if (ops.length === 0) return;
    const gen = this.generation;
    await Promise.all(
      ops.map(async (op) => {
        if (gen !== this.generation) return; // leadership lost or resync: the next round decides
        try {
          await this.paced(op.run);
        } catch (e) {
          this.metrics.failedWrites++;
          if (op.unit === undefined) return; // a stale entry: the next resync finds it again
          this.log.warn('engine index write failed; retrying this unit', { unit: op.unit, err: (e as Error).message });
          this.indexed.delete(op.unit);
          this.retry.add(op.unit);
        }
      }),
    );
    this.metrics.retrying = this.retry.size;
  }

  private async clearReason(name: string): Promise<void> {
    this.reasons.delete(name);
    await this.reg.clearUnscheduledReason(name).catch(() => undefined);
  }

  /** After a resync: reasons written by an earlier leader for units that are now fine. */
  private async dropStaleReasons(): Promise<void> {
    const stored = await this.reg.unscheduledReasons().catch(() => new Map<string, unknown>());
    for (const name of stored.keys()) if (!this.reasons.has(name)) await this.reg.clearUnscheduledReason(name).catch(() => undefined);
  }

  /** Writes tasks: one unit's tasks in order, different units concurrently. */
  private async write(tasks: Task[]): Promise<void> {
    if (tasks.length === 0) return;
    const byUnit = new Map<string, Task[]>();
    for (const t of tasks) {
      const list = byUnit.get(t.job);
      if (list) list.push(t);
      else byUnit.set(t.job, [t]);
    }
    const verbose = tasks.length <= 20;
    const gen = this.generation;
    // every unit's writes queue for the window at once; one unit's tasks stay in order
    await Promise.all(
      [...byUnit.values()].map(async (group) => {
        for (const t of group) {
          if (this.lease === undefined || gen !== this.generation) return; // leadership lost or resync: the next round decides
          let ok: boolean;
          try {
            ok = await this.paced(() => (t.type === 'schedule' ? this.reg.scheduleUnit(t.job, t.machineID) : this.reg.unscheduleUnit(t.job, t.machineID)));
          } catch (e) {
            this.metrics.failedWrites++;
            this.log.warn('engine task failed; retrying this unit', { task: t.type, unit: t.job, machine: t.machineID, err: (e as Error).message });
            // back to what etcd last told us for this unit, and try it again next round
            this.syncJob(t.job);
            this.retry.add(t.job);
            return;
          }
          if (t.type === 'schedule') this.metrics.scheduled++;
          else this.metrics.unscheduled++;
          if (verbose) this.log.info('engine task', { task: t.type, unit: t.job, machine: t.machineID, reason: t.reason, applied: ok });
          if (!ok) {
            this.retryPending = true;
            continue;
          }
          // the index follows at once, not when our own write comes back through the watch
          try {
            await this.indexAfterTask(t);
          } catch (e) {
            this.metrics.failedWrites++;
            this.log.warn('engine index write failed; retrying this unit', { unit: t.job, err: (e as Error).message });
            this.retry.add(t.job);
          }
        }
      }),
    );
    this.metrics.retrying = this.retry.size;
    if (!verbose) {
      const s = tasks.filter((t) => t.type === 'schedule').length;
      this.log.info('engine tasks', { schedule: s, unschedule: tasks.length - s });
    }
  }
}

function sameMetadata(a: Readonly<Record<string, string>> | null | undefined, b: Readonly<Record<string, string>> | null | undefined): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (a![k] !== b?.[k]) return false;
  return true;
}
