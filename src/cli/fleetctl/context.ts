// What every fleetctl command works with: where it writes, the parsed flags,
// the client (made on first use, as fleetctl's runWrapper does before each
// command), the cached machine list, and fleet's log lines.

import type { FleetClient } from './client.js';
import type { FlagValues } from './flags.js';
import type { MachineInfo } from './format.js';

import type { Io } from '../io.js';
export { type Io, processIo, Exit } from '../io.js';

/** fleetctl's stdout()/stderr() helpers: a newline is added unless there is one. */
export const line = (s: string): string => (s.endsWith('\n') ? s : s + '\n');

/** Go's %v of a []string: `[a b c]`. */
export const goList = (xs: readonly string[]): string => `[${xs.join(' ')}]`;

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** fleet's log line: `2016/12/22 15:22:35 WARN fleetctl.go:674: …` (local time). */
export function logLine(level: 'WARN' | 'INFO' | 'ERROR', where: string, msg: string, now = new Date()): string {
  const d = `${now.getFullYear()}/${pad(now.getMonth() + 1)}/${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  return `${d} ${level} ${where}: ${msg}\n`;
}

export class Ctx {
  private machineCache: Promise<Map<string, MachineInfo>> | undefined;

  constructor(
    readonly io: Io,
    readonly client: FleetClient,
    /** Global and command flags, after the environment was applied. */
    readonly flags: FlagValues,
    readonly command: string,
    readonly env: NodeJS.ProcessEnv,
    readonly cwd: string,
    /** The machine root (--root / CORACLE_ROOT), if any. */
    readonly root: string | undefined,
  ) {}

  out(s: string): void {
    this.io.out(line(s));
  }

  err(s: string): void {
    this.io.err(line(s));
  }

  bool(name: string): boolean {
    return this.flags.get(name) === true;
  }

  int(name: string): number {
    const v = this.flags.get(name);
    return typeof v === 'number' ? v : 0;
  }

  str(name: string): string {
    const v = this.flags.get(name);
    return typeof v === 'string' ? v : '';
  }

  /**
   * fleetctl's cachedMachineState: the machine list is fetched once per run;
   * a failed fetch is not retried and every lookup then finds nothing.
   */
  async cachedMachine(id: string): Promise<MachineInfo | undefined> {
    return (await this.machineMap()).get(id);
  }

  /** The lookup format.ts needs, over the machines fetched so far. */
  async machineLookup(): Promise<(id: string) => MachineInfo | undefined> {
    const cache = await this.machineMap();
    return (id) => cache.get(id);
  }

  /**
   * The one fetch of the machine list. Units waited on together share it, so
   * none looks before it has arrived (Go's fleetctl could: each goroutine saw
   * the empty map another had just made, and printed no machine).
   */
  private machineMap(): Promise<Map<string, MachineInfo>> {
    this.machineCache ??= this.client.machines().then(
      (ms) => new Map(ms.map((m) => [m.id, m])),
      () => new Map(),
    );
    return this.machineCache;
  }
}
