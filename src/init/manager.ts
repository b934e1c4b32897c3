// The manager: units, jobs and transactions, after systemd's manager.c,
// transaction.c and job.c, reduced to what coracle needs. Pure: time comes
// from the injected clock, unit files from the injected loader, conditions
// from the injected checker; everything to do goes out as effects.
//
// A start transaction pulls in Requires=/BindsTo= (failing if one cannot be
// loaded) and Wants= (best effort), and stops what Conflicts=. A stop
// transaction also stops every unit that Requires=/Requisite=/BindsTo=/PartOf=
// the stopped one. Jobs run when no job they are ordered after (After=/
// Before=) is pending: starts in order, stops in reverse order, and stops
// before starts.
import type { Condition } from '../units/index.js';
import type { Effect, ShellEvent } from './effects.js';
import { ServiceMachine, type MachineContext } from './service.js';
import { TimerMachine, type TimerContext } from './timer.js';
import { SocketMachine, type SocketContext } from './socket.js';
import { parseUnitName } from '../units/index.js';
import type { ActiveState, JobResult, JobType, ServiceResult, SubState } from './states.js';
import { dependenciesOf, failingCondition, type ConditionChecker, type Dependencies, type UnitDefinition } from './unit.js';

export interface ManagerOptions {
  load(name: string): UnitDefinition;
  check: ConditionChecker;
  /** Monotonic microseconds (timers, start limits). */
  now(): number;
  /** Wall-clock microseconds since the epoch (timestamps shown to users). */
  realtime(): number;
  /** The local zone's offset from UTC in seconds (calendar timers); 0 if not given. */
  utcOffsetSeconds?(): number;
  /** Persistent= timers: wall-clock µs of a timer's last recorded trigger. */
  lastTrigger?(timer: string): number | null;
}

/** The service a socket starts: Service=, else the socket's name with .service (a template with Accept=yes). */
export function socketService(socket: string, service: string | null, accept: boolean): string {
  if (service) return service;
  const base = socket.slice(0, socket.lastIndexOf('.'));
  return accept ? `${base}@.service` : `${base}.service`;
}

export interface Job {
  id: number;
  unit: string;
  type: JobType;
  state: 'waiting' | 'running';
  /** A restart job has stopped its unit and now starts it. */
  restartStarting: boolean;
}

export interface Timestamps {
  activeEnter: number | null;
  activeExit: number | null;
  inactiveEnter: number | null;
  inactiveExit: number | null;
  stateChange: number | null;
}

interface UnitRecord {
  name: string;
  def: UnitDefinition;
  deps: Dependencies;
  service: ServiceMachine | null;
  timer: TimerMachine | null;
  socket: SocketMachine | null;
  /** For units without a process (targets): simply active or not. */
  plainActive: boolean;
  job: Job | null;
  lastActive: ActiveState;
  conditionResult: boolean | null;
  failedCondition: Condition | null;
  assertResult: boolean | null;
  times: Timestamps;
}

export type EnqueueError =
  | { code: 'not-found' | 'masked' | 'bad-setting' | 'load-error' | 'not-applicable' | 'unsupported' | 'refused' | 'destructive'; message: string };
export type EnqueueResult = { ok: true; job: number } | ({ ok: false } & EnqueueError);

/** Unit types the manager can run. */
const RUNNABLE = new Set(['service', 'target', 'timer', 'socket']);

export interface SocketStatus {
  listen: { type: 'Stream' | 'Datagram'; address: string }[];
  /** The service it starts (for Accept=yes, the template). */
  triggers: string;
  accept: boolean;
  nAccepted: number;
  nConnections: number;
}

export interface TimerStatus {
  unit: string;
  /** Wall-clock µs of the next elapse, or null. */
  nextElapse: number | null;
  lastTrigger: number | null;
}

export interface UnitStatus {
  name: string;
  id: string;
  description: string;
  loadState: string;
  activeState: ActiveState;
  subState: SubState;
  result: ServiceResult | null;
  fragmentPath: string | null;
  dropInPaths: string[];
  mainPid: number | null;
  execMainPid: number | null;
  controlPid: number | null;
  execMain: { code: string; status: number } | null;
  statusText: string;
  nRestarts: number;
  conditionResult: boolean | null;
  failedCondition: string | null;
  assertResult: boolean | null;
  job: { id: number; type: JobType; state: string } | null;
  times: Timestamps;
  deps: Dependencies;
  timer: TimerStatus | null;
  socket: SocketStatus | null;
  /** Socket units that start this service (systemctl status: TriggeredBy:). */
  triggeredBy: string[];
  diagnostics: string[];
}

