// The agent: keeps this machine in the registry (machines/<id>/object with
// a TTL), runs the units scheduled here (plus matching global units) through
// the init, and publishes their states. It follows only its own schedule
// index (coracle/schedule/<machine>/, kept by the engine) and the globals
// index, and reconciles only the unit an event names; a full local pass runs
// every reconcile interval (local work only: this machine's units). So a
// change wakes the machine it concerns, not every machine as in fleet.
//
// Per unit, in fleet's order: unload, load, stop, start. Loading writes the
// re-serialized file into <root>/run/fleet/units/ and links it into the init.
//
// Unit writes (states, job-state heartbeats) go through an adaptive window
// (../engine/window.ts), shared by the agents of one process when given,
// so a burst of placements does not flood etcd; the machine heartbeat does
// not wait in that window, so the machine never expires because its own
// units keep etcd busy.

import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../common/log.js';
import { CanceledError, EtcdError } from '../../client/errors.js';
import type { KeysResponse } from '../../client/types.js';
import {
  FLEET_VERSION, decodeIndexEntry, requirementsOf, sha1Hex,
  type FleetUnitFile, type IndexEntry, type JobState, type MachineState, type Registry, type Requirements,
} from '../registry/index.js';
import type { Node } from '../../client/types.js';
import { ERROR_EVENT_INDEX_CLEARED } from '../registry/registry.js';
import { EventFeed } from '../registry/feed.js';
import { conflictWith, hasMetadata } from '../scheduler/placement.js';
import { Pacer, WriteWindow } from '../engine/window.js';
import type { InitDriver, RuntimeState } from './init-driver.js';
import { scheduleFromJobs, type ScheduleFromJobs } from './fleet-engine-schedule.js';

export interface AgentOptions {
  registry: Registry;
  init: InitDriver;
  machine: MachineState;
  /** agent_ttl in seconds. */
  ttlSeconds: number;
  /** units_directory: where unit files are written (<root>/run/fleet/units). */
  unitsDir: string;
  log: Logger;
  /** Local reconcile period (fleet: 5 s). */
  reconcileIntervalMs?: number;
  /** URL of this agent's status/journal endpoint, published in the registry. */
  endpointURL?: string;
  /** The window unit writes go through (share one between agents of one process); default: the agent's own. */
  pacer?: Pacer;
}

/**
 * A window for agents' unit writes: an etcd answer ("key not found") is not
 * congestion. Narrower and quicker to back off than the engine's (64 in
 * flight, slow at 1 s), so agents catching up on a burst leave etcd room for
 * the engine's lease and placements and for machine heartbeats.
 */
export function newAgentPacer(): Pacer {
  return new Pacer(new WriteWindow({ initial: 16, max: 64, slowMs: 1000 }), (e) => !(e instanceof CanceledError) && !(e instanceof EtcdError && e.errorCode < 300));
}

interface Local {
  name: string;
  hash: string;
  file?: FleetUnitFile;
  req?: Requirements;
  launched: boolean;
  state?: RuntimeState;
  /** Last published (JSON) to skip unchanged re-publishing. */
  published?: string;
  /** Set once unloading starts: no more state publishing for it. */
  unloading?: boolean;
  /** The publish in flight, awaited before the state is removed. */
  publishing?: Promise<void>;
  /** The job-state heartbeat of a launched unit failed: written again on the next pass. */
  heartbeatOwed?: boolean;
  /** Its state write failed: written again at the next renewal check, not only at the next full pass. */
  stateOwed?: boolean;
  /** When its state / its job-state was last written (ms, monotonic): each is renewed ttl*4/5 after its own write. */
  stateWritten?: number;
  beatWritten?: number;
}

interface Desired {
  name: string;
  hash: string;
  file: FleetUnitFile;
  req: Requirements;
  targetState: JobState;
}

