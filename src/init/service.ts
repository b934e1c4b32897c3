// One service's state machine, after systemd 252's service.c: the SubStates
// start-pre → start → start-post → running/exited → stop → stop-sigterm →
// stop-sigkill → stop-post → dead/failed (→ auto-restart). Pure: it emits
// effects (spawn, kill, timers, logs) and is driven by the shell's reports.
import { formatTimespan, type ExecCommand, type ServiceSettings } from '../units/index.js';
import type { Effect, ExecStage, ShellEvent } from './effects.js';
import {
  isCleanExit, resultOfExit, serviceActiveState, shallRestart, SYSTEMD_EXIT_NAMES,
  type ActiveState, type ExitInfo, type ServiceResult, type ServiceSubState,
} from './states.js';
import { signalName } from './signals.js';

export interface MachineContext {
  /** Monotonic time in microseconds. */
  now(): number;
  token(): number;
  emit(e: Effect): void;
  /** The service changed state (the manager settles jobs and dependents). */
  changed(name: string): void;
  /** RestartSec= elapsed in auto-restart: the manager queues the restart job. */
  autoRestart(name: string): void;
}

/** "code=exited, status=1/FAILURE" / "code=killed, status=15/TERM", as systemctl prints them. */
export function describeExit(exit: ExitInfo): string {
  if (exit.code === 'exited') {
    const n = SYSTEMD_EXIT_NAMES[exit.status];
    return `code=exited, status=${exit.status}${n ? `/${n}` : ''}`;
  }
  return `code=${exit.code}, status=${exit.status}/${signalName(exit.status).replace(/^SIG/, '')}`;
}

type Continuation = (ok: boolean, result: ServiceResult) => void;

export class ServiceMachine {
  sub: ServiceSubState = 'dead';
  result: ServiceResult = 'success';
  mainPid: number | null = null;
  /** The pid of the last main process, kept after it exits (ExecMainPID). */
  execMainPid: number | null = null;
  controlPid: number | null = null;
  /** The main process's last exit (ExecMainCode/ExecMainStatus). */
  mainExit: ExitInfo | null = null;
  /** STATUS= from sd_notify. */
  statusText = '';
  nRestarts = 0;

  private mainAlive = false;
  private controlRunning = false;
  private mainToken = -1;
  private controlToken = -1;
  private timerToken = -1;
  private emptyToken = -1;
  private waitingEmpty = false;
  /** KillMode=mixed: whether the rest of the group has had its SIGKILL. */
  private restKilled = true;
  private startTimes: number[] = [];
  private watchdogToken = -1;
  /** The last control process's exit (ExecCondition= tells skip from failure by it). */
  private lastControlExit: ExitInfo | null = null;
  private explicitStop = false;
  private runningList: { stage: ExecStage; list: ExecCommand[]; index: number; main: boolean; env: Record<string, string>; cont: Continuation } | null = null;

  constructor(readonly name: string, public svc: ServiceSettings, private startLimit: { intervalUsec: number; burst: number }, private ctx: MachineContext) {}

  get activeState(): ActiveState {
    return serviceActiveState(this.sub);
  }

  setSettings(svc: ServiceSettings, startLimit: { intervalUsec: number; burst: number }): void {
    this.svc = svc;
    this.startLimit = startLimit;
  }

  /**
   * Begins a start from dead/failed/auto-restart. Returns false when the
   * start limit is hit (the unit is then failed with start-limit-hit).
   */
  start(): boolean {
    const now = this.ctx.now();
    if (this.startLimit.intervalUsec > 0 && this.startLimit.burst > 0) {
      this.startTimes = this.startTimes.filter((t) => now - t < this.startLimit.intervalUsec);
      if (this.startTimes.length >= this.startLimit.burst) {
        this.log('Start request repeated too quickly.');
        this.result = 'start-limit-hit';
        this.mainPid = null;
        this.set('failed');
        this.log("Failed with result 'start-limit-hit'.");
        return false;
      }
      this.startTimes.push(now);
    }
    if (this.sub === 'auto-restart') this.nRestarts++;
    this.result = 'success';
    this.explicitStop = false;
    this.mainExit = null;
    this.mainPid = null;
    this.statusText = '';
    this.enterCondition();
    return true;
  }

