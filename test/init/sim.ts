// A simulated shell for the pure manager: commands are named for what they
// do (/bin/ok exits 0, /bin/fail exits 1, /bin/run keeps running and dies on
// any signal, /bin/stubborn ignores SIGTERM, /bin/notify runs and later says
// READY=1 when told), time is a counter, timers fire when the test advances it.
import { loadUnit, standardSearchPath, type SpecifierContext, type UnitView } from '../../src/units/index.js';
import type { Effect } from '../../src/init/effects.js';
import { Manager } from '../../src/init/manager.js';
import type { ConditionChecker } from '../../src/init/unit.js';

const R = '/r';
const E = `${R}/etc/systemd/system`;
const ctx: SpecifierContext = {
  machineId: '0'.repeat(32), bootId: '1'.repeat(32), hostname: 'h', userName: 'root', uid: 0, groupName: 'root', gid: 0, home: '/root', shell: '/bin/sh',
};

interface Proc { unit: string; token: number; path: string; pid: number; main: boolean }

export class Sim {
  readonly m: Manager;
  readonly log: string[] = [];
  readonly trace: string[] = [];
  readonly jobs = new Map<number, string>();
  private procs: Proc[] = [];
  private timers = new Map<string, { token: number; at: number }>();
  private empties: { unit: string; token: number }[] = [];
  private clock = 0;
  /** Socket units the core asked to watch; `connect` reports readiness on them. */
  readonly watched = new Set<string>();
  readonly openSockets = new Set<string>();
  /** Sockets the main process of each spawn got, by unit, in spawn order. */
  readonly passed: { unit: string; sockets: string[] }[] = [];
  /** Signals sent, as "unit who signal". */
  readonly kills: string[] = [];
  private pid = 100;

  constructor(files: Record<string, string>, check: ConditionChecker = () => true, opts: { clock?: number; lastTrigger?: (t: string) => number | null } = {}) {
    this.clock = opts.clock ?? 0;
    const entries: Record<string, string> = {};
    for (const [n, t] of Object.entries(files)) entries[`${E}/${n}`] = t;
    const view: UnitView = { searchPath: standardSearchPath(R), entries };
    this.m = new Manager({
      load: (name) => ({ loaded: loadUnit(view, name, ctx), linkedWants: [], linkedRequires: [] }),
      check, now: () => this.clock, realtime: () => this.clock,
      ...(opts.lastTrigger ? { lastTrigger: opts.lastTrigger } : {}),
    });
  }

  state(name: string): string {
    const s = this.m.status(name);
    return `${s.activeState}/${s.subState}`;
  }

  /** Applies effects and delivers synchronous reports until nothing is left to do. */
  settle(): void {
    for (let e = this.m.drain(); e.length > 0; e = this.m.drain()) for (const x of e) this.apply(x);
  }