export class Manager {
  private units = new Map<string, UnitRecord>();
  private jobs = new Map<number, Job>();
  private effects: Effect[] = [];
  private nextJob = 1;
  private nextToken = 1;
  private dispatching = false;
  /** Accept=yes: service instances started for one connection each, with the socket and the connection the shell holds. */
  private connections = new Map<string, { socket: string; connection: number }>();

  constructor(private opts: ManagerOptions) {}

  /** Effects produced since the last call, in order. */
  drain(): Effect[] {
    const out = this.effects;
    this.effects = [];
    return out;
  }

  // --- queries ------------------------------------------------------------

  /** Loads (or returns) a unit record. Aliases resolve to the unit's own name. */
  private get(name: string): UnitRecord {
    const known = this.units.get(name);
    // A unit that was not found is looked up again when asked for (systemd drops it from memory).
    if (known && !(known.def.loaded.loadState === 'not-found' && !known.job && this.activeState(known) === 'inactive')) return known;
    if (known) {
      known.def = this.opts.load(name);
      known.deps = this.depsOf(known.def);
      this.attachMachine(known);
      return known;
    }
    const def = this.opts.load(name);
    const id = def.loaded.id;
    const existing = this.units.get(id);
    if (existing) return existing;
    const r: UnitRecord = {
      name: id, def, deps: this.depsOf(def), service: null, timer: null, socket: null, plainActive: false, job: null, lastActive: 'inactive',
      conditionResult: null, failedCondition: null, assertResult: null,
      times: { activeEnter: null, activeExit: null, inactiveEnter: null, inactiveExit: null, stateChange: null },
    };
    this.attachMachine(r);
    this.units.set(id, r);
    return r;
  }

  /**
   * The unit's dependencies with systemd's implicit ones for sockets: a
   * socket is ordered before the service it starts (and before
   * sockets.target); a service pulls in and is ordered after its Sockets=.
   */
  private depsOf(def: UnitDefinition): Dependencies {
    const d = dependenciesOf(def);
    const s = def.loaded.settings;
    if (!s || def.loaded.loadState !== 'loaded') return d;
    const add = (list: string[], names: string[]): string[] => [...list, ...names.filter((n) => !list.includes(n) && n !== def.loaded.id)];
    if (s.socket) {
      const extra = s.socket.accept ? [] : [socketService(def.loaded.id, s.socket.service, false)];
      if (s.unit.defaultDependencies) extra.push('sockets.target');
      return { ...d, before: add(d.before, extra) };
    }
    if (s.service && s.service.sockets.length > 0) {
      return { ...d, wants: add(d.wants, s.service.sockets), after: add(d.after, s.service.sockets) };
    }
    return d;
  }

  private attachMachine(r: UnitRecord): void {
    const s = r.def.loaded.settings;
    if (r.def.loaded.loadState !== 'loaded' || !s) return;
    if (s.socket) {
      const service = socketService(r.name, s.socket.service, s.socket.accept);
      if (r.socket) r.socket.settings = s.socket;
      else r.socket = new SocketMachine(r.name, s.socket, service, this.socketContext());
      return;
    }
    if (s.timer) {
      if (r.timer) r.timer.settings = s.timer;
      else r.timer = new TimerMachine(r.name, s.timer, this.timerContext());
      return;
    }
    if (!s.service) return;
    const limit = { intervalUsec: s.unit.startLimitIntervalUsec, burst: s.unit.startLimitBurst };
    if (r.service) r.service.setSettings(s.service, limit);
    else r.service = new ServiceMachine(r.name, s.service, limit, this.machineContext());
  }

