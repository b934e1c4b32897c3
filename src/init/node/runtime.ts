// The init's I/O shell: feeds the pure Manager with what processes, timers
// and notify sockets report, and carries out the effects it asks for.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadUnit, type ServiceSettings, type SpecifierContext, type UnitView } from '../../units/index.js';
import type { Effect, ShellEvent } from '../effects.js';
import { Manager, type EnqueueError, type UnitStatus } from '../manager.js';
import type { ExitInfo, JobResult, JobType } from '../states.js';
import { nodeSignal } from '../signals.js';
import type { UnitDefinition } from '../unit.js';
import { conditionChecker } from './conditions.js';
import { prepareExec } from './exec.js';
import { Journal, type JournalEntry, type JournalOptions } from './journal.js';
import { NotifySockets } from './notify.js';
import { prepareRoot, specifierContext, type MachineRoot } from './root.js';
import { isAlive, ProcessTracker } from './tracker.js';
import { ListeningSockets, listenExecPath } from './sockets.js';
import { linkedDeps, readUnitView } from './view.js';

export interface InitOptions {
  journal?: JournalOptions;
  /** Track processes by the environment marker even where a cgroup is available. */
  environTracking?: boolean;
  /** How often to look for a unit's processes while waiting for them to go (ms). */
  pollMs?: number;
  /** Also write the init's own lines here (the foreground console). */
  echo?: (line: string) => void;
}

export type RequestResult = { ok: true; job: number; result: JobResult } | ({ ok: false } & EnqueueError);

