// Finds every process of a unit, wherever it forked or setsid'd to. With a
// writable cgroup v1 hierarchy (the pids controller), each unit gets its own
// group under coracle/<root tag>/, and a child lands in it because the init
// steps into that group for the (synchronous) fork and back out after; the
// kernel then keeps every descendant there. Without one, each process carries
// CORACLE_UNIT_TAG=<tag>/<unit> in its environment and /proc is scanned.
import fs from 'node:fs';
import path from 'node:path';
import { nodeSignal } from '../signals.js';

export const MARKER = 'CORACLE_UNIT_TAG';

const CGROUP_ROOT = '/sys/fs/cgroup';
/** sysconf(_SC_PAGESIZE) and sysconf(_SC_CLK_TCK) on Linux x86-64/arm64. */
const PAGE_SIZE = 4096;
const CLOCK_TICKS = 100;
const CONTROLLERS = ['pids', 'systemd', 'freezer', 'cpu', 'memory'];

function readPids(file: string): number[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map(Number);
  } catch {
    return [];
  }
}

/** Whether `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function signalOne(p: number, signal: number, done: Set<number>): void {
  done.add(p);
  try {
    process.kill(p, nodeSignal(signal));
    // A stopped process must run to handle SIGTERM (systemd sends SIGCONT after it).
    if (signal !== 9 && signal !== 18) process.kill(p, 'SIGCONT');
  } catch {
    // already gone
  }
}

export class ProcessTracker {
  readonly mode: 'cgroup' | 'environ';
  private base: string | null = null;
  private own: string | null = null;

  constructor(private tag: string, forceEnviron = false) {
    if (!forceEnviron) this.setUpCgroup();
    this.mode = this.base ? 'cgroup' : 'environ';
  }

  private setUpCgroup(): void {
    let lines: string[];
    try {
      lines = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n');
    } catch {
      return;
    }
    for (const c of CONTROLLERS) {
      const key = c === 'systemd' ? 'name=systemd' : c;
      const line = lines.find((l) => l.split(':')[1]?.split(',').includes(key));
      if (!line) continue;
      const mount = path.join(CGROUP_ROOT, c);
      const own = path.join(mount, line.split(':').slice(2).join(':'));
      const base = path.join(mount, 'coracle', this.tag);
      try {
        fs.mkdirSync(base, { recursive: true });
        // Prove we can move ourselves in and back out before relying on it.
        const probe = path.join(base, `probe-${process.pid}`);
        fs.mkdirSync(probe, { recursive: true });
        fs.writeFileSync(path.join(probe, 'cgroup.procs'), String(process.pid));
        fs.writeFileSync(path.join(own, 'cgroup.procs'), String(process.pid));
        fs.rmdirSync(probe);
        this.base = base;
        this.own = own;
        this.sweep();
        return;
      } catch {
        // not writable here: try the next controller
      }
    }
  }

  /** Where the unit's cgroup is, or null in environ mode. */
  cgroupOf(unit: string): string | null {
    return this.base ? path.join(this.base, unit) : null;
  }

  /** The marker variable for the unit's processes (set in both modes, so a scan can always find them). */
  marker(unit: string): Record<string, string> {
    return { [MARKER]: `${this.tag}/${unit}` };
  }

  /** Runs the synchronous `fork` with the init inside the unit's cgroup, so the child starts there. */
  spawnInto<T>(unit: string, fork: () => T): T {
    const dir = this.cgroupOf(unit);
    if (!dir || !this.own) return fork();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(process.pid));
    try {
      return fork();
    } finally {
      fs.writeFileSync(path.join(this.own, 'cgroup.procs'), String(process.pid));
    }
  }

  /** Every live process of the unit. */
  pids(unit: string): number[] {
    const dir = this.cgroupOf(unit);
    const found = dir ? readPids(path.join(dir, 'cgroup.procs')) : this.scan(unit);
    return found.filter((p) => p !== process.pid && isAlive(p));
  }

  /** One /proc scan serves every unit asked about in the same turn of the event loop (a stop of 1,000 units polls them all at once). */
  private scanCache: Map<string, number[]> | null = null;

  private scan(unit: string): number[] {
    if (!this.scanCache) {
      this.scanCache = this.scanAll();
      setImmediate(() => (this.scanCache = null));
    }
    return this.scanCache.get(unit) ?? [];
  }

  /** Every process carrying this root's marker, by unit. */
  private scanAll(): Map<string, number[]> {
    const prefix = Buffer.from(`\0${MARKER}=${this.tag}/`);
    const out = new Map<string, number[]>();
    let names: string[];
    try {
      names = fs.readdirSync('/proc');
    } catch {
      return out;
    }
    for (const n of names) {
      if (!/^\d+$/.test(n)) continue;
      try {
        const env = Buffer.concat([Buffer.from([0]), fs.readFileSync(`/proc/${n}/environ`), Buffer.from([0])]);
        const at = env.indexOf(prefix);
        if (at < 0) continue;
        const start = at + prefix.length;
        const unit = env.subarray(start, env.indexOf(0, start)).toString('utf8');
        const list = out.get(unit) ?? [];
        list.push(Number(n));
        out.set(unit, list);
      } catch {
        // gone, or not ours to read
      }
    }
    return out;
  }

  /**
   * Signals every process of the unit, again while new ones keep appearing
   * (a process forking while we kill), as cg_kill_recursive() does.
   */
  kill(unit: string, signal: number): number[] {
    const done = new Set<number>();
    if (this.base) {
      // cgroup.procs is cheap to read: look again at once, for what forked meanwhile.
      for (let round = 0; round < 16; round++) {
        const fresh = this.pids(unit).filter((p) => !done.has(p));
        if (fresh.length === 0) break;
        for (const p of fresh) signalOne(p, signal, done);
      }
      return [...done];
    }
    // By /proc scan: one scan serves every unit killed in this turn (a shutdown kills them all at
    // once), and the later rounds run together in one sweep per round, so n units cost a few scans, not 2n.
    for (const p of this.pids(unit)) signalOne(p, signal, done);
    this.sweeps.push({ unit, signal, done });
    if (this.sweeps.length === 1) setImmediate(() => this.sweep2());
    return [...done];
  }

  private sweeps: { unit: string; signal: number; done: Set<number> }[] = [];

  /** The later rounds of kill() in environ mode: look again until nothing new appears (at most 15 times). */
  private sweep2(): void {
    const list = this.sweeps;
    this.sweeps = [];
    for (let round = 0; round < 15; round++) {
      this.scanCache = null;
      let fresh = false;
      for (const k of list) {
        for (const p of this.pids(k.unit)) {
          if (k.done.has(p)) continue;
          fresh = true;
          signalOne(p, k.signal, k.done);
        }
      }
      if (!fresh) break;
    }
  }

  /**
   * Memory and CPU time of the unit's processes (systemctl status Memory:/CPU:):
   * from the unit's cgroup where its controller keeps them (memory.usage_in_bytes,
   * cpuacct.usage), else summed over the live processes from /proc (resident
   * memory; user+system time, with that of children they have waited for).
   */
  usage(unit: string): { memoryBytes: number; cpuUsec: number; source: 'cgroup' | 'proc' } | null {
    const dir = this.cgroupOf(unit);
    if (dir) {
      try {
        const mem = Number(fs.readFileSync(path.join(dir, 'memory.usage_in_bytes'), 'utf8'));
        const cpu = Number(fs.readFileSync(path.join(dir, 'cpuacct.usage'), 'utf8'));
        return { memoryBytes: mem, cpuUsec: Math.round(cpu / 1000), source: 'cgroup' };
      } catch {
        // this hierarchy has no memory/cpuacct accounting: count from /proc
      }
    }
    const pids = this.pids(unit);
    if (pids.length === 0) return null;
    let memoryBytes = 0;
    let ticks = 0;
    for (const pid of pids) {
      try {
        const statm = fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
        memoryBytes += Number(statm[1]) * PAGE_SIZE;
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // utime stime cutime cstime are fields 14–17 of stat(5); f starts at field 3.
        ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      } catch {
        // gone meanwhile
      }
    }
    return { memoryBytes, cpuUsec: Math.round((ticks * 1e6) / CLOCK_TICKS), source: 'proc' };
  }

  /** Removes the unit's (empty) cgroup. */
  release(unit: string): void {
    const dir = this.cgroupOf(unit);
    if (!dir) return;
    try {
      fs.rmdirSync(dir);
    } catch {
      // not empty yet, or gone
    }
  }

  /** Removes empty unit groups a previous init on this root left behind. */
  private sweep(): void {
    if (!this.base) return;
    for (const d of fs.readdirSync(this.base, { withFileTypes: true })) {
      if (!d.isDirectory()) continue;
      try {
        fs.rmdirSync(path.join(this.base, d.name));
      } catch {
        // processes of an earlier run still live there; the next stop of that unit ends them
      }
    }
  }

  /** Removes this root's cgroup tree (at exit, when everything is stopped). */
  dispose(): void {
    if (!this.base) return;
    try {
      for (const d of fs.readdirSync(this.base, { withFileTypes: true })) if (d.isDirectory()) fs.rmdirSync(path.join(this.base, d.name));
      fs.rmdirSync(this.base);
    } catch {
      // something still runs in it
    }
  }
}
