// A .socket unit's state machine, after systemd 252's socket.c, for the
// settings coracle serves (ListenStream=, ListenDatagram=, Accept=, Service=):
// SubStates dead → start-pre (the shell opens the sockets) → listening →
// running (its service is up and owns the traffic) → listening again when
// the service goes, and failed. The sockets stay open the whole time, so
// connections made while the service is down or restarting wait in the
// kernel's queue. Pure: the shell opens, watches and closes the fds.
import type { SocketSettings } from '../units/index.js';
import type { Effect } from './effects.js';
import type { ActiveState, SocketSubState } from './states.js';

export type SocketResult = 'success' | 'resources' | 'trigger-limit-hit' | 'service-start-limit-hit';

export interface SocketContext {
  now(): number;
  token(): number;
  emit(e: Effect): void;
  changed(name: string): void;
  /** Whether a stop of the socket is queued (then a waiting connection starts nothing). */
  stopPending(name: string): boolean;
  /** The service's state when it has no job (its start already ended), else null. */
  serviceSettled(service: string): { state: ActiveState; result: string | null } | null;
  /** Queue a start of the service; false if it cannot be queued. */
  trigger(socket: string, service: string): boolean;
  /** Accept=yes: start an instance of the service for one accepted connection. */
  triggerInstance(socket: string, connection: number, local: string, remote: string, n: number): boolean;
}

export class SocketMachine {
  sub: SocketSubState = 'dead';
  result: SocketResult = 'success';
  /** Accept=yes: connections accepted so far, and those whose instance still runs. */
  nAccepted = 0;
  nConnections = 0;
  private openToken = -1;
  private acceptToken = -1;
  private triggers: number[] = [];

  constructor(readonly name: string, public settings: SocketSettings, readonly service: string, private ctx: SocketContext) {}

  get activeState(): ActiveState {
    switch (this.sub) {
      case 'dead': return 'inactive';
      case 'failed': return 'failed';
      case 'start-pre': return 'activating';
      default: return 'active';
    }
  }

  start(): void {
    this.result = 'success';
    this.triggers = [];
    this.openToken = this.ctx.token();
    this.set('start-pre');
    this.ctx.emit({ kind: 'socket-open', unit: this.name, token: this.openToken });
  }

  stop(): void {
    if (this.sub === 'dead' || this.sub === 'failed') return;
    this.openToken = -1;
    this.acceptToken = -1;
    this.ctx.emit({ kind: 'socket-close', unit: this.name });
    this.set('dead');
  }

  resetFailed(): void {
    if (this.sub === 'failed') {
      this.result = 'success';
      this.set('dead');
    }
  }

  opened(token: number): void {
    if (token !== this.openToken || this.sub !== 'start-pre') return;
    this.openToken = -1;
    this.enterListening();
  }

  openFailed(token: number, error: string): void {
    if (token !== this.openToken) return;
    this.openToken = -1;
    this.log(`Failed to create listening socket (${error}).`);
    this.fail('resources');
  }

  /** A connection or datagram waits on one of the sockets. */
  ready(): void {
    if (this.sub !== 'listening' || this.ctx.stopPending(this.name)) return;
    if (!this.withinTriggerLimit()) return;
    if (this.settings.accept) {
      this.acceptToken = this.ctx.token();
      this.ctx.emit({ kind: 'socket-accept', unit: this.name, token: this.acceptToken });
      return;
    }
    if (!this.ctx.trigger(this.name, this.service)) {
      this.log(`Failed to queue service startup job for ${this.service}.`);
      this.fail('resources');
      return;
    }
    this.ctx.emit({ kind: 'socket-watch', unit: this.name, on: false });
    this.set('running');
    // The start may have ended at once without a change of state (a failed service refused by its start limit).
    const settled = this.ctx.serviceSettled(this.service);
    if (settled) this.serviceChanged(settled.state, settled.result);
  }

  /** Accept=yes: the shell accepted a connection (held under `connection`). */
  accepted(token: number, connection: number, local: string, remote: string): void {
    if (token !== this.acceptToken || this.sub !== 'listening') {
      this.ctx.emit({ kind: 'connection-close', unit: this.name, connection });
      return;
    }
    this.acceptToken = -1;
    const n = this.nAccepted++;
    if (this.ctx.triggerInstance(this.name, connection, local, remote, n)) this.nConnections++;
    else this.ctx.emit({ kind: 'connection-close', unit: this.name, connection });
    this.ctx.changed(this.name);
    this.ctx.emit({ kind: 'socket-watch', unit: this.name, on: true });
  }

  /** Accept=yes: an instance this socket started has ended. */
  connectionEnded(): void {
    if (this.nConnections > 0) this.nConnections--;
    this.ctx.changed(this.name);
  }

  /**
   * The service it triggers changed state: while the service is up the
   * socket is `running` and not watched (the service accepts); when the
   * service is gone it listens again, and a connection that queued in the
   * meantime starts it at once.
   */
  serviceChanged(state: ActiveState, serviceResult: string | null): void {
    if (this.settings.accept) return;
    if (state === 'active' || state === 'activating' || state === 'reloading' || state === 'deactivating') {
      if (this.sub === 'listening') {
        this.ctx.emit({ kind: 'socket-watch', unit: this.name, on: false });
        this.set('running');
      }
      return;
    }
    if (this.sub !== 'running') return;
    if (state === 'failed' && serviceResult === 'start-limit-hit') {
      this.log(`Failed with result 'service-start-limit-hit'.`);
      this.fail('service-start-limit-hit');
      return;
    }
    this.enterListening();
  }

  private enterListening(): void {
    this.set('listening');
    this.ctx.emit({ kind: 'socket-watch', unit: this.name, on: true });
  }

  /** TriggerLimitIntervalSec=/TriggerLimitBurst=: a service that never takes its connections must not spin. */
  private withinTriggerLimit(): boolean {
    const burst = this.settings.triggerLimitBurst ?? (this.settings.accept ? 200 : 20);
    const interval = this.settings.triggerLimitIntervalUsec;
    if (interval <= 0 || burst <= 0) return true;
    const now = this.ctx.now();
    this.triggers = this.triggers.filter((t) => now - t < interval);
    if (this.triggers.length >= burst) {
      this.log('Trigger limit hit, refusing further activation.');
      this.fail('trigger-limit-hit');
      return false;
    }
    this.triggers.push(now);
    return true;
  }

  private fail(result: SocketResult): void {
    this.result = result;
    this.ctx.emit({ kind: 'socket-close', unit: this.name });
    this.set('failed');
    if (result !== 'service-start-limit-hit') this.log(`Failed with result '${result}'.`);
  }

  private set(sub: SocketSubState): void {
    if (this.sub === sub) return;
    this.sub = sub;
    this.ctx.changed(this.name);
  }

  private log(message: string): void {
    this.ctx.emit({ kind: 'log', unit: this.name, message: `${this.name}: ${message}` });
  }
}