  /** reset-failed: forget the failure and the start-limit history. */
  resetFailed(): void {
    this.startTimes = [];
    if (this.sub === 'failed') {
      this.result = 'success';
      this.set('dead');
    }
  }

  stop(): void {
    this.explicitStop = true;
    switch (this.sub) {
      case 'dead': case 'failed': return;
      case 'auto-restart':
        this.cancelTimer();
        this.set('dead');
        return;
      case 'condition': case 'start-pre': case 'start':
        this.enterSignal('stop-sigterm', 'success');
        return;
      case 'start-post': case 'running': case 'exited': case 'reload':
        this.enterStop('success');
        return;
      default:
        return; // already stopping
    }
  }

  /** Runs ExecReload=; false when the service has none (reload not applicable). */
  reload(): boolean {
    if (this.svc.execReload.length === 0) return false;
    if (this.sub !== 'running' && this.sub !== 'exited') return true;
    this.set('reload');
    this.armTimer(this.svc.timeoutStartUsec);
    this.runList('reload', this.svc.execReload, false, this.mainEnv(), (ok, r) => {
      if (!ok) this.log(`Reload failed with result '${r}'.`);
      this.enterRunning('success');
    });
    return true;
  }

  handle(ev: ShellEvent): void {
    switch (ev.kind) {
      case 'spawned':
        if (ev.token === this.mainToken) {
          this.mainPid = ev.pid;
          this.execMainPid = ev.pid;
          this.mainAlive = true;
          this.resetWatchdog();
          if (this.sub === 'start' && (this.svc.type === 'simple' || this.svc.type === 'exec' || this.svc.type === 'idle' || this.svc.type === 'dbus')) this.enterStartPost();
          else this.ctx.changed(this.name);
        } else if (ev.token === this.controlToken) {
          this.controlPid = ev.pid;
        }
        return;
      case 'spawn-failed':
        this.log(`Failed to execute ${this.commandOf(ev.token) ?? 'command'}: ${ev.error}`);
        if (ev.token === this.mainToken && this.sub === 'start' && (this.svc.type === 'simple' || this.svc.type === 'idle' || this.svc.type === 'dbus')) {
          // Type=simple counts as started once forked, so the start succeeds and the exec failure
          // then fails the unit (systemd.service(5): "systemctl start … will report success").
          this.mainAlive = true;
          this.enterStartPost();
        }
        this.handle({ kind: 'exited', unit: ev.unit, token: ev.token, exit: { code: 'exited', status: ev.status } });
        return;
      case 'exited':
        if (ev.token === this.mainToken && this.mainToken !== -1) this.onMainExit(ev.exit, ev.token);
        else if (ev.token === this.controlToken && this.controlToken !== -1) this.onControlExit(ev.exit, ev.mainPid ?? null);
        this.checkStopDone();
        return;
      case 'main-gone':
        if (this.mainPid === ev.pid && this.mainAlive && this.mainToken === -1) {
          // A forked daemon (not our child): its status cannot be read; count it as a clean exit.
          this.mainAlive = false;
          this.log('Main process exited, status unknown (not a child of the init).');
          if (this.sub === 'running') this.enterRunning('success');
          this.checkStopDone();
        }
        return;
      case 'notify':
        this.onNotify(ev.fields);
        return;
      case 'empty':
        if (ev.token === this.emptyToken && this.waitingEmpty) {
          this.waitingEmpty = false;
          this.checkStopDone();
        }
        return;
      case 'timer':
        if (ev.slot === 'watchdog') {
          if (ev.token === this.watchdogToken) {
            this.watchdogToken = -1;
            this.onWatchdog();
          }
          return;
        }
        if (ev.token === this.timerToken) {
          this.timerToken = -1;
          this.onTimeout();
        }
        return;
    }
  }

