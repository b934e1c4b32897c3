// What the agent needs from the machine's init (fleet used systemd over
// D-Bus), and its implementation over coracle's init control socket.

import { InitClient, unitPath } from '../../init/client.js';

export interface RuntimeState {
  loadState: string;
  activeState: string;
  subState: string;
}

export interface InitDriver {
  /** Links a unit file from outside the unit dirs (runtime), then reloads. */
  link(path: string): Promise<void>;
  /** `systemctl enable --runtime` (units with [Install]). */
  enable(name: string): Promise<void>;
  /** `systemctl disable --runtime`: also undoes link. */
  disable(name: string): Promise<void>;
  /** Starts and waits for the job; returns the unit's state after it. */
  start(name: string): Promise<RuntimeState | undefined>;
  stop(name: string): Promise<RuntimeState | undefined>;
  resetFailed(name: string): Promise<void>;
  /** Current states of the named units (missing ones are absent). */
  states(names: readonly string[]): Promise<Map<string, RuntimeState>>;
  /** Streams state changes until the signal aborts or the init goes away. */
  watch(onChange: (name: string, s: Partial<RuntimeState>) => void, signal: AbortSignal): Promise<void>;
  /** The init's full unit detail JSON (for `fleetctl status`). */
  detail?(name: string): Promise<{ status: number; body: unknown }>;
  /** Journal entries for the init's /v1/journal query (unit, lines, since, follow), for `fleetctl journal`. */
  journal?(query: URLSearchParams, onEntry: (e: unknown) => void, signal: AbortSignal): Promise<void>;
}

interface UnitStatusJSON {
  name: string;
  loadState: string;
  activeState: string;
  subState: string;
}

export class InitError extends Error {
  constructor(what: string, status: number, body: unknown) {
    const msg = typeof body === 'object' && body !== null && 'message' in body ? String((body as { message: unknown }).message) : JSON.stringify(body);
    super(`${what}: init answered ${status}: ${msg}`);
    this.name = 'InitError';
  }
}

function runtime(u: UnitStatusJSON | undefined): RuntimeState | undefined {
  return u === undefined ? undefined : { loadState: u.loadState, activeState: u.activeState, subState: u.subState };
}

export class SocketInitDriver implements InitDriver {
  readonly client: InitClient;

  constructor(root: string) {
    this.client = InitClient.forRoot(root);
  }

  private async post<T>(what: string, path: string, body?: unknown, okStatuses: number[] = [200]): Promise<T> {
    const r = await this.client.request<T>('POST', path, body);
    if (!okStatuses.includes(r.status)) throw new InitError(what, r.status, r.body);
    return r.body;
  }

  async link(path: string): Promise<void> {
    await this.post('link ' + path, '/v1/link', { path, runtime: true });
  }

  async enable(name: string): Promise<void> {
    await this.post('enable ' + name, unitPath(name, 'enable') + '?runtime=1');
  }

  async disable(name: string): Promise<void> {
    await this.post('disable ' + name, unitPath(name, 'disable') + '?runtime=1', undefined, [200, 404]);
  }

  async start(name: string): Promise<RuntimeState | undefined> {
    const body = await this.post<{ unit?: UnitStatusJSON }>('start ' + name, unitPath(name, 'start'));
    return runtime(body.unit);
  }

  async stop(name: string): Promise<RuntimeState | undefined> {
    const body = await this.post<{ unit?: UnitStatusJSON }>('stop ' + name, unitPath(name, 'stop'), undefined, [200, 404]);
    return runtime(body.unit);
  }

  async resetFailed(name: string): Promise<void> {
    await this.post('reset-failed ' + name, unitPath(name, 'reset-failed'), undefined, [200, 404]);
  }

  async states(names: readonly string[]): Promise<Map<string, RuntimeState>> {
    const out = new Map<string, RuntimeState>();
    // bounded URL length: ask in chunks
    for (let i = 0; i < names.length; i += 100) {
      const chunk = names.slice(i, i + 100);
      const q = chunk.map((n) => `name=${encodeURIComponent(n)}`).join('&');
      const r = await this.client.request<{ units?: UnitStatusJSON[] }>('GET', `/v1/units?${q}`);
      if (r.status !== 200) throw new InitError('list units', r.status, r.body);
      for (const u of r.body.units ?? []) out.set(u.name, runtime(u)!);
    }
    return out;
  }

  async watch(onChange: (name: string, s: Partial<RuntimeState>) => void, signal: AbortSignal): Promise<void> {
    // the stream does not always settle when aborted mid-response: stop waiting at the abort
    const aborted = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    const stream = this.client.stream<{ unit: string; activeState?: string; subState?: string }>(
      '/v1/events',
      (ev) => {
        const s: Partial<RuntimeState> = {};
        if (ev.activeState !== undefined) s.activeState = ev.activeState;
        if (ev.subState !== undefined) s.subState = ev.subState;
        onChange(ev.unit, s);
      },
      signal,
    );
    await Promise.race([stream, aborted]);
  }

  async detail(name: string): Promise<{ status: number; body: unknown }> {
    return this.client.request('GET', unitPath(name));
  }

  async journal(query: URLSearchParams, onEntry: (e: unknown) => void, signal: AbortSignal): Promise<void> {
    const q = query.toString();
    const aborted = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.race([this.client.stream(`/v1/journal?${q}`, onEntry, signal), aborted]);
  }
}