export interface AgentMetrics {
  loads: number;
  unloads: number;
  starts: number;
  stops: number;
  statePublishes: number;
  events: number;
  errors: number;
  units: number;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export class Agent {
  private readonly reg: Registry;
  private readonly log: Logger;
  private readonly id: string;
  private readonly stopper = new AbortController();
  /** This machine's schedule index and the globals index, as last read. */
  private mine = new Map<string, IndexEntry>();
  private globals = new Map<string, IndexEntry>();
  /** Set while fleet's own engine holds the lease: this machine's units as read from job/ (fleet-engine-schedule.ts). */
  private fromJobs: ScheduleFromJobs | undefined;
  /** Passes since the lease holder was last checked. */
  private passesSinceEngineCheck = Number.POSITIVE_INFINITY;
  private readonly local = new Map<string, Local>();
  /** Per-unit operation chains: one unit's tasks never overlap. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private dynamicMetadata: Record<string, string> | null = null;
  private tasks: Promise<void>[] = [];
  private started = false;
  private readonly pacer: Pacer;
  private dropQueued = false;
  readonly metrics: AgentMetrics = { loads: 0, unloads: 0, starts: 0, stops: 0, statePublishes: 0, events: 0, errors: 0, units: 0 };

  constructor(private readonly opts: AgentOptions) {
    this.reg = opts.registry;
    this.log = opts.log;
    this.id = opts.machine.ID;
    this.pacer = opts.pacer ?? newAgentPacer();
  }

  get machineID(): string {
    return this.id;
  }

  /** Where this agent's status/journal endpoint answers (published with each heartbeat). */
  setEndpointURL(url: string): void {
    this.opts.endpointURL = url;
  }

  /** Units this agent has loaded, with their state (for status endpoints and SIGUSR1-like dumps). */
  loadedUnits(): Array<{ name: string; hash: string; launched: boolean; state?: RuntimeState }> {
    return [...this.local.values()].map((l) => ({ name: l.name, hash: l.hash, launched: l.launched, ...(l.state ? { state: l.state } : {}) }));
  }

  isLoaded(name: string): boolean {
    return this.local.has(name);
  }

  private get ttl(): number {
    return this.opts.ttlSeconds;
  }

  /** Registers the machine, adopts unit files left by an earlier run, and starts following the registry. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    fs.mkdirSync(this.opts.unitsDir, { recursive: true });
    for (const name of fs.readdirSync(this.opts.unitsDir)) {
      const text = fs.readFileSync(path.join(this.opts.unitsDir, name), 'utf8');
      // launched unknown: a start of a running unit is harmless, so assume not launched
      this.local.set(name, { name, hash: sha1Hex(text), launched: false });
    }
    await this.registerWithRetry();
    const signal = this.stopper.signal;
    this.tasks.push(this.every(Math.max(500, (this.ttl * 1000) / 2), () => this.heartbeat()));
    // each unit's keys are renewed ttl*4/5 after their own last write (fleet
    // renews all of them every ttl*4/5), so units just started are not
    // written again at once; checked every ttl/10
    this.tasks.push(this.every(Math.max(250, (this.ttl * 1000) / 10), () => this.republish()));
    this.tasks.push(this.every(this.opts.reconcileIntervalMs ?? 5000, () => this.fullPass()));
    this.tasks.push(this.followJobs());
    this.tasks.push(this.followInit(signal));
  }

  private async registerWithRetry(): Promise<void> {
    let delay = 1000;
    while (!this.stopper.signal.aborted) {
      try {
        await this.heartbeat(true);
        return;
      } catch (e) {
        this.log.warn('machine registration failed; retrying', { err: (e as Error).message, retryMs: delay });
        await sleep(delay, this.stopper.signal);
        delay = Math.min(delay * 2, 60_000);
      }
    }
  }

  /** fleet's monitor: up to 4 attempts, ttl/12 apart, so one slow or restarting etcd member does not let the key expire. */
  private async heartbeat(throwOnError = false): Promise<void> {
    let last: Error | undefined;
    for (let attempt = 0; attempt < 4 && !this.stopper.signal.aborted; attempt++) {
      try {
        await this.reg.heartbeatMachine({ ...this.opts.machine, Version: this.opts.machine.Version || FLEET_VERSION }, this.ttl);
        if (this.opts.endpointURL !== undefined) await this.reg.setAgentEndpoint(this.id, this.opts.endpointURL, this.ttl);
        return;
      } catch (e) {
        last = e as Error;
        await sleep((this.ttl * 1000) / 12, this.stopper.signal);
      }
    }
    if (last === undefined) return;
    if (throwOnError) throw last;
    this.log.warn('machine heartbeat failed', { err: last.message });
  }

  /** Runs fn every ms; the first run comes after `phase` (0..1) of a period. */
  private async every(ms: number, fn: () => Promise<void>, phase = 1): Promise<void> {
    let wait = ms * phase;
    while (!this.stopper.signal.aborted) {
      await sleep(wait, this.stopper.signal);
      wait = ms;
      if (this.stopper.signal.aborted) return;
      try {
        await fn();
      } catch (e) {
        this.metrics.errors++;
        this.log.warn('agent periodic task failed', { err: (e as Error).message });
      }
    }
  }

  // ---- following the registry ------------------------------------------------------

  /**
   * Follows this machine's schedule index and the globals index (kept by the
   * engine), so an agent sees the changes about its own units only.
   */
  private async followJobs(): Promise<void> {
    const signal = this.stopper.signal;
    const mineDir = this.reg.keys.machineSchedule(this.id);
    const globalsDir = this.reg.keys.globalsDir;
    while (!signal.aborted) {
      const round = new AbortController();
      const both = AbortSignal.any([round.signal, signal]);
      const feeds = [new EventFeed(this.reg, mineDir), new EventFeed(this.reg, globalsDir)] as const;
      try {
        // watch, then list: streams open before the snapshot, so a burst of
        // placements arrives on them instead of one request per event
        await Promise.all(feeds.map((f) => f.open(both)));
        const [mine, globals] = await Promise.all([this.reg.snapshotOf(mineDir), this.reg.snapshotOf(globalsDir)]);
        feeds[0].startAfter(mine.index);
        feeds[1].startAfter(globals.index);
        await this.refreshMetadata();
        this.mine = entriesOf(mine.node);
        this.globals = entriesOf(globals.node);
        await this.fullPass();
      } catch (e) {
        for (const f of feeds) f.close();
        if (signal.aborted) return;
        this.log.warn('agent could not read the registry; retrying', { err: (e as Error).message });
        await sleep(1000, signal);
        continue;
      }
      const loops = [
        this.watchIndex(mineDir, feeds[0], both, (name, e) => (e === undefined ? this.mine.delete(name) : this.mine.set(name, e))),
        this.watchIndex(globalsDir, feeds[1], both, (name, e) => (e === undefined ? this.globals.delete(name) : this.globals.set(name, e))),
      ];
      await Promise.race(loops); // either ends only to resync (index cleared) or on stop
      round.abort();
      await Promise.allSettled(loops);
    }
  }

  private async watchIndex(dir: string, w: EventFeed, signal: AbortSignal, apply: (name: string, e: IndexEntry | undefined) => void): Promise<void> {
    try {
      for (;;) {
        if (signal.aborted) return;
        let ev: KeysResponse;
        try {
          ev = await w.next(signal);
        } catch (e) {
          if (signal.aborted) return;
          if (e instanceof EtcdError && e.errorCode === ERROR_EVENT_INDEX_CLEARED) {
            this.log.warn('agent watch history cleared; resyncing', { dir, err: e.message });
            return;
          }
          this.log.warn('agent watch failed; retrying', { dir, err: (e as Error).message });
          await sleep(1000, signal);
          continue;
        }
        this.metrics.events++;
        const key = ev.node?.key ?? '';
        if (ev.node?.dir === true) {
          // a whole directory went (or came): re-read everything
          if (key === dir || !key.startsWith(dir + '/')) return;
          continue;
        }
        const name = key.slice(key.lastIndexOf('/') + 1);
        const deleted = ev.action === 'delete' || ev.action === 'compareAndDelete' || ev.action === 'expire';
        apply(name, deleted ? undefined : decodeIndexEntry(ev.node?.value ?? ''));
        this.kick(name);
      }
    } finally {
      w.close();
    }
  }

  private async refreshMetadata(): Promise<void> {
    const ms = await this.reg.machine(this.id);
    const md = ms?.Metadata ?? this.opts.machine.Metadata;
    const changed = JSON.stringify(md) !== JSON.stringify(this.dynamicMetadata);
    this.dynamicMetadata = md;
    if (changed) for (const name of this.globals.keys()) this.kick(name); // globals may now (not) match
  }

  private async fullPass(): Promise<void> {
    // the machine's dynamic metadata only decides about global units: without any, no read
    // (1,000 machines re-reading theirs every 5 s were 200 reads/s for nothing)
    if (this.globals.size > 0 || (this.fromJobs?.maybeGlobal.size ?? 0) > 0) await this.refreshMetadata().catch(() => undefined);
    await this.followEngineKind().catch((e: unknown) => this.log.warn('agent could not check which engine leads', { err: (e as Error).message }));
    const jobs = this.fromJobs;
    for (const name of new Set([...this.local.keys(), ...this.mine.keys(), ...this.globals.keys(), ...(jobs?.mine.keys() ?? []), ...(jobs?.maybeGlobal.keys() ?? [])])) this.kick(name);
  }

  /**
   * Which engine leads decides where this agent reads its units: a coracle
   * engine keeps the schedule index (followed by watch); fleet's own engine
   * (a machine still on fleet v1.0.0) only writes job/<name>/target, so then
   * job/ is read on every pass, as fleet's agent did. The lease is checked
   * every sixth pass (about 30 s), every pass while fleet's engine leads.
   */
  private async isCoracleEngine(machineID: string): Promise<boolean> {
    if ((await this.reg.agentEndpoint(machineID)) !== undefined) return true;
    return (await this.reg.machine(machineID)) === undefined;
  }

  private async followEngineKind(): Promise<void> {
    if (this.fromJobs === undefined && ++this.passesSinceEngineCheck < 6) return;
    this.passesSinceEngineCheck = 0;
    const lease = await this.reg.getLease();
    // Asked at every check, not remembered per machine: a machine keeps its
    // ID when it moves between fleet and coracle. fleet's engine runs in a
    // fleetd whose agent registers the machine but publishes no coracle
    // agent endpoint; an engine that is not a registered machine at all (an
    // engine-only process) is taken to be coracle's.
    const coracle = lease === undefined ? undefined : await this.isCoracleEngine(lease.machineID);
    if (coracle === true) {
      if (this.fromJobs !== undefined) this.log.info('a coracle engine leads again: following the schedule index', { engine: lease!.machineID });
      this.fromJobs = undefined;
      return;
    }
    // No engine at all: keep following what we follow; under fleet's, its
    // target states still change (fleetctl stop/start), so job/ is read anyway.
    if (coracle === undefined && this.fromJobs === undefined) return;
    if (this.fromJobs === undefined) this.log.info("fleet's own engine leads (no schedule index): reading this machine's units from job/ on every pass", { engine: lease!.machineID });
    this.fromJobs = scheduleFromJobs(await this.reg.jobs(), this.id);
  }

  /** Queues a reconcile of one unit (coalesced while one is running). */
  private kick(name: string): void {
    if (this.stopper.signal.aborted) return;
    if (this.chains.has(name)) {
      this.dirty.add(name);
      return;
    }
    const run = async (): Promise<void> => {
      do {
        this.dirty.delete(name);
        try {
          await this.reconcileUnit(name);
        } catch (e) {
          if (e instanceof CanceledError && this.stopper.signal.aborted) continue; // writes dropped while stopping
          this.metrics.errors++;
          this.log.warn('agent task failed', { unit: name, err: (e as Error).message });
        }
      } while (this.dirty.has(name) && !this.stopper.signal.aborted);
      this.chains.delete(name);
    };
    this.chains.set(name, run());
  }

  private async desired(name: string): Promise<Desired | undefined> {
    const mine = this.fromJobs ? this.fromJobs.mine.get(name) : this.mine.get(name);
    const entry = mine ?? (this.fromJobs ? this.fromJobs.maybeGlobal.get(name) : this.globals.get(name));
    if (entry === undefined || entry.targetState === 'inactive') return undefined;
    const file = await this.reg.unitFile(entry.hash);
    if (file === undefined) return undefined;
    // the requirements of a loaded unit with this hash are known: the periodic pass does not parse them again
    const loaded = this.local.get(name);
    const req = loaded?.hash === entry.hash && loaded.req !== undefined ? loaded.req : requirementsOf(name, file.options);
    if (mine !== undefined) return { name, hash: entry.hash, file, req, targetState: entry.targetState };
    if (!req.global) return undefined;
    if (!hasMetadata(this.dynamicMetadata, req.metadata)) return undefined;
    const residents = [...this.local.values()]
      .filter((l) => l.name !== name)
      .map((l) => ({ name: l.name, conflicts: l.req?.conflicts ?? [], replaces: l.req?.replaces ?? [] }));
    if (conflictWith({ name, conflicts: req.conflicts, replaces: req.replaces }, residents) !== undefined) return undefined;
    return { name, hash: entry.hash, file, req, targetState: entry.targetState };
  }

  private async reconcileUnit(name: string): Promise<void> {
    const want = await this.desired(name);
    let cur = this.local.get(name);
    if (want === undefined) {
      if (cur !== undefined) await this.unload(cur, 'unit loaded but not scheduled here');
      return;
    }
    if (cur !== undefined && cur.hash !== want.hash) {
      await this.unload(cur, 'unit loaded but hash differs to expected');
      cur = undefined;
    }
    // a unit started right away publishes once, after the start
    if (cur === undefined) cur = await this.load(want, want.targetState !== 'launched');
    if (cur.file === undefined) {
      cur.file = want.file;
      cur.req = want.req;
    }
    if (want.targetState === 'launched' && !cur.launched) await this.startUnit(cur);
    else if (want.targetState === 'loaded' && cur.launched) await this.stopUnit(cur, 'unit currently launched but desired state is loaded');
    else {
      // what a busy etcd refused earlier is written again here, not only at the next republish (ttl*4/5)
      if (cur.launched && cur.heartbeatOwed === true) await this.heartbeatUnit(cur);
      if (cur.published === undefined) await this.publish(cur);
    }
  }

  /** Writes a launched unit's job-state; `renew`: only its TTL (engines watching job/ are not woken). */
  private async heartbeatUnit(l: Local, renew = false): Promise<void> {
    const owed = l.heartbeatOwed === true;
    l.heartbeatOwed = true;
    // ahead of queued state writes: a job-state that expires makes a running unit look not launched
    await this.paced(() => (renew && !owed ? this.reg.refreshUnitHeartbeat(l.name, this.id, this.ttl) : this.reg.unitHeartbeat(l.name, this.id, this.ttl)), { first: true });
    l.heartbeatOwed = false;
    l.beatWritten = performance.now();
  }

  private async load(want: Desired, publish: boolean): Promise<Local> {
    this.log.info('loading unit', { unit: want.name, reason: 'unit scheduled here but not loaded' });
    const file = path.join(this.opts.unitsDir, want.name);
    fs.writeFileSync(file, want.file.text);
    await this.opts.init.link(file);
    if (want.file.options.some((o) => o.section === 'Install')) {
      await this.opts.init.enable(want.name).catch((e: unknown) => this.log.warn('enable failed', { unit: want.name, err: (e as Error).message }));
    }
    const l: Local = { name: want.name, hash: want.hash, file: want.file, req: want.req, launched: false, state: { loadState: 'loaded', activeState: 'inactive', subState: 'dead' } };
    this.local.set(want.name, l);
    this.metrics.loads++;
    this.metrics.units = this.local.size;
    if (publish) await this.publish(l);
    return l;
  }

  private async startUnit(l: Local): Promise<void> {
    this.log.info('starting unit', { unit: l.name, reason: 'unit currently loaded but desired state is launched' });
    l.launched = true;
    this.metrics.starts++;
    try {
      const s = await this.opts.init.start(l.name);
      if (s !== undefined) l.state = s;
    } catch (e) {
      this.log.warn('start failed', { unit: l.name, err: (e as Error).message });
      l.state = (await this.opts.init.states([l.name]).catch(() => new Map<string, RuntimeState>())).get(l.name) ?? l.state;
    }
    await Promise.all([this.publish(l), this.heartbeatUnit(l)]);
  }

  private async stopUnit(l: Local, reason: string): Promise<void> {
    this.log.info('stopping unit', { unit: l.name, reason });
    l.launched = false;
    this.metrics.stops++;
    const s = await this.opts.init.stop(l.name);
    if (s !== undefined) l.state = s;
    await this.paced(() => this.reg.clearUnitHeartbeat(l.name, this.id));
    await this.publish(l);
  }

  private async unload(l: Local, reason: string): Promise<void> {
    this.log.info('unloading unit', { unit: l.name, reason });
    l.unloading = true;
    // fleet deletes the file only once the stop succeeded
    await this.opts.init.stop(l.name);
    await this.opts.init.disable(l.name).catch(() => undefined);
    await this.opts.init.resetFailed(l.name).catch(() => undefined);
    fs.rmSync(path.join(this.opts.unitsDir, l.name), { force: true });
    this.local.delete(l.name);
    this.metrics.unloads++;
    this.metrics.units = this.local.size;
    await l.publishing; // a late publish must not resurrect the state we remove next
    await Promise.all([this.paced(() => this.reg.removeUnitState(l.name, this.id)), this.paced(() => this.reg.clearUnitHeartbeat(l.name, this.id))]).catch((e: unknown) =>
      this.log.warn('could not clear unit state', { unit: l.name, err: (e as Error).message }),
    );
  }

  // ---- states ----------------------------------------------------------------------

  private publish(l: Local, force = false): Promise<void> {
    const run = (l.publishing ?? Promise.resolve()).then(() => this.publishNow(l, force));
    l.publishing = run;
    return run;
  }

  /** Runs one unit write through the window. */
  private paced<T>(op: () => Promise<T>, opts: { first?: boolean } = {}): Promise<T> {
    // while stopping, writes still queued are dropped (the unloads that follow write what matters)
    return this.pacer.run(() => (this.dropQueued ? Promise.reject(new CanceledError()) : op()), opts);
  }

  private async publishNow(l: Local, force: boolean): Promise<void> {
    // the record is taken when the window lets the write go, so a state that
    // changed while it waited is published once, as it is then
    await this.paced(async () => {
      if (l.state === undefined || l.unloading === true) return;
      const record = { name: l.name, machineID: this.id, hash: l.hash, ...l.state };
      const key = JSON.stringify(record);
      if (!force && key === l.published) return;
      l.published = key;
      this.metrics.statePublishes++;
      try {
        await this.reg.saveUnitState(record, this.ttl);
        l.stateWritten = performance.now();
        l.stateOwed = false;
      } catch (e) {
        l.published = undefined;
        l.stateOwed = true;
        throw e;
      }
    }).catch((e: unknown) => {
      if (e instanceof CanceledError) return;
      this.log.warn('state publish failed', { unit: l.name, err: (e as Error).message });
    });
  }

  /** The renewal period of fleet (ttl*4/5, or ttl/2 for a TTL of 10 s or less), in ms. */
  private get renewMs(): number {
    return this.ttl <= 10 ? (this.ttl * 1000) / 2 : (this.ttl * 1000 * 4) / 5;
  }

  /** Renews the states and job-states written a renewal period ago (fresh states from the init). */
  private async republish(): Promise<void> {
    if (this.local.size === 0) return;
    const due = performance.now() - this.renewMs;
    // a renewal that failed is owed at once: the key keeps its old TTL and expires otherwise
    const states = [...this.local.values()].filter((l) => (l.published !== undefined && (l.stateWritten ?? 0) <= due) || l.stateOwed === true);
    const beats = [...this.local.values()].filter((l) => l.launched && l.heartbeatOwed !== true && (l.beatWritten ?? 0) <= due);
    if (states.length === 0 && beats.length === 0) return;
    if (states.length > 0) {
      const fresh = await this.opts.init.states(states.map((l) => l.name));
      for (const l of states) {
        const s = fresh.get(l.name);
        if (s !== undefined) l.state = s;
        l.stateWritten = performance.now(); // due again one period from now, even while the write waits
      }
    }
    for (const l of beats) l.beatWritten = performance.now();
    // job-state renewals queue ahead of the state writes (they decide whether a unit shows as launched)
    await Promise.all([...beats.map((l) => this.heartbeatUnit(l, true).catch(() => undefined)), ...states.map((l) => this.publish(l, true))]);
  }

  /** Follows the init's state changes so a unit that becomes active is reported at once. */
  private async followInit(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.opts.init.watch((name, s) => {
          const l = this.local.get(name);
          if (l === undefined) return;
          l.state = { loadState: l.state?.loadState ?? 'loaded', activeState: s.activeState ?? l.state?.activeState ?? '', subState: s.subState ?? l.state?.subState ?? '' };
          void this.publish(l);
        }, signal);
      } catch (e) {
        if (signal.aborted) return;
        this.log.warn('init event stream failed; retrying', { err: (e as Error).message });
      }
      await sleep(1000, signal);
    }
  }

  // ---- shutdown --------------------------------------------------------------------

  /** fleet's graceful shutdown: unload every unit, remove states and the machine object. */
  async stop(opts: { unloadUnits?: boolean } = {}): Promise<void> {
    this.stopper.abort();
    this.dropQueued = true;
    await Promise.allSettled([...this.chains.values()]);
    this.log.debug('agent: unit tasks settled');
    await Promise.allSettled(this.tasks);
    this.log.debug('agent: loops settled');
    this.dropQueued = false;
    if (opts.unloadUnits ?? true) {
      await Promise.allSettled([...this.local.values()].map((l) => this.unload(l, 'agent shutting down')));
    }
    await this.reg.removeMachine(this.id).catch(() => undefined);
    await this.reg.removeAgentEndpoint(this.id).catch(() => undefined);
  }
}

/** Index entries of a directory snapshot, by unit name. */
function entriesOf(dir: Node | undefined): Map<string, IndexEntry> {
  const out = new Map<string, IndexEntry>();
  for (const n of dir?.nodes ?? []) {
    if (n.key === undefined || n.value === undefined) continue;
    const e = decodeIndexEntry(n.value);
    if (e !== undefined) out.set(n.key.slice(n.key.lastIndexOf('/') + 1), e);
  }
  return out;
}