  // --- states -------------------------------------------------------------

  /** ExecCondition=: exit 0 goes on, 1–254 skips the unit (not a failure), 255 or a signal fails it. */
  private enterCondition(): void {
    if (this.svc.execCondition.length === 0) return this.enterStartPre();
    this.set('condition');
    this.armTimer(this.svc.timeoutStartUsec);
    this.lastControlExit = null;
    this.runList('condition', this.svc.execCondition, false, {}, (ok, r) => {
      if (ok) return this.enterStartPre();
      const e = this.lastControlExit;
      if (e && e.code === 'exited' && e.status >= 1 && e.status <= 254) {
        this.result = 'exec-condition';
        this.enterSignal('stop-sigterm', 'exec-condition');
        return;
      }
      this.enterSignal('stop-sigterm', r);
    });
  }

  private enterStartPre(): void {
    this.set('start-pre');
    this.armTimer(this.svc.timeoutStartUsec);
    this.runList('start-pre', this.svc.execStartPre, false, {}, (ok, r) => (ok ? this.enterStart() : this.enterSignal('stop-sigterm', r)));
  }

  private enterStart(): void {
    this.set('start');
    const svc = this.svc;
    if (svc.type === 'oneshot') {
      // Several ExecStart= run one after another, each as the main process.
      this.runList('start', svc.execStart, true, {}, (ok, r) => (ok ? this.enterStartPost() : this.enterSignal('stop-sigterm', r)));
      return;
    }
    if (svc.type === 'forking') {
      // The parent is a control process; the daemon it leaves is the main process.
      this.runList('start', svc.execStart, false, {}, (ok, r) => (ok ? this.enterStartPost() : this.enterSignal('stop-sigterm', r)));
      return;
    }
    const cmd = svc.execStart[0]!;
    this.mainToken = this.ctx.token();
    this.ctx.emit({ kind: 'spawn', unit: this.name, token: this.mainToken, stage: 'start', command: cmd, main: true, env: {} });
  }

  private enterStartPost(): void {
    this.set('start-post');
    this.runList('start-post', this.svc.execStartPost, false, this.mainEnv(), (ok, r) => (ok ? this.enterRunning('success') : this.enterStop(r)));
  }

  private enterRunning(f: ServiceResult): void {
    if (this.result === 'success') this.result = f;
    if (this.result !== 'success') this.enterSignal('stop-sigterm', f);
    else if (this.mainAlive) {
      this.cancelTimer();
      this.set('running');
    } else if (this.svc.remainAfterExit) {
      this.cancelTimer();
      this.set('exited');
    } else this.enterStop('success');
  }

  private enterStop(f: ServiceResult): void {
    if (this.result === 'success') this.result = f;
    this.set('stop');
    this.armTimer(this.svc.timeoutStopUsec);
    this.runList('stop', this.svc.execStop, false, this.mainEnv(), (ok, r) => this.enterSignal('stop-sigterm', ok ? 'success' : r));
  }

  private enterSignal(state: 'stop-sigterm' | 'stop-sigkill' | 'stop-watchdog', f: ServiceResult): void {
    if (this.result === 'success') this.result = f;
    this.runningList = null;
    this.cancelWatchdog();
    const mode = this.svc.killMode;
    // WatchdogSignal= defaults to SIGABRT (systemd.kill(5)).
    const sig = state === 'stop-sigterm' ? this.svc.killSignal : state === 'stop-watchdog' ? 6 : 9;
    this.set(state);
    this.armTimer(this.svc.timeoutStopUsec);
    if (this.controlRunning) this.ctx.emit({ kind: 'kill', unit: this.name, who: 'control', signal: sig });
    if (mode === 'control-group' || (mode === 'mixed' && state === 'stop-sigkill')) {
      this.ctx.emit({ kind: 'kill', unit: this.name, who: 'all', signal: sig });
    } else if (mode !== 'none' && this.mainAlive) {
      this.ctx.emit({ kind: 'kill', unit: this.name, who: 'main', signal: sig });
    }
    // mixed: the rest of the group gets SIGKILL once the main process is gone (checkStopDone).
    this.restKilled = mode !== 'mixed' || state === 'stop-sigkill';
    if (mode === 'control-group' || (mode === 'mixed' && this.restKilled)) this.watchEmpty();
    else this.waitingEmpty = false;
    this.checkStopDone();
  }

