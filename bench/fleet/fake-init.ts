// An in-memory init for the fleet benchmark: start/stop take effect at once,
// so the figures measure fleet (registry, engine, agents), not process spawning.
import type { InitDriver, RuntimeState } from '../../src/fleet/agent/init-driver.js';

export class FakeInit implements InitDriver {
  private readonly units = new Map<string, RuntimeState>();
  private readonly listeners = new Set<(name: string, s: Partial<RuntimeState>) => void>();

  async link(path: string): Promise<void> {
    const name = path.slice(path.lastIndexOf('/') + 1);
    this.units.set(name, { loadState: 'loaded', activeState: 'inactive', subState: 'dead' });
  }
  async enable(): Promise<void> {}
  async disable(name: string): Promise<void> {
    this.units.delete(name);
  }
  async start(name: string): Promise<RuntimeState | undefined> {
    const s = { loadState: 'loaded', activeState: 'active', subState: 'running' };
    this.units.set(name, s);
    for (const l of this.listeners) l(name, s);
    return s;
  }
  async stop(name: string): Promise<RuntimeState | undefined> {
    const s = { loadState: 'loaded', activeState: 'inactive', subState: 'dead' };
    if (this.units.has(name)) this.units.set(name, s);
    return s;
  }
  async resetFailed(): Promise<void> {}
  async states(names: readonly string[]): Promise<Map<string, RuntimeState>> {
    const out = new Map<string, RuntimeState>();
    for (const n of names) {
      const s = this.units.get(n);
      if (s) out.set(n, s);
    }
    return out;
  }
  watch(onChange: (name: string, s: Partial<RuntimeState>) => void, signal: AbortSignal): Promise<void> {
    // state changes are already returned by start/stop; the stream just stays open
    this.listeners.add(onChange);
    return new Promise((resolve) => {
      const done = (): void => {
        this.listeners.delete(onChange);
        resolve();
      };
      if (signal.aborted) done();
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
