// Test machines for fleet: each is a temp root running a real `coracle node`
// and a real `coracle fleetd` as separate processes on its own loopback
// address, so a test can kill a whole machine with -9 like a crash.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EtcdClient } from '../../src/client/index.js';
import { Registry, parseFleetUnit, type FleetUnitWithState, type JobState, type UnitStateRecord } from '../../src/fleet/registry/index.js';

export const CORACLE = fileURLToPath(new URL('../../../bin/coracle.js', import.meta.url));

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, ms = 30_000, every = 100): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(every);
  }
}

class Proc {
  readonly log: string[] = [];
  readonly exited: Promise<void>;
  constructor(readonly child: ChildProcess, readonly name: string) {
    for (const s of [child.stdout, child.stderr]) {
      s?.setEncoding('utf8');
      s?.on('data', (d: string) => {
        this.log.push(...d.split('\n').filter((l) => l !== ''));
        if (this.log.length > 2000) this.log.splice(0, this.log.length - 2000);
      });
    }
    this.exited = new Promise((r) => child.once('exit', () => r()));
  }
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  async kill(signal: NodeJS.Signals, graceMs = 15_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    const t = setTimeout(() => {
      if (this.alive) this.child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

export interface MachineSpec {
  ip: string;
  metadata?: string;
  etcd: string[];
  ttl?: string;
  interval?: string;
  extra?: string[];
}

/** One machine: a root, its init and its fleetd. */
export class FleetMachine {
  readonly root: string;
  node: Proc | undefined;
  fleetd: Proc | undefined;
  machineID = '';

  constructor(readonly spec: MachineSpec) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `cfleet-${spec.ip}-`));
  }

  async startNode(): Promise<void> {
    const child = spawn(process.execPath, [CORACLE, 'node', '--root', this.root, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.node = new Proc(child, `node ${this.spec.ip}`);
    await waitFor(`init of ${this.spec.ip}`, () => fs.existsSync(path.join(this.root, 'run/coracle/init.sock')) && fs.existsSync(path.join(this.root, 'etc/machine-id')), 15_000, 50);
    this.machineID = fs.readFileSync(path.join(this.root, 'etc/machine-id'), 'utf8').trim();
  }

  async startFleetd(): Promise<void> {
    const args = [
      CORACLE, 'fleetd', '--root', this.root,
      '--etcd_servers', this.spec.etcd.join(','),
      '--public_ip', this.spec.ip,
      '--agent_ttl', this.spec.ttl ?? '3s',
      '--engine_reconcile_interval', this.spec.interval ?? '0.5',
      '--etcd_request_timeout', '2',
      ...(this.spec.metadata ? ['--metadata', this.spec.metadata] : []),
      ...(this.spec.extra ?? []),
      ...(process.env.FLEET_TEST_VERBOSE ? ['--verbosity', '1'] : []),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    this.fleetd = new Proc(child, `fleetd ${this.spec.ip}`);
    await waitFor(`fleetd of ${this.spec.ip} to start`, () => {
      if (!this.fleetd!.alive) throw new Error(`fleetd exited:\n${this.fleetd!.log.join('\n')}`);
      return this.fleetd!.log.some((l) => l.includes('"fleetd started"'));
    }, 15_000, 50);
  }

  async start(): Promise<void> {
    await this.startNode();
    await this.startFleetd();
  }

  /** A crash: fleetd and the init killed with -9 at once (their units' processes are orphaned). */
  async crash(): Promise<void> {
    await Promise.all([this.fleetd?.kill('SIGKILL'), this.node?.kill('SIGKILL')]);
  }

  async stop(): Promise<void> {
    await this.fleetd?.kill('SIGTERM');
    await this.node?.kill('SIGTERM');
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  logs(): string {
    return [...(this.fleetd?.log ?? [])].slice(process.env.FLEET_TEST_VERBOSE ? -400 : -60).join('\n');
  }
}

/** Pids whose command line contains `needle` (a unique sleep argument). */
export function pidsWith(needle: string): number[] {
  const out: number[] = [];
  for (const n of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${n}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = fs.readFileSync(`/proc/${n}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (cmd.startsWith('/bin/sleep ') && cmd.includes(needle) && state !== 'Z') out.push(Number(n));
    } catch {
      // gone
    }
  }
  return out;
}

/** Kills the unit processes a crashed machine left behind (started by this test's machines). */
export function killLeftovers(needle: string): void {
  for (const pid of pidsWith(needle)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

let seq = 0;
/** A sleep duration unique to this run, to find a unit's processes. */
export function marker(): string {
  seq++;
  return `${7000 + (process.pid % 1000)}.${String(seq).padStart(2, '0')}${String(Date.now() % 10000).padStart(4, '0')}`;
}

/** A fleet client the way fleetctl --driver etcd would act (submit/start/stop/destroy). */
export class FleetClient {
  readonly client: EtcdClient;
  readonly reg: Registry;
  constructor(endpoints: string[], localAddress: string) {
    this.client = new EtcdClient({ endpoints, localAddress, totalTimeout: 10_000 });
    this.reg = new Registry(this.client, { requestTimeoutMs: 5000 });
  }
  async submit(name: string, text: string, state: JobState = 'inactive'): Promise<void> {
    await this.reg.createUnit(name, parseFleetUnit(text), state);
  }
  async units(): Promise<Map<string, FleetUnitWithState>> {
    return new Map((await this.reg.unitsWithState()).map((u) => [u.name, u]));
  }
  async states(name: string): Promise<UnitStateRecord[]> {
    return this.reg.unitStatesOf(name);
  }
  /** Waits until the unit is launched with an active state on its target; returns the machine. */
  async waitLaunched(name: string, ms = 30_000): Promise<string> {
    return waitFor(`${name} launched and active`, async () => {
      const u = (await this.units()).get(name);
      if (u?.currentState !== 'launched' || u.target === undefined) return undefined;
      const s = await this.reg.unitState(name, u.target);
      return s?.activeState === 'active' && s.loadState === 'loaded' ? u.target : undefined;
    }, ms);
  }
  close(): void {
    this.client.close();
  }
}

/** GET with the outgoing socket bound to the test's own address. */
export function httpGet(url: string, localAddress: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { localAddress, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}
