// A .timer unit's state machine, after systemd 252's timer.c: SubStates dead,
// waiting, running (its unit was started and is still up), elapsed (nothing
// left to wait for), failed. Monotonic bases (OnBootSec=, OnStartupSec=,
// OnActiveSec=, OnUnitActiveSec=, OnUnitInactiveSec=) count from the init's
// start, the timer's activation, or its unit's last activation/deactivation;
// OnCalendar= uses the wall clock; Persistent= catches up a calendar elapse
// missed while the timer was not running, from the stamp the shell keeps.
import { nextElapse, type TimerSettings } from '../units/index.js';
import type { Effect } from './effects.js';
import type { ActiveState, TimerSubState } from './states.js';

export type TimerResult = 'success' | 'resources' | 'start-limit-hit';

export interface TimerContext {
  now(): number;
  realtime(): number;
  utcOffsetSeconds(): number;
  token(): number;
  emit(e: Effect): void;
  changed(name: string): void;
  /** Queue a start of the unit to trigger; false if it cannot be queued. */
  trigger(timer: string, unit: string): boolean;
  /** Persistent=: the wall-clock time of the last trigger, if one was recorded. */
  lastTrigger(timer: string): number | null;
}

export class TimerMachine {
  sub: TimerSubState = 'dead';
  result: TimerResult = 'success';
  /** Next elapse, for status: monotonic and/or realtime µs. */
  nextMonotonic: number | null = null;
  nextRealtime: number | null = null;
  lastTriggerRealtime: number | null = null;
  private lastTriggerMonotonic: number | null = null;
  private activatedAt = 0;
  private unitActiveAt: number | null = null;
  private unitInactiveAt: number | null = null;
  /** One-shot values already fired in this activation, and the times of those still armed. */
  private fired = new Set<string>();
  private oneShots = new Map<string, number>();
  private timerToken = -1;

  constructor(readonly name: string, public settings: TimerSettings, private ctx: TimerContext) {}

  get activeState(): ActiveState {
    if (this.sub === 'dead') return 'inactive';
    if (this.sub === 'failed') return 'failed';
    return 'active';
  }

  start(): void {
    this.result = 'success';
    this.activatedAt = this.ctx.now();
    this.fired.clear();
    this.lastTriggerRealtime = this.ctx.lastTrigger(this.name);
    this.enterWaiting(true);
  }

  stop(): void {
    this.cancel();
    this.set('dead');
  }

  resetFailed(): void {
    if (this.sub === 'failed') {
      this.result = 'success';
      this.set('dead');
    }
  }

  /** The triggered unit changed state. */
  unitChanged(state: ActiveState): void {
    const now = this.ctx.now();
    if (state === 'active' || state === 'activating') {
      if (this.unitActiveAt === null || this.unitInactiveAt !== null) this.unitActiveAt = now;
      this.unitInactiveAt = null;
    } else if (state === 'inactive' || state === 'failed') {
      this.unitInactiveAt = now;
      if (this.sub === 'running') this.enterWaiting(false);
    }
  }

  onTimer(token: number): void {
    if (token !== this.timerToken || this.sub !== 'waiting') return;
    this.timerToken = -1;
    this.elapse();
  }

  private elapse(): void {
    const now = this.ctx.now();
    for (const [key, at] of this.oneShots) if (at <= now) this.fired.add(key);
    this.lastTriggerMonotonic = now;
    this.lastTriggerRealtime = this.ctx.realtime();
    if (this.settings.persistent) this.ctx.emit({ kind: 'timer-stamp', unit: this.name, usec: this.lastTriggerRealtime });
    this.ctx.emit({ kind: 'log', unit: this.name, message: `${this.name}: Triggering ${this.settings.unit}.` });
    if (!this.ctx.trigger(this.name, this.settings.unit)) {
      this.result = 'resources';
      this.ctx.emit({ kind: 'log', unit: this.name, message: `${this.name}: Failed to queue unit startup job for ${this.settings.unit}.` });
      this.set('failed');
      return;
    }
    this.set('running');
  }

  /** timer_enter_waiting(): arm for the soonest elapse of every value; `initial` on activation. */
  private enterWaiting(initial: boolean): void {
    const s = this.settings;
    const now = this.ctx.now();
    const wall = this.ctx.realtime();
    let mono: number | null = null;
    let real: number | null = null;
    this.oneShots.clear();
    const consider = (at: number): void => {
      if (mono === null || at < mono) mono = at;
    };
    // OnBootSec=/OnStartupSec=/OnActiveSec= fire once per activation (past-due ones at once).
    const oneShot = (key: string, at: number): void => {
      if (this.fired.has(key)) return;
      this.oneShots.set(key, at);
      consider(at);
    };
    s.onBootUsec.forEach((v, i) => oneShot(`boot${i}`, v));
    s.onStartupUsec.forEach((v, i) => oneShot(`startup${i}`, v));
    s.onActiveUsec.forEach((v, i) => oneShot(`active${i}`, this.activatedAt + v));
    // OnUnitActiveSec=/OnUnitInactiveSec= count from the unit's last change, else the last trigger; without either they wait.
    const relative = (base: number | null, v: number): void => {
      if (base === null) return;
      const at = base + v;
      if (this.lastTriggerMonotonic !== null && at <= this.lastTriggerMonotonic) return;
      consider(at);
    };
    s.onUnitActiveUsec.forEach((v) => relative(this.unitActiveAt ?? this.lastTriggerMonotonic, v));
    s.onUnitInactiveUsec.forEach((v) => relative(this.unitInactiveAt ?? this.lastTriggerMonotonic, v));
    for (const spec of s.onCalendar) {
      // Persistent=: on activation count from the last recorded trigger, so an elapse missed while down fires now.
      const from = s.persistent && initial && this.lastTriggerRealtime !== null ? this.lastTriggerRealtime : Math.max(wall, this.lastTriggerRealtime ?? 0);
      const at = nextElapse(spec, from, this.ctx.utcOffsetSeconds());
      if (at !== null && (real === null || at < real)) real = at;
    }
    this.nextMonotonic = mono;
    this.nextRealtime = real;
    if (mono === null && real === null) {
      this.cancel();
      this.set('elapsed');
      return;
    }
    const delays: number[] = [];
    if (mono !== null) delays.push(Math.max(0, mono - now));
    if (real !== null) delays.push(Math.max(0, real - wall));
    this.timerToken = this.ctx.token();
    this.ctx.emit({ kind: 'timer', unit: this.name, token: this.timerToken, usec: Math.min(...delays) });
    this.set('waiting');
  }

  private cancel(): void {
    if (this.timerToken === -1) return;
    this.timerToken = -1;
    this.ctx.emit({ kind: 'cancel-timer', unit: this.name });
  }

  private set(sub: TimerSubState): void {
    if (this.sub === sub) return;
    this.sub = sub;
    this.ctx.changed(this.name);
  }
}