  private machineContext(): MachineContext {
    return {
      now: () => this.opts.now(),
      token: () => this.nextToken++,
      emit: (e) => {
        // ExecStart= (the main process, or a forking service's parent) gets the service's listening sockets
        // (and an Accept=yes connection) as fd 3…; ExecStartPre= and the others do not, as in systemd.
        if (e.kind === 'spawn' && e.stage === 'start') {
          const sockets = this.socketsFor(e.unit);
          const conn = this.connections.get(e.unit);
          if (sockets.length > 0) e.sockets = sockets;
          if (conn) e.connection = conn.connection;
        }
        this.effects.push(e);
      },
      changed: (name) => this.onChanged(name),
      autoRestart: (name) => this.onAutoRestart(name),
    };
  }

  private timerContext(): TimerContext {
    return {
      now: () => this.opts.now(),
      realtime: () => this.opts.realtime(),
      utcOffsetSeconds: () => this.opts.utcOffsetSeconds?.() ?? 0,
      token: () => this.nextToken++,
      emit: (e) => this.effects.push(e),
      changed: (name) => this.onChanged(name),
      trigger: (timer, unit) => {
        const r = this.enqueue('start', unit);
        if (!r.ok) this.log(timer, `${timer}: Failed to queue unit startup job: ${r.message}`);
        return r.ok;
      },
      lastTrigger: (timer) => this.opts.lastTrigger?.(timer) ?? null,
    };
  }

  private socketContext(): SocketContext {
    return {
      now: () => this.opts.now(),
      token: () => this.nextToken++,
      emit: (e) => this.effects.push(e),
      changed: (name) => this.onChanged(name),
      serviceSettled: (service) => {
        const r = this.units.get(service);
        if (!r || r.job) return null;
        return { state: this.activeState(r), result: r.service?.result ?? null };
      },
      stopPending: (name) => {
        const j = this.units.get(name)?.job;
        return !!j && this.isStopping(j);
      },
      trigger: (socket, service) => {
        // Already up or on its way (a start or restart job): it will take the connection (unit_active_or_pending()).
        const svc = this.units.get(service);
        if (svc && (this.activeState(svc) === 'active' || (svc.job && (svc.job.type === 'start' || svc.job.type === 'restart')))) return true;
        const r = this.enqueue('start', service);
        if (!r.ok) this.log(socket, `${socket}: Failed to queue service startup job (Maybe the service file is missing or not a non-template unit?): ${r.message}`);
        return r.ok;
      },
      triggerInstance: (socket, connection, local, remote, n) => {
        const template = this.units.get(socket)!.socket!.service;
        const at = template.indexOf('@');
        const instance = `${template.slice(0, at + 1)}${n}-${local}-${remote}${template.slice(at + 1)}`;
        if (!parseUnitName(instance)) {
          this.log(socket, `${socket}: Cannot name an instance for the connection from ${remote}.`);
          return false;
        }
        this.connections.set(instance, { socket, connection });
        const r = this.enqueue('start', instance);
        if (!r.ok) {
          this.connections.delete(instance);
          this.log(socket, `${socket}: Failed to queue service startup job for ${instance}: ${r.message}`);
        }
        return r.ok;
      },
    };
  }

  /** The listening sockets a service's main process gets: its Sockets=, then the sockets that start it. */
  private socketsFor(service: string): string[] {
    const r = this.units.get(service);
    const out: string[] = [];
    const open = (name: string): boolean => {
      const sock = this.units.get(name)?.socket;
      return !!sock && !sock.settings.accept && (sock.sub === 'listening' || sock.sub === 'running');
    };
    for (const n of r?.def.loaded.settings?.service?.sockets ?? []) if (open(n) && !out.includes(n)) out.push(n);
    for (const o of this.units.values()) if (o.socket && o.socket.service === service && open(o.name) && !out.includes(o.name)) out.push(o.name);
    return out;
  }

  activeState(r: UnitRecord): ActiveState {
    if (r.service) return r.service.activeState;
    if (r.timer) return r.timer.activeState;
    if (r.socket) return r.socket.activeState;
    return r.plainActive ? 'active' : 'inactive';
  }

  private subState(r: UnitRecord): SubState {
    if (r.service) return r.service.sub;
    if (r.timer) return r.timer.sub;
    if (r.socket) return r.socket.sub;
    return r.plainActive ? 'active' : 'dead';
  }

