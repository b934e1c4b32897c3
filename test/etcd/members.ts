// Test helper: real `coracle etcd` processes on their own loopback
// addresses, started through the CLI a user runs, with short Raft timings so
// elections take a fraction of a second. Every process is stopped by PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORACLE = fileURLToPath(new URL('../../../bin/coracle.js', import.meta.url));
export const REAL_ETCDCTL = '/usr/bin/etcdctl';

export interface MemberSpec {
  name: string;
  /** The member's own loopback address, e.g. 127.0.0.21. */
  addr: string;
  dataDir: string;
  /** Empty: no --initial-cluster (a member that bootstraps through --discovery). */
  initialCluster: string;
  state?: 'new' | 'existing';
  extra?: string[];
}

export class MemberProcess {
  proc: ChildProcess;
  readonly log: string[] = [];
  exited: Promise<number | null>;
  constructor(readonly spec: MemberSpec) {
    const { addr } = spec;
    const args = [
      CORACLE, 'etcd',
      '--name', spec.name,
      '--data-dir', spec.dataDir,
      '--listen-client-urls', `http://${addr}:2379`,
      '--advertise-client-urls', `http://${addr}:2379`,
      '--listen-peer-urls', `http://${addr}:2380`,
      '--initial-advertise-peer-urls', `http://${addr}:2380`,
      ...(spec.initialCluster === '' ? [] : ['--initial-cluster', spec.initialCluster]),
      '--initial-cluster-state', spec.state ?? 'new',
      '--heartbeat-interval', '50',
      '--election-timeout', '500',
      ...(spec.extra ?? []),
    ];
    this.proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [this.proc.stdout!, this.proc.stderr!]) {
      s.setEncoding('utf8');
      s.on('data', (d: string) => this.log.push(...d.split('\n').filter((l) => l !== '')));
    }
    this.exited = new Promise((r) => this.proc.on('exit', (code) => r(code)));
  }

  get clientURL(): string {
    return `http://${this.spec.addr}:2379`;
  }

  get pid(): number {
    return this.proc.pid!;
  }

  async waitReady(timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.log.some((l) => l.includes('ready to serve client requests'))) return;
      if (this.proc.exitCode !== null) throw new Error(`${this.spec.name} exited ${this.proc.exitCode}:\n${this.log.join('\n')}`);
      await sleep(50);
    }
    throw new Error(`${this.spec.name} not ready after ${timeoutMs} ms:\n${this.log.slice(-20).join('\n')}`);
  }

  async waitForLog(text: string, timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.log.some((l) => l.includes(text))) return;
      if (this.proc.exitCode !== null) throw new Error(`${this.spec.name} exited ${this.proc.exitCode}:\n${this.log.join('\n')}`);
      await sleep(50);
    }
    throw new Error(`${this.spec.name} never logged "${text}":\n${this.log.slice(-20).join('\n')}`);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    await this.exited;
  }

  async kill9(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function initialCluster(addrs: string[], names = addrs.map((_, i) => `m${i + 1}`)): string {
  return addrs.map((a, i) => `${names[i]}=http://${a}:2380`).join(',');
}

export async function startCluster(addrs: string[], dir: string, extra: string[] = []): Promise<MemberProcess[]> {
  const ic = initialCluster(addrs);
  const members = addrs.map((addr, i) => new MemberProcess({ name: `m${i + 1}`, addr, dataDir: path.join(dir, `m${i + 1}`), initialCluster: ic, extra }));
  await Promise.all(members.map((m) => m.waitReady()));
  return members;
}

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...(body !== undefined ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}), ...headers }, timeout: 10000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The member that says it leads, according to its own /v2/stats/self. */
export async function findLeader(members: MemberProcess[], timeoutMs = 10000): Promise<MemberProcess> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const m of members) {
      if (m.proc.exitCode !== null || m.proc.signalCode !== null) continue;
      try {
        const r = await request('GET', `${m.clientURL}/v2/stats/self`);
        if (r.status === 200 && (JSON.parse(r.body) as { state: string }).state === 'StateLeader') return m;
      } catch {
        // not answering yet
      }
    }
    await sleep(100);
  }
  throw new Error('no leader');
}

/** Run the real etcdctl (v2 API) and return its output and exit code. */
export function etcdctl(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(REAL_ETCDCTL, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ETCDCTL_API: '2', ...env }, timeout: 20000 });
  if (r.error) throw new Error(`${REAL_ETCDCTL} could not run (${r.error.message}); install it with: apt-get install etcd-client`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