  private watchEmpty(): void {
    this.waitingEmpty = true;
    this.emptyToken = this.ctx.token();
    this.ctx.emit({ kind: 'watch-empty', unit: this.name, token: this.emptyToken });
  }

  /** In stop-sigterm/stop-sigkill: move on once what we wait for is gone. */
  private checkStopDone(): void {
    if (this.sub !== 'stop-sigterm' && this.sub !== 'stop-sigkill' && this.sub !== 'stop-watchdog') return;
    const mode = this.svc.killMode;
    const mainMatters = mode !== 'none' && this.mainAlive && this.mainToken !== -1;
    if (this.waitingEmpty || mainMatters || this.controlRunning) return;
    if (!this.restKilled) {
      this.restKilled = true;
      this.ctx.emit({ kind: 'kill', unit: this.name, who: 'all', signal: 9 });
      this.watchEmpty();
      return;
    }
    this.enterStopPost('success');
  }

  private enterStopPost(f: ServiceResult): void {
    if (this.result === 'success') this.result = f;
    this.set('stop-post');
    this.armTimer(this.svc.timeoutStopUsec);
    const exit = this.mainExit;
    const env: Record<string, string> = { SERVICE_RESULT: this.result };
    if (exit) {
      env.EXIT_CODE = exit.code;
      env.EXIT_STATUS = exit.code === 'exited' ? String(exit.status) : signalName(exit.status).replace(/^SIG/, '');
    }
    this.runList('stop-post', this.svc.execStopPost, false, env, () => this.enterDead('success'));
  }

  private enterDead(f: ServiceResult): void {
    if (this.result === 'success') this.result = f;
    this.cancelTimer();
    this.cancelWatchdog();
    this.runningList = null;
    // Leftovers of ExecStopPost= go too (systemd's final-sigkill).
    if (this.svc.killMode === 'control-group' || this.svc.killMode === 'mixed') this.ctx.emit({ kind: 'kill', unit: this.name, who: 'all', signal: 9 });
    this.mainPid = null;
    this.controlPid = null;
    this.mainToken = -1;
    this.mainAlive = false;
    if (this.result === 'success') this.log('Deactivated successfully.');
    else if (this.result === 'exec-condition') this.log("Skipped due to 'exec-condition'.");
    else this.log(`Failed with result '${this.result}'.`);
    if (!this.explicitStop && shallRestart(this.svc.restart, this.result, this.mainExit, this.svc.restartPreventExitStatus, this.svc.restartForceExitStatus)) {
      this.set('auto-restart');
      this.armTimer(this.svc.restartUsec);
      return;
    }
    // A skip by ExecCondition= is not a failure: the unit is simply inactive.
    this.set(this.result === 'success' || this.result === 'exec-condition' ? 'dead' : 'failed');
  }