  /** The status of `name` (loading it if needed). */
  status(name: string): UnitStatus {
    const r = this.get(name);
    const l = r.def.loaded;
    const svc = r.service;
    return {
      name, id: r.name, description: l.settings?.unit.description || r.name, loadState: l.loadState,
      activeState: this.activeState(r), subState: this.subState(r),
      result: svc ? svc.result : r.timer ? r.timer.result : r.socket ? r.socket.result as ServiceResult : null,
      fragmentPath: l.fragmentPath, dropInPaths: l.dropInPaths, mainPid: svc?.mainPid ?? null,
      execMainPid: svc?.execMainPid ?? null,
      controlPid: svc?.controlPid ?? null, execMain: svc?.mainExit ? { code: svc.mainExit.code, status: svc.mainExit.status } : null,
      statusText: svc?.statusText ?? '', nRestarts: svc?.nRestarts ?? 0, conditionResult: r.conditionResult,
      failedCondition: r.failedCondition ? `${r.failedCondition.kind}=${r.failedCondition.trigger ? '|' : ''}${r.failedCondition.negate ? '!' : ''}${r.failedCondition.parameter}` : null,
      assertResult: r.assertResult,
      job: r.job ? { id: r.job.id, type: r.job.type, state: r.job.state } : null,
      times: { ...r.times }, deps: r.deps,
      timer: r.timer ? this.timerStatus(r.timer) : null,
      socket: r.socket ? {
        listen: r.socket.settings.listen.map((l) => ({ type: l.kind === 'stream' ? 'Stream' as const : 'Datagram' as const, address: l.text })),
        triggers: r.socket.service, accept: r.socket.settings.accept, nAccepted: r.socket.nAccepted, nConnections: r.socket.nConnections,
      } : null,
      triggeredBy: [...this.units.values()].filter((o) => o.socket && o.socket.service === r.name).map((o) => o.name)
        .concat(this.connections.has(r.name) ? [this.connections.get(r.name)!.socket] : []),
      diagnostics: l.diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`),
    };
  }

  /** The unit's interpreted settings (loading it if needed). */
  definition(name: string): UnitDefinition {
    return this.get(name).def;
  }

  private timerStatus(t: TimerMachine): TimerStatus {
    // A monotonic elapse is shown as the wall-clock time it corresponds to now.
    const mono = t.nextMonotonic === null ? null : this.opts.realtime() + (t.nextMonotonic - this.opts.now());
    const next = [mono, t.nextRealtime].filter((x): x is number => x !== null);
    return { unit: t.settings.unit, nextElapse: next.length > 0 ? Math.min(...next) : null, lastTrigger: t.lastTriggerRealtime };
  }

  /** Every unit the manager has loaded, by name. */
  list(): UnitStatus[] {
    return [...this.units.keys()].sort().map((n) => this.status(n));
  }

  /** Whether `name` has a job or is not settled (activating/deactivating). */
  busy(name: string): boolean {
    const r = this.units.get(name);
    if (!r) return false;
    const a = this.activeState(r);
    return r.job !== null || a === 'activating' || a === 'deactivating';
  }

  job(id: number): Job | undefined {
    return this.jobs.get(id);
  }

  // --- reload ---------------------------------------------------------------

  /** daemon-reload: re-read every known unit; running state is kept. */
  reloadDefinitions(): void {
    for (const r of this.units.values()) {
      r.def = this.opts.load(r.name);
      r.deps = this.depsOf(r.def);
      this.attachMachine(r);
    }
  }

  // --- requests -------------------------------------------------------------

  enqueue(type: JobType, name: string): EnqueueResult {
    const r = this.get(name);
    const problem = this.loadProblem(r, name);
    if (problem && !(type === 'stop' && problem.code !== 'not-found')) {
      // Stopping a unit that failed to load is fine if it is somehow running; otherwise refuse.
      if (type !== 'stop' || this.activeState(r) === 'inactive') {
        if (type === 'stop' && problem.code === 'not-found') return { ok: false, code: 'not-found', message: `Unit ${name} not loaded.` };
        return { ok: false, ...problem };
      }
    }
    const settings = r.def.loaded.settings;
    if (type === 'start' && settings?.unit.refuseManualStart) return { ok: false, code: 'refused', message: `Operation refused, unit ${r.name} may be requested by dependency only (it is configured to refuse manual start/stop).` };
    if (type === 'stop' && settings?.unit.refuseManualStop) return { ok: false, code: 'refused', message: `Operation refused, unit ${r.name} may be requested by dependency only (it is configured to refuse manual start/stop).` };
    if (type === 'reload' && (!r.service || r.service.svc.execReload.length === 0)) {
      return { ok: false, code: 'not-applicable', message: `Job type reload is not applicable for unit ${r.name}.` };
    }
    if (type === 'reload' && this.activeState(r) !== 'active') {
      return { ok: false, code: 'not-applicable', message: `Unit ${r.name} cannot be reloaded because it is inactive.` };
    }

    const plan = new Map<string, JobType>();
    if (type === 'start') {
      const err = this.planStart(r, plan, true);
      if (err) return { ok: false, ...err };
    } else if (type === 'stop') {
      this.planStop(r, plan);
    } else if (type === 'restart') {
      plan.set(r.name, 'restart');
      for (const d of this.dependents(r.name)) if (this.activeState(d) !== 'inactive' && !plan.has(d.name)) plan.set(d.name, 'restart');
    } else {
      plan.set(r.name, 'reload');
    }
    const anchor = this.install(plan, r.name);
    this.dispatch();
    return { ok: true, job: anchor };
  }

  /** Stops every unit that is not inactive (shutdown); returns the job ids. */
  stopAll(): number[] {
    const plan = new Map<string, JobType>();
    for (const r of this.units.values()) {
      const a = this.activeState(r);
      if (a !== 'inactive' && a !== 'failed') plan.set(r.name, 'stop');
      else if (r.job) plan.set(r.name, 'stop');
    }
    const ids: number[] = [];
    if (plan.size === 0) return ids;
    this.install(plan, null);
    for (const j of this.jobs.values()) ids.push(j.id);
    this.dispatch();
    return ids;
  }

  resetFailed(name: string): void {
    const r = this.get(name);
    r.service?.resetFailed();
    r.timer?.resetFailed();
    r.socket?.resetFailed();
  }

  handle(ev: ShellEvent): void {
    const r = this.units.get(ev.unit);
    if (r?.timer && ev.kind === 'timer') r.timer.onTimer(ev.token);
    if (r?.socket) {
      if (ev.kind === 'socket-opened') r.socket.opened(ev.token);
      else if (ev.kind === 'socket-failed') r.socket.openFailed(ev.token, ev.error);
      else if (ev.kind === 'socket-ready') r.socket.ready();
      else if (ev.kind === 'socket-accepted') r.socket.accepted(ev.token, ev.connection, ev.local, ev.remote);
      return this.dispatch();
    }
    if (!r?.service) return this.dispatch();
    r.service.handle(ev);
    this.dispatch();
  }

  // --- transactions -----------------------------------------------------------

  private loadProblem(r: UnitRecord, asked: string): EnqueueError | null {
    const l = r.def.loaded;
    switch (l.loadState) {
      case 'loaded': break;
      case 'not-found': return { code: 'not-found', message: `Unit ${asked} not found.` };
      case 'masked': return { code: 'masked', message: `Unit ${asked} is masked.` };
      case 'bad-setting': return { code: 'bad-setting', message: `Unit ${asked} has a bad unit file setting.` };
      default: return { code: 'load-error', message: `Unit ${asked} failed to load properly, please adjust/correct and reload service manager.` };
    }
    const type = r.name.slice(r.name.lastIndexOf('.') + 1);
    if (!RUNNABLE.has(type)) return { code: 'unsupported', message: `Unit type ${type} is not supported by coracle's init yet (${r.name}).` };
    return null;
  }

  private planStart(r: UnitRecord, plan: Map<string, JobType>, required: boolean): EnqueueError | null {
    if (plan.has(r.name)) return null;
    const problem = this.loadProblem(r, r.name);
    if (problem) return required ? problem : null;
    plan.set(r.name, 'start');
    for (const n of [...r.deps.requires, ...r.deps.bindsTo]) {
      const err = this.planStart(this.get(n), plan, true);
      if (err) return err; // systemd names the missing unit only: "Unit docker.service not found."

    }
    for (const n of r.deps.wants) this.planStart(this.get(n), plan, false);
    // Conflicts= both ways: what this unit names, and what names this unit.
    const against = new Set(r.deps.conflicts);
    for (const o of this.units.values()) if (o.deps.conflicts.includes(r.name)) against.add(o.name);
    for (const n of against) {
      const o = this.get(n);
      if (plan.get(o.name) === 'start') return { code: 'destructive', message: `Transaction for ${r.name} is destructive (${o.name} conflicts with it and is started by it too).` };
      if (this.activeState(o) !== 'inactive' || o.job) this.planStop(o, plan);
    }
    return null;
  }

  private planStop(r: UnitRecord, plan: Map<string, JobType>): void {
    if (plan.get(r.name) === 'stop') return;
    plan.set(r.name, 'stop');
    for (const d of this.dependents(r.name)) {
      if (this.activeState(d) !== 'inactive' || d.job) this.planStop(d, plan);
    }
  }

  /** Units that Requires=/Requisite=/BindsTo=/PartOf= `name`: they go when it goes. */
  private dependents(name: string): UnitRecord[] {
    const out: UnitRecord[] = [];
    for (const o of this.units.values()) {
      const d = o.deps;
      if (d.requires.includes(name) || d.requisite.includes(name) || d.bindsTo.includes(name) || d.partOf.includes(name)) out.push(o);
    }
    return out;
  }

  /** Installs the planned jobs, replacing other jobs on the same units; returns the job of `anchor`. */
  private install(plan: Map<string, JobType>, anchor: string | null): number {
    let anchorId = 0;
    for (const [name, type] of plan) {
      const r = this.get(name);
      let job = r.job;
      if (job && job.type === type && !job.restartStarting) {
        // Same request already queued: share it.
      } else {
        if (job) this.finishJob(r, 'canceled');
        // A start of something already active, or a stop of something inactive, is done at once.
        job = { id: this.nextJob++, unit: r.name, type, state: 'waiting', restartStarting: false };
        r.job = job;
        this.jobs.set(job.id, job);
      }
      if (name === anchor) anchorId = job.id;
    }
    return anchorId;
  }

  // --- running jobs ---------------------------------------------------------------

  private ordered(a: UnitRecord, b: UnitRecord): boolean {
    return a.deps.after.includes(b.name) || b.deps.before.includes(a.name);
  }

  private isStopping(j: Job): boolean {
    return j.type === 'stop' || (j.type === 'restart' && !j.restartStarting);
  }

  /** Whether job `j` on `a` must wait for job `k` on `b`. */
  private mustWait(j: Job, a: UnitRecord, k: Job, b: UnitRecord): boolean {
    const aAfterB = this.ordered(a, b);
    const bAfterA = this.ordered(b, a);
    if (!aAfterB && !bAfterA) return false;
    const jStop = this.isStopping(j);
    const kStop = this.isStopping(k);
    if (jStop !== kStop) return !jStop;
    return jStop ? bAfterA : aAfterB;
  }

  private runnable(j: Job): boolean {
    const a = this.units.get(j.unit)!;
    for (const k of this.jobs.values()) {
      if (k === j) continue;
      const b = this.units.get(k.unit)!;
      if (this.mustWait(j, a, k, b)) return false;
    }
    return true;
  }

  private dispatch(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      // A job left waiting by runJob (its unit is still going down) is tried again on the next change.
      const tried = new Set<string>();
      for (let progress = true; progress; ) {
        progress = false;
        for (const j of [...this.jobs.values()]) {
          const key = `${j.id}:${j.restartStarting}`;
          if (j.state !== 'waiting' || tried.has(key) || !this.jobs.has(j.id) || !this.runnable(j)) continue;
          tried.add(key);
          progress = true;
          this.runJob(j);
        }
        if (!progress) progress = this.breakOrderingCycle();
      }
    } finally {
      this.dispatching = false;
    }
  }