  private apply(e: Effect): void {
    switch (e.kind) {
      case 'spawn': {
        const pid = ++this.pid;
        this.trace.push(`${e.unit} ${e.stage} ${e.command.argv.join(' ')}`);
        if (e.stage === 'start') this.passed.push({ unit: e.unit, sockets: e.sockets ?? [] });
        if (e.command.path === '/bin/missing') {
          this.m.handle({ kind: 'spawn-failed', unit: e.unit, token: e.token, status: 203, error: 'No such file or directory' });
          return;
        }
        this.m.handle({ kind: 'spawned', unit: e.unit, token: e.token, pid });
        const p: Proc = { unit: e.unit, token: e.token, path: e.command.path, pid, main: e.main };
        if (p.path === '/bin/ok') this.m.handle({ kind: 'exited', unit: e.unit, token: e.token, exit: { code: 'exited', status: 0 } });
        else if (p.path === '/bin/fail') this.m.handle({ kind: 'exited', unit: e.unit, token: e.token, exit: { code: 'exited', status: 1 } });
        else if (p.path === '/bin/fork') this.m.handle({ kind: 'exited', unit: e.unit, token: e.token, exit: { code: 'exited', status: 0 }, mainPid: 999 });
        else this.procs.push(p);
        return;
      }
      case 'kill': {
        this.kills.push(`${e.unit} ${e.who} ${e.signal}`);
        for (const p of [...this.procs]) {
          if (p.unit !== e.unit) continue;
          if (e.who === 'main' && !p.main) continue;
          if (e.who === 'control' && p.main) continue;
          if (p.path === '/bin/stubborn' && e.signal !== 9) continue;
          this.exit(p, { code: 'killed', status: e.signal });
        }
        this.checkEmpty();
        return;
      }
      case 'watch-empty':
        this.empties.push({ unit: e.unit, token: e.token });
        this.checkEmpty();
        return;
      case 'timer':
        this.timers.set(e.slot ? `${e.unit}\0${e.slot}` : e.unit, { token: e.token, at: this.clock + e.usec });
        return;
      case 'cancel-timer':
        this.timers.delete(e.slot ? `${e.unit}\0${e.slot}` : e.unit);
        return;
      case 'socket-open':
        if (this.failOpen.has(e.unit)) return this.m.handle({ kind: 'socket-failed', unit: e.unit, token: e.token, error: 'bind: Address already in use' });
        this.openSockets.add(e.unit);
        return this.m.handle({ kind: 'socket-opened', unit: e.unit, token: e.token });
      case 'socket-watch':
        if (e.on) this.watched.add(e.unit);
        else this.watched.delete(e.unit);
        return;
      case 'socket-close':
        this.openSockets.delete(e.unit);
        this.watched.delete(e.unit);
        return;
      case 'socket-accept': case 'connection-close':
        return;
      case 'log':
        this.log.push(e.message);
        return;
      case 'job-done':
        this.jobs.set(e.job, e.result);
        return;
      case 'changed': case 'timer-stamp':
        return;
    }
  }

  /** Sockets whose open fails. */
  readonly failOpen = new Set<string>();

  /** A client connects to `socket`: the core hears of it if it watches the socket. */
  connect(socket: string): boolean {
    if (!this.watched.has(socket)) return false;
    this.watched.delete(socket);
    this.m.handle({ kind: 'socket-ready', unit: socket });
    this.settle();
    return true;
  }

  private exit(p: Proc, exit: { code: 'exited' | 'killed'; status: number }): void {
    this.procs = this.procs.filter((q) => q !== p);
    this.m.handle({ kind: 'exited', unit: p.unit, token: p.token, exit });
  }

  private checkEmpty(): void {
    for (const w of [...this.empties]) {
      if (this.procs.some((p) => p.unit === w.unit)) continue;
      this.empties = this.empties.filter((x) => x !== w);
      this.m.handle({ kind: 'empty', unit: w.unit, token: w.token });
    }
  }

  /** The running process of `unit` exits with `status` (or by a signal). */
  crash(unit: string, exit: { code: 'exited' | 'killed'; status: number }): void {
    const p = this.procs.find((q) => q.unit === unit && q.main);
    if (!p) throw new Error(`no main process for ${unit}`);
    this.exit(p, exit);
    this.checkEmpty();
    this.settle();
  }

  notify(unit: string, fields: Record<string, string>): void {
    this.m.handle({ kind: 'notify', unit, fields });
    this.settle();
  }

  running(unit: string): number {
    return this.procs.filter((p) => p.unit === unit).length;
  }

  /** When the next timer fires, or null. */
  nextTimer(): number | null {
    let at: number | null = null;
    for (const t of this.timers.values()) if (at === null || t.at < at) at = t.at;
    return at;
  }

  now(): number {
    return this.clock;
  }

  /** Moves time to the next timer and fires it. */
  advance(): boolean {
    let next: [string, { token: number; at: number }] | null = null;
    for (const t of this.timers) if (!next || t[1].at < next[1].at) next = t;
    if (!next) return false;
    this.clock = Math.max(this.clock, next[1].at);
    this.timers.delete(next[0]);
    const [unit, slot] = next[0].split('\0');
    this.m.handle({ kind: 'timer', unit: unit!, token: next[1].token, ...(slot === 'watchdog' ? { slot } : {}) });
    this.settle();
    return true;
  }

  start(name: string): number {
    const r = this.m.enqueue('start', name);
    if (!r.ok) throw new Error(r.message);
    this.settle();
    return r.job;
  }

  stop(name: string): number {
    const r = this.m.enqueue('stop', name);
    if (!r.ok) throw new Error(r.message);
    this.settle();
    return r.job;
  }
}