  private onTimeout(): void {
    switch (this.sub) {
      case 'condition': case 'start-pre': case 'start': case 'start-post':
        this.log(`${this.sub === 'start' ? 'start' : this.sub} operation timed out. Terminating.`);
        this.enterSignal('stop-sigterm', 'timeout');
        return;
      case 'reload':
        this.log('Reload operation timed out. Killing reload process.');
        if (this.controlRunning) this.ctx.emit({ kind: 'kill', unit: this.name, who: 'control', signal: 9 });
        this.runningList = null;
        this.controlToken = -1;
        this.controlRunning = false;
        this.enterRunning('success');
        return;
      case 'stop':
        this.log('Stopping timed out. Terminating.');
        this.enterSignal('stop-sigterm', 'timeout');
        return;
      case 'stop-watchdog':
        this.log("State 'stop-watchdog' timed out. Killing.");
        this.enterSignal('stop-sigkill', 'timeout');
        return;
      case 'stop-sigterm':
        if (this.svc.sendSIGKILL) {
          this.log("State 'stop-sigterm' timed out. Killing.");
          this.enterSignal('stop-sigkill', 'timeout');
        } else {
          this.log("State 'stop-sigterm' timed out. Skipping SIGKILL.");
          this.forgetProcesses();
          this.enterStopPost('timeout');
        }
        return;
      case 'stop-sigkill':
        this.log('Processes still around after SIGKILL. Ignoring.');
        this.forgetProcesses();
        this.enterStopPost('timeout');
        return;
      case 'stop-post':
        this.log("State 'stop-post' timed out. Terminating.");
        this.forgetProcesses();
        this.enterDead('timeout');
        return;
      case 'auto-restart':
        this.log(`Scheduled restart job, restart counter is at ${this.nRestarts + 1}.`);
        this.ctx.autoRestart(this.name);
        return;
      default:
        return;
    }
  }

  // --- processes ----------------------------------------------------------

  private onMainExit(exit: ExitInfo, token: number): void {
    this.mainExit = exit;
    this.mainAlive = false;
    this.mainToken = this.svc.type === 'oneshot' ? token : -1;
    const clean = isCleanExit(exit, this.svc);
    const cmd = this.runningList?.main ? this.runningList.list[this.runningList.index] : this.svc.execStart[0];
    const ignored = cmd?.ignoreFailure ?? false;
    // systemd logs a clean exit at debug level only.
    if (!clean) this.log(`Main process exited, ${describeExit(exit)}`);
    const f: ServiceResult = clean || ignored ? 'success' : resultOfExit(exit, this.svc);
    if (this.runningList?.main) {
      this.mainToken = -1;
      this.advance(f === 'success', f);
      return;
    }
    switch (this.sub) {
      case 'start':
        // simple/exec move on at spawn; here notify (no READY=1 yet) or an exec failure.
        if (this.svc.type === 'notify' && f === 'success') this.enterSignal('stop-sigterm', 'protocol');
        else if (f === 'success') this.enterStartPost();
        else this.enterSignal('stop-sigterm', f);
        return;
      case 'start-post': case 'reload':
        if (this.result === 'success') this.result = f;
        return;
      case 'running':
        this.enterRunning(f);
        return;
      default:
        if (this.result === 'success' && !this.explicitStop) this.result = f;
        this.ctx.changed(this.name);
    }
  }

  private onControlExit(exit: ExitInfo, forkedMain: number | null): void {
    this.lastControlExit = exit;
    this.controlRunning = false;
    this.controlPid = null;
    this.controlToken = -1;
    if (!this.runningList) return;
    const cmd = this.runningList.list[this.runningList.index]!;
    const clean = isCleanExit(exit, { type: 'oneshot', successExitStatus: this.svc.successExitStatus });
    if (!clean) this.log(`${cmd.ignoreFailure ? 'Control process exited (ignored)' : 'Control process exited'}, ${describeExit(exit)}`);
    const ok = clean || cmd.ignoreFailure;
    if (ok && this.runningList.stage === 'start' && this.svc.type === 'forking') {
      this.mainPid = forkedMain;
      this.execMainPid = forkedMain;
      this.mainAlive = forkedMain !== null;
      if (forkedMain === null) this.log('New main PID could not be determined.');
      else this.resetWatchdog();
    }
    this.advance(ok, ok ? 'success' : resultOfExit(exit, { type: 'oneshot', successExitStatus: this.svc.successExitStatus }));
  }

  private advance(ok: boolean, r: ServiceResult): void {
    const run = this.runningList!;
    if (!ok) {
      this.runningList = null;
      run.cont(false, r);
      return;
    }
    run.index++;
    this.spawnCurrent();
  }