  /**
   * Jobs that wait on each other's ordering with nothing running would wait
   * forever (an After= cycle). systemd refuses such a transaction; coracle
   * runs the oldest blocked job and says so, as systemd does when it breaks
   * a cycle by dropping an ordering.
   */
  private breakOrderingCycle(): boolean {
    const jobs = [...this.jobs.values()];
    if (jobs.length === 0 || jobs.some((j) => j.state === 'running')) return false;
    const blocked = jobs.filter((j) => j.state === 'waiting' && !this.runnable(j)).sort((a, b) => a.id - b.id);
    const j = blocked[0];
    if (!j) return false;
    this.log(j.unit, `${j.unit}: Found ordering cycle; starting job ${j.id} (${j.type}) without waiting for its ordering.`);
    this.runJob(j);
    return true;
  }

  private runJob(j: Job): void {
    const r = this.units.get(j.unit)!;
    j.state = 'running';
    const state = this.activeState(r);
    const desc = r.def.loaded.settings?.unit.description || r.name;
    const starting = j.type === 'start' || (j.type === 'restart' && j.restartStarting);
    if (starting) {
      if (state === 'active' || state === 'reloading') return this.finishJob(r, 'done');
      if (state === 'deactivating') {
        j.state = 'waiting'; // start after the stop completes
        return;
      }
      for (const n of r.deps.requisite) {
        const o = this.get(n);
        if (this.activeState(o) !== 'active') {
          this.log(r.name, `Dependency failed for ${desc}.`);
          return this.finishJob(r, 'dependency');
        }
      }
      const settings = r.def.loaded.settings!;
      const cond = failingCondition(settings.unit.conditions, r.name, this.opts.check);
      r.conditionResult = cond === null;
      r.failedCondition = cond;
      if (cond) {
        this.log(r.name, `${desc} was skipped because of an unmet condition check (${cond.kind}=${cond.negate ? '!' : ''}${cond.parameter}).`);
        return this.finishJob(r, 'done');
      }
      const assert = failingCondition(settings.unit.asserts, r.name, this.opts.check);
      r.assertResult = assert === null;
      if (assert) {
        this.log(r.name, `Assertion failed for ${desc} (Assert${assert.kind}=${assert.negate ? '!' : ''}${assert.parameter}).`);
        return this.finishJob(r, 'assert');
      }
      if (r.service) {
        if (state === 'activating' && r.service.sub !== 'auto-restart') return; // already on its way up
        this.log(r.name, `Starting ${desc}...`);
        if (!r.service.start() && r.job === j) this.finishJob(r, 'failed');
      } else if (r.timer) {
        r.timer.start();
      } else if (r.socket) {
        r.socket.start();
      } else {
        r.plainActive = true;
        this.onChanged(r.name);
      }
      return;
    }
    if (this.isStopping(j)) {
      if (state === 'inactive' || state === 'failed') return this.settleStopped(r, j);
      if (r.service) {
        this.log(r.name, `Stopping ${desc}...`);
        r.service.stop();
      } else if (r.timer) {
        r.timer.stop();
      } else if (r.socket) {
        r.socket.stop();
      } else {
        r.plainActive = false;
        this.onChanged(r.name);
      }
      return;
    }
    // reload
    if (!r.service || !r.service.reload() || (r.service.sub !== 'reload')) return this.finishJob(r, 'done');
    this.log(r.name, `Reloading ${desc}...`);
  }