interface Proc {
  unit: string;
  pid: number;
  child: ChildProcess;
}

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class InitNode extends EventEmitter {
  readonly machine: MachineRoot;
  readonly manager: Manager;
  readonly journal: Journal;
  readonly tracker: ProcessTracker;
  readonly ctx: SpecifierContext;
  view: UnitView;
  private procs = new Map<number, Proc>();
  private timers = new Map<string, NodeJS.Timeout>();
  private emptyWatch = new Map<string, NodeJS.Timeout>();
  private mainWatch = new Map<string, NodeJS.Timeout>();
  private waiters = new Map<number, ((r: JobResult) => void)[]>();
  private notify: NotifySockets;
  readonly sockets: ListeningSockets;
  private pumping = false;
  private readonly pollMs: number;
  private closed = false;
  private viewStamp = '';
  private reported = new Set<string>();
  private journalError: string | null = null;

  constructor(root: string, private opts: InitOptions = {}) {
    super();
    // Every state-change stream adds a listener.
    this.setMaxListeners(0);
    this.machine = prepareRoot(root);
    this.ctx = specifierContext(this.machine);
    this.pollMs = opts.pollMs ?? 50;
    this.journal = new Journal(this.machine.journalDir, opts.journal);
    this.tracker = new ProcessTracker(this.machine.tag, opts.environTracking ?? false);
    this.notify = new NotifySockets(path.join(this.machine.runDir, 'notify'), (unit, fields) => this.feed({ kind: 'notify', unit, fields }));
    this.sockets = new ListeningSockets(this.machine.root, (unit) => this.feed({ kind: 'socket-ready', unit }));
    this.view = readUnitView(this.machine.root);
    this.viewStamp = this.dirStamp();
    const start = process.hrtime.bigint();
    this.manager = new Manager({
      load: (name) => this.load(name),
      check: conditionChecker(this.machine),
      now: () => Number((process.hrtime.bigint() - start) / 1000n),
      realtime: () => Date.now() * 1000,
      utcOffsetSeconds: () => -new Date().getTimezoneOffset() * 60,
      lastTrigger: (timer) => this.timerStamp(timer),
    });
  }

  load(name: string): UnitDefinition {
    // A name seen for the first time is looked up on disk as it is now (systemd loads units on demand).
    const stamp = this.dirStamp();
    if (stamp !== this.viewStamp) {
      this.view = readUnitView(this.machine.root);
      this.viewStamp = stamp;
    }
    const loaded = loadUnit(this.view, name, this.ctx);
    // What is wrong with a unit file goes to the journal once, as systemd logs it while loading.
    for (const d of loaded.diagnostics) {
      const line = `${d.file}:${d.line}: ${d.message}`;
      if (this.reported.has(line)) continue;
      this.reported.add(line);
      this.initLog(d.line > 0 ? line : `${loaded.id}: ${d.message}`, loaded.id);
    }
    return { loaded, linkedWants: linkedDeps(this.view, loaded.id, 'wants'), linkedRequires: linkedDeps(this.view, loaded.id, 'requires') };
  }

  /** Modification times of the unit directories: a file added or removed changes them. */
  private dirStamp(): string {
    return this.view.searchPath.map((d) => {
      try {
        return String(fs.statSync(d).mtimeMs);
      } catch {
        return '-';
      }
    }).join(',');
  }

  /** The unit directories as they are on disk now (enable, is-enabled, list-unit-files read the disk, as systemctl does). */
  diskView(): UnitView {
    return readUnitView(this.machine.root);
  }

  /**
   * What a boot does: sockets.target (every enabled socket listens before
   * the services start, as basic.target pulls it in on systemd), then
   * default.target; resolves with default.target's job result.
   */
  async boot(): Promise<RequestResult> {
    this.initLog(`coracle init on ${this.machine.root} (machine ${this.machine.machineId}), tracking processes by ${this.tracker.mode}.`);
    await this.request('start', 'sockets.target');
    await this.request('start', 'timers.target');
    return this.request('start', 'default.target');
  }

  /** Queues a job and resolves when it ends. */
  request(type: JobType, name: string): Promise<RequestResult> {
    const r = this.manager.enqueue(type, name);
    if (!r.ok) {
      this.pump();
      return Promise.resolve(r);
    }
    const done = this.waitJob(r.job);
    this.pump();
    return done.then((result) => ({ ok: true, job: r.job, result }));
  }

  private waitJob(id: number): Promise<JobResult> {
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
  }

  status(name: string): UnitStatus {
    return this.manager.status(name);
  }

  resetFailed(name: string): void {
    this.manager.resetFailed(name);
    this.pump();
  }

  /**
   * systemctl kill: a signal to the unit's processes outside any job; what
   * the processes do then drives the unit's state as usual. Returns the pids signalled.
   */
  killUnit(name: string, whom: 'main' | 'control' | 'all', signal: number): number[] {
    const s = this.manager.status(name);
    if (whom === 'all') return this.tracker.kill(s.id, signal);
    const pid = whom === 'main' ? s.mainPid : s.controlPid;
    if (pid === null) return [];
    signalPid(pid, signal);
    return [pid];
  }

  /** daemon-reload: read the unit directories again. */
  reload(): void {
    this.reported.clear();
    this.view = readUnitView(this.machine.root);
    this.viewStamp = this.dirStamp();
    this.manager.reloadDefinitions();
    this.pump();
  }

  /** Stops every unit (reverse dependency order), then releases everything. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    const ids = this.manager.stopAll();
    const all = Promise.all(ids.map((id) => this.waitJob(id)));
    this.pump();
    await all;
    this.closed = true;
    for (const t of [...this.timers.values(), ...this.emptyWatch.values(), ...this.mainWatch.values()]) clearTimeout(t);
    this.notify.closeAll();
    this.sockets.closeAll();
    this.tracker.dispose();
    this.initLog('All units stopped; the init exits.');
    this.journal.close();
  }

  // --- the loop ---------------------------------------------------------------

  private feed(ev: ShellEvent): void {
    if (this.closed) return;
    this.manager.handle(ev);
    this.pump();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let effects = this.manager.drain(); effects.length > 0; effects = this.manager.drain()) {
        for (const e of effects) this.apply(e);
      }
    } finally {
      this.pumping = false;
    }
  }

  private apply(e: Effect): void {
    switch (e.kind) {
      case 'spawn': return this.spawn(e);
      case 'kill': return this.kill(e.unit, e.who, e.signal);
      case 'watch-empty': return this.watchEmpty(e.unit, e.token);
      case 'timer': {
        const key = e.slot ? `${e.unit}\0${e.slot}` : e.unit;
        clearTimeout(this.timers.get(key));
        const t = setTimeout(() => {
          this.timers.delete(key);
          this.feed({ kind: 'timer', unit: e.unit, token: e.token, ...(e.slot ? { slot: e.slot } : {}) });
        }, Math.min(Math.ceil(e.usec / 1000), MAX_TIMEOUT_MS));
        this.timers.set(key, t);
        return;
      }
      case 'cancel-timer': {
        const key = e.slot ? `${e.unit}\0${e.slot}` : e.unit;
        clearTimeout(this.timers.get(key));
        this.timers.delete(key);
        return;
      }
      case 'socket-open': {
        const settings = this.manager.definition(e.unit).loaded.settings?.socket;
        try {
          if (!settings) throw new Error('unit has no socket settings');
          this.sockets.open(e.unit, settings);
        } catch (err) {
          return this.feed({ kind: 'socket-failed', unit: e.unit, token: e.token, error: (err as Error).message });
        }
        return this.feed({ kind: 'socket-opened', unit: e.unit, token: e.token });
      }
      case 'socket-watch':
        return this.sockets.watch(e.unit, e.on);
      case 'socket-close':
        return this.sockets.close(e.unit);
      case 'socket-accept': {
        let c: ReturnType<ListeningSockets['accept']> = null;
        try {
          c = this.sockets.accept(e.unit);
        } catch (err) {
          this.initLog(`${e.unit}: Failed to accept connection: ${(err as Error).message}`, e.unit);
        }
        // Nothing waited after all (another reader took it): watch again.
        if (!c) return this.sockets.watch(e.unit, true);
        return this.feed({ kind: 'socket-accepted', unit: e.unit, token: e.token, ...c });
      }
      case 'connection-close':
        return this.sockets.closeConnection(e.connection);
      case 'log':
        this.record({ unit: e.unit, pid: process.pid, id: 'coracle', stream: 'init', msg: e.message });
        this.opts.echo?.(e.message);
        return;
      case 'changed': {
        const s = this.manager.status(e.unit);
        if (s.activeState === 'inactive' || s.activeState === 'failed') {
          this.notify.close(e.unit);
          clearInterval(this.mainWatch.get(e.unit));
          this.mainWatch.delete(e.unit);
          this.tracker.release(e.unit);
        }
        this.emit('changed', s);
        return;
      }
      case 'timer-stamp': {
        // As systemd: an empty file whose mtime is the last trigger.
        const p = this.stampPath(e.unit);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, '');
        const t = e.usec / 1e6;
        fs.utimesSync(p, t, t);
        return;
      }
      case 'job-done': {
        const list = this.waiters.get(e.job);
        this.waiters.delete(e.job);
        for (const w of list ?? []) w(e.result);
        this.emit('job', e);
        return;
      }
    }
  }

  private stampPath(timer: string): string {
    return path.join(this.machine.root, 'var/lib/systemd/timers', `stamp-${timer}`);
  }

  private timerStamp(timer: string): number | null {
    try {
      return Math.round(fs.statSync(this.stampPath(timer)).mtimeMs * 1000);
    } catch {
      return null;
    }
  }

  private settingsOf(unit: string): ServiceSettings | null {
    return this.manager.definition(unit).loaded.settings?.service ?? null;
  }

  private spawn(e: Extract<Effect, { kind: 'spawn' }>): void {
    const svc = this.settingsOf(e.unit);
    if (!svc) return this.feed({ kind: 'spawn-failed', unit: e.unit, token: e.token, status: 203, error: 'unit has no service settings' });
    const base: Record<string, string> = { CORACLE_ROOT: this.machine.root, ...this.tracker.marker(e.unit) };
    if (svc.type === 'notify' || svc.notifyAccess !== 'none') {
      try {
        base.NOTIFY_SOCKET = this.notify.socketFor(e.unit);
      } catch (err) {
        this.initLog(`${e.unit}: Failed to open the notify socket: ${(err as Error).message}`, e.unit);
      }
    }
    // Socket activation (sd_listen_fds(3)): the listening sockets as fd 3…, LISTEN_FDS, LISTEN_FDNAMES.
    const passed = (e.sockets ?? []).flatMap((u) => this.sockets.fds(u));
    const connFd = e.connection !== undefined ? this.sockets.connectionFd(e.connection) : null;
    if (connFd !== null) passed.push({ fd: connFd, name: 'connection' });
    if (passed.length > 0) {
      base.LISTEN_FDS = String(passed.length);
      base.LISTEN_FDNAMES = passed.map((f) => f.name).join(':');
    }
    if (svc.watchdogUsec > 0 && e.main) base.WATCHDOG_USEC = String(svc.watchdogUsec);
    const prep = prepareExec(e.command, svc, { root: this.machine.root, base, stage: e.env });
    if (!prep.ok) return this.feed({ kind: 'spawn-failed', unit: e.unit, token: e.token, status: prep.status, error: prep.error });
    const p = prep.spawn;
    // LISTEN_PID must be the service's own pid, known only after the fork: a tiny helper sets it and execs the service.
    const [file, args, argv0] = passed.length > 0 ? [listenExecPath(), [p.file, p.argv0, ...p.args], 'listen-exec'] : [p.file, p.args, p.argv0];
    let child: ChildProcess;
    try {
      child = this.tracker.spawnInto(e.unit, () =>
        spawn(file, args, {
          argv0, cwd: p.cwd, env: p.env, detached: true, stdio: ['ignore', 'pipe', 'pipe', ...passed.map((f) => f.fd)],
          ...(p.uid !== undefined ? { uid: p.uid } : {}), ...(p.gid !== undefined ? { gid: p.gid } : {}),
        }),
      );
    } catch (err) {
      return this.feed({ kind: 'spawn-failed', unit: e.unit, token: e.token, status: 203, error: (err as Error).message });
    } finally {
      // The instance has its connection now; the init's copy goes.
      if (e.connection !== undefined) this.sockets.closeConnection(e.connection);
    }
    let reported = false;
    child.on('error', (err) => {
      if (reported) return;
      reported = true;
      this.procs.delete(e.token);
      this.feed({ kind: 'spawn-failed', unit: e.unit, token: e.token, status: 203, error: err.message });
    });
    if (child.pid === undefined) return;
    const pid = child.pid;
    this.procs.set(e.token, { unit: e.unit, pid, child });
    const ident = path.basename(p.argv0);
    this.pipeLines(child.stdout, e.unit, pid, ident, 'stdout');
    this.pipeLines(child.stderr, e.unit, pid, ident, 'stderr');
    child.on('exit', (code, signal) => {
      if (reported) return;
      reported = true;
      this.procs.delete(e.token);
      const exit: ExitInfo = signal !== null ? { code: 'killed', status: signalNumber(signal) } : { code: 'exited', status: code ?? 0 };
      const ev: ShellEvent = { kind: 'exited', unit: e.unit, token: e.token, exit };
      if (e.stage === 'start' && !e.main && svc.type === 'forking') {
        const mainPid = this.forkedMainPid(e.unit, svc);
        ev.mainPid = mainPid;
        if (mainPid !== null) this.watchMain(e.unit, mainPid);
      }
      this.feed(ev);
    });
    this.feed({ kind: 'spawned', unit: e.unit, token: e.token, pid });
  }

  private pipeLines(stream: NodeJS.ReadableStream | null, unit: string, pid: number, id: string, name: 'stdout' | 'stderr'): void {
    if (!stream) return;
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      if (this.closed) return;
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        this.record({ unit, pid, id, stream: name, msg: buf.slice(0, nl) });
        buf = buf.slice(nl + 1);
      }
      // An endless line is cut, as journald does at LineMax.
      if (buf.length > 48 * 1024) {
        this.record({ unit, pid, id, stream: name, msg: buf });
        buf = '';
      }
    });
    stream.on('end', () => {
      if (buf !== '' && !this.closed) this.record({ unit, pid, id, stream: name, msg: buf });
    });
  }

  /** PIDFile= (as the daemon wrote it), else the lone (or oldest) process left in the unit. */
  private forkedMainPid(unit: string, svc: ServiceSettings): number | null {
    if (svc.pidFile) {
      try {
        const n = Number(fs.readFileSync(svc.pidFile, 'utf8').trim());
        if (Number.isInteger(n) && n > 0 && isAlive(n)) return n;
      } catch {
        // fall through to guessing
      }
    }
    const pids = this.tracker.pids(unit).sort((a, b) => a - b);
    return pids[0] ?? null;
  }

  private watchMain(unit: string, pid: number): void {
    clearInterval(this.mainWatch.get(unit));
    const t = setInterval(() => {
      if (isAlive(pid)) return;
      clearInterval(t);
      this.mainWatch.delete(unit);
      this.feed({ kind: 'main-gone', unit, pid });
    }, Math.max(this.pollMs, 100));
    this.mainWatch.set(unit, t);
  }

  private kill(unit: string, who: 'main' | 'control' | 'all', signal: number): void {
    if (who === 'all') {
      this.tracker.kill(unit, signal);
      // Our own children too, in case they slipped out of the group.
      for (const p of this.procs.values()) if (p.unit === unit) signalPid(p.pid, signal);
      return;
    }
    const s = this.manager.status(unit);
    const pid = who === 'main' ? s.mainPid : s.controlPid;
    if (pid !== null) signalPid(pid, signal);
  }

  private watchEmpty(unit: string, token: number): void {
    clearInterval(this.emptyWatch.get(unit));
    const check = (): boolean => {
      for (const p of this.procs.values()) if (p.unit === unit) return false;
      return this.tracker.pids(unit).length === 0;
    };
    const t = setInterval(() => {
      if (!check()) return;
      clearInterval(t);
      this.emptyWatch.delete(unit);
      this.feed({ kind: 'empty', unit, token });
    }, this.pollMs);
    this.emptyWatch.set(unit, t);
  }

  /** Appends to the journal; a journal that cannot be written (disk full) must not take the init down. */
  private record(e: Omit<JournalEntry, 'seq' | 't'>): void {
    try {
      this.journal.append({ t: Date.now() * 1000, ...e });
      this.journalError = null;
    } catch (err) {
      const msg = (err as Error).message;
      if (this.journalError !== msg) process.stderr.write(`coracle node: cannot write the journal: ${msg}\n`);
      this.journalError = msg;
    }
  }

  private initLog(msg: string, unit: string | null = null): void {
    this.record({ unit, pid: process.pid, id: 'coracle', stream: 'init', msg });
    this.opts.echo?.(msg);
  }
}

function signalPid(pid: number, signal: number): void {
  try {
    process.kill(pid, nodeSignal(signal));
  } catch {
    // gone already
  }
}

function signalNumber(name: NodeJS.Signals): number {
  return os.constants.signals[name] ?? 0;
}