  /** Runs `list` one command at a time; `cont` gets the outcome. An empty list succeeds at once. */
  private runList(stage: ExecStage, list: ExecCommand[], main: boolean, env: Record<string, string>, cont: Continuation): void {
    this.runningList = { stage, list, index: 0, main, env, cont };
    this.spawnCurrent();
  }

  private spawnCurrent(): void {
    const run = this.runningList!;
    const cmd = run.list[run.index];
    if (!cmd) {
      this.runningList = null;
      run.cont(true, 'success');
      return;
    }
    const token = this.ctx.token();
    if (run.main) this.mainToken = token;
    else {
      this.controlToken = token;
      this.controlRunning = true;
    }
    this.ctx.emit({ kind: 'spawn', unit: this.name, token, stage: run.stage, command: cmd, main: run.main, env: run.env });
  }

  private commandOf(token: number): string | null {
    if (token === this.controlToken || token === this.mainToken) {
      const cmd = this.runningList ? this.runningList.list[this.runningList.index] : this.svc.execStart[0];
      return cmd?.path ?? null;
    }
    return null;
  }

  private onNotify(fields: Record<string, string>): void {
    if (fields.MAINPID && /^\d+$/.test(fields.MAINPID)) this.mainPid = Number(fields.MAINPID);
    if (fields.STATUS !== undefined) {
      this.statusText = fields.STATUS;
      this.ctx.changed(this.name);
    }
    if (fields.WATCHDOG === '1') this.resetWatchdog();
    if (fields.WATCHDOG === 'trigger' && this.watchdogToken !== -1) {
      this.cancelWatchdog();
      this.onWatchdog();
      return;
    }
    if (fields.READY === '1' && this.sub === 'start' && this.svc.type === 'notify') this.enterStartPost();
  }

  // --- watchdog -------------------------------------------------------------

  /** WatchdogSec=: (re)arm while the main process lives; each WATCHDOG=1 starts the wait again. */
  private resetWatchdog(): void {
    if (this.svc.watchdogUsec <= 0 || !this.mainAlive) return;
    if (!['start', 'start-post', 'running', 'reload'].includes(this.sub)) return;
    this.watchdogToken = this.ctx.token();
    this.ctx.emit({ kind: 'timer', unit: this.name, token: this.watchdogToken, usec: this.svc.watchdogUsec, slot: 'watchdog' });
  }

  private cancelWatchdog(): void {
    if (this.watchdogToken === -1) return;
    this.watchdogToken = -1;
    this.ctx.emit({ kind: 'cancel-timer', unit: this.name, slot: 'watchdog' });
  }

  private onWatchdog(): void {
    if (!this.mainAlive || !['start', 'start-post', 'running', 'reload'].includes(this.sub)) return;
    this.log(`Watchdog timeout (limit ${formatTimespan(this.svc.watchdogUsec)})!`);
    this.enterSignal('stop-watchdog', 'watchdog');
  }

  /** Give up on processes that will not die, so the unit can settle. */
  private forgetProcesses(): void {
    this.waitingEmpty = false;
    this.mainAlive = false;
    this.mainToken = -1;
    this.controlRunning = false;
    this.controlToken = -1;
  }

  private mainEnv(): Record<string, string> {
    return this.mainPid !== null && this.mainAlive ? { MAINPID: String(this.mainPid) } : {};
  }

  private armTimer(usec: number): void {
    if (!Number.isFinite(usec)) {
      this.cancelTimer();
      return;
    }
    this.timerToken = this.ctx.token();
    this.ctx.emit({ kind: 'timer', unit: this.name, token: this.timerToken, usec });
  }

  private cancelTimer(): void {
    if (this.timerToken === -1) return;
    this.timerToken = -1;
    this.ctx.emit({ kind: 'cancel-timer', unit: this.name });
  }

  private set(sub: ServiceSubState): void {
    if (this.sub === sub) return;
    this.sub = sub;
    this.ctx.changed(this.name);
  }

  private log(message: string): void {
    this.ctx.emit({ kind: 'log', unit: this.name, message: `${this.name}: ${message}` });
  }
}