  /** A stop (or the stop half of a restart) is complete. */
  private settleStopped(r: UnitRecord, j: Job): void {
    if (j.type === 'restart') {
      const desc = r.def.loaded.settings?.unit.description || r.name;
      if (j.state === 'running') this.log(r.name, `Stopped ${desc}.`);
      j.restartStarting = true;
      j.state = 'waiting';
      return;
    }
    this.finishJob(r, 'done');
  }

  private finishJob(r: UnitRecord, result: JobResult): void {
    const j = r.job;
    if (!j) return;
    r.job = null;
    this.jobs.delete(j.id);
    const desc = r.def.loaded.settings?.unit.description || r.name;
    const isTarget = r.name.endsWith('.target');
    const starting = j.type === 'start' || j.type === 'restart';
    if (result === 'done' && j.state === 'running') {
      if (starting && this.activeState(r) === 'active') this.log(r.name, isTarget ? `Reached target ${desc}.` : `Started ${desc}.`);
      else if (starting && r.conditionResult !== false) this.log(r.name, `Finished ${desc}.`);
      else if (j.type === 'stop') this.log(r.name, isTarget ? `Stopped target ${desc}.` : `Stopped ${desc}.`);
      else if (j.type === 'reload') this.log(r.name, `Reloaded ${desc}.`);
    } else if (result === 'failed' && starting) {
      this.log(r.name, `Failed to start ${desc}.`);
    }
    this.effects.push({ kind: 'job-done', job: j.id, unit: r.name, type: j.type, result });
    if (starting && result !== 'done') this.failDependents(r);
  }

  /** A start failed: pending starts that need it first fail with "dependency". */
  private failDependents(failed: UnitRecord): void {
    for (const o of this.units.values()) {
      const j = o.job;
      if (!j || j.state !== 'waiting' || this.isStopping(j)) continue;
      const needs = o.deps.requires.includes(failed.name) || o.deps.bindsTo.includes(failed.name) || o.deps.requisite.includes(failed.name);
      if (needs && this.ordered(o, failed)) {
        this.log(o.name, `Dependency failed for ${o.def.loaded.settings?.unit.description || o.name}.`);
        this.finishJob(o, 'dependency');
      }
    }
  }

  private onAutoRestart(name: string): void {
    const r = this.units.get(name);
    if (!r?.service || r.service.sub !== 'auto-restart') return;
    if (r.job && this.isStopping(r.job)) return;
    r.service.start();
    this.dispatch();
  }

  /** Called on every state change of a unit: timestamps, jobs, BindsTo=. */
  private onChanged(name: string): void {
    const r = this.units.get(name);
    if (!r) return;
    const now = this.opts.realtime();
    const prev = r.lastActive;
    const cur = this.activeState(r);
    r.lastActive = cur;
    r.times.stateChange = now;
    const wasInactive = prev === 'inactive' || prev === 'failed';
    const isInactive = cur === 'inactive' || cur === 'failed';
    if (wasInactive && !isInactive) r.times.inactiveExit = now;
    if (cur === 'active' && prev !== 'active' && prev !== 'reloading') r.times.activeEnter = now;
    if ((prev === 'active' || prev === 'reloading') && cur !== 'active' && cur !== 'reloading') r.times.activeExit = now;
    if (isInactive && !wasInactive) r.times.inactiveEnter = now;
    this.effects.push({ kind: 'changed', unit: name });
    for (const t of this.units.values()) if (t.timer && t.timer.settings.unit === name && prev !== cur) t.timer.unitChanged(cur);
    if (prev !== cur) {
      for (const o of this.units.values()) if (o.socket && o.socket.service === name) o.socket.serviceChanged(cur, r.service?.result ?? null);
      const conn = this.connections.get(name);
      if (conn && isInactive && !wasInactive) {
        // Accept=yes: the instance for one connection is done; the init's copy of the connection goes too.
        this.connections.delete(name);
        this.effects.push({ kind: 'connection-close', unit: conn.socket, connection: conn.connection });
        this.units.get(conn.socket)?.socket?.connectionEnded();
      }
    }

    const j = r.job;
    if (j && j.state === 'running') {
      const starting = j.type === 'start' || (j.type === 'restart' && j.restartStarting);
      if (starting) {
        if (cur === 'active' || cur === 'reloading') this.finishJob(r, 'done');
        else if (cur === 'failed') this.finishJob(r, 'failed');
        else if (cur === 'inactive') this.finishJob(r, 'done');
      } else if (this.isStopping(j)) {
        if (isInactive) this.settleStopped(r, j);
      } else if (j.type === 'reload' && r.service && r.service.sub !== 'reload') {
        this.finishJob(r, 'done');
      }
    }

    if (isInactive && !wasInactive) {
      // BindsTo=: units bound to this one go with it, whatever the reason.
      for (const o of this.units.values()) {
        if (!o.deps.bindsTo.includes(name)) continue;
        const oa = this.activeState(o);
        if ((oa === 'active' || oa === 'activating' || oa === 'reloading') && !(o.job && this.isStopping(o.job))) {
          this.log(o.name, `${o.name}: Bound to unit ${name}, but unit isn't active.`);
          const plan = new Map<string, JobType>();
          this.planStop(o, plan);
          this.install(plan, null);
        }
      }
    }
    this.dispatch();
  }

  private log(unit: string, message: string): void {
    this.effects.push({ kind: 'log', unit, message });
  }
}
