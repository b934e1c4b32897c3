// Helpers for machine boot tests: `coracle node` as a real process on a
// temp root, bounded waiting, etcd and init probes, and clean stops. Every
// machine a test starts is stopped (and its leftovers killed by PID) when
// the test file's process ends, even after a failure.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const CORACLE = path.join(REPO, 'bin/coracle.js');
export const SEEDS = path.resolve(REPO, '../shared/fixtures/seeds');

const temps: string[] = [];
const running = new Set<Machine>();

process.on('exit', () => {
  for (const m of running) killMachineNow(m.root, m.child.pid);
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

export function tempDir(prefix = 'cnode-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}

/** Processes of a machine root, found in /proc (CORACLE_ROOT / CORACLE_NODE_ROOT in their environment). */
export function processesOf(root: string): number[] {
  const marks = [`CORACLE_ROOT=${root}`, `CORACLE_NODE_ROOT=${root}`];
  const out: number[] = [];
  for (const n of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(n) || Number(n) === process.pid) continue;
    try {
      const env = fs.readFileSync(`/proc/${n}/environ`, 'utf8').split('\0');
      const stat = fs.readFileSync(`/proc/${n}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z' && env.some((e) => marks.includes(e))) out.push(Number(n));
    } catch {
      // gone
    }
  }
  return out;
}

function killMachineNow(root: string, pid: number | undefined): void {
  const pids = [...(pid ? [pid] : []), ...processesOf(root)];
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

export interface Machine {
  root: string;
  address: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export interface BootArgs {
  root: string;
  address: string;
  config?: string;
  privateEtc?: boolean;
  privateTmp?: boolean;
}

/** Starts `coracle node` on a root; resolves once its control socket answers. */
export async function bootNode(a: BootArgs): Promise<Machine> {
  const args = [CORACLE, 'node', '--root', a.root, '--private-ipv4', a.address, '--quiet'];
  if (a.config) args.push('--config', a.config);
  if (a.privateEtc) args.push('--private-etc');
  if (a.privateTmp) args.push('--private-tmp');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CORACLE_NODE_ROOT: a.root } });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const m: Machine = { root: a.root, address: a.address, child, output: () => out, exited };
  running.add(m);
  await waitFor(`the init on ${a.root} to answer`, async () => (await initGet(a.root, '/health')) !== null || child.exitCode !== null, 30_000);
  if (child.exitCode !== null) throw new Error(`coracle node exited ${child.exitCode}: ${out}`);
  return m;
}

/** SIGTERM and wait for the node to exit (it stops its units first). */
export async function stopNode(m: Machine): Promise<number | null> {
  m.child.kill('SIGTERM');
  const code = await Promise.race([m.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
  running.delete(m);
  if (code === 'timeout') {
    killMachineNow(m.root, m.child.pid);
    throw new Error(`coracle node on ${m.root} did not stop within 60s`);
  }
  return code;
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function initGet<T = Record<string, unknown>>(root: string, pathname: string): Promise<T | null> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: path.join(root, 'run/coracle/init.sock'), path: pathname, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(body) as T) : null);
        } catch {
          resolve(null);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

export interface UnitState {
  loadState: string;
  activeState: string;
  subState: string;
}

export async function unitState(root: string, unit: string): Promise<UnitState | null> {
  return initGet<UnitState>(root, `/v1/units/${encodeURIComponent(unit)}`);
}

/** The journal's lines (msg) for a unit, or all of them. */
export async function journal(root: string, unit?: string): Promise<string[]> {
  const file = path.join(root, 'var/log/journal/system.journal.ndjson');
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { unit: string | null; msg: string })
    .filter((e) => unit === undefined || e.unit === unit).map((e) => e.msg);
}

/** GET/PUT against an etcd v2 API, from a given local address. */
export function etcd(url: string, opts: { method?: string; form?: string; localAddress?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({
      host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: opts.method ?? 'GET', timeout: 5000,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      headers: opts.form !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
    }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout ${url}`)));
    req.on('error', reject);
    if (opts.form !== undefined) req.write(opts.form);
    req.end();
  });
}

export async function etcdHealthy(address: string, localAddress?: string): Promise<boolean> {
  try {
    const r = await etcd(`http://${address}:2379/health`, localAddress ? { localAddress } : {});
    return r.status === 200 && JSON.parse(r.body).health === 'true';
  } catch {
    return false;
  }
}

export async function etcdMembers(address: string): Promise<{ id: string; name: string }[]> {
  const r = await etcd(`http://${address}:2379/v2/members`);
  return (JSON.parse(r.body) as { members: { id: string; name: string }[] }).members;
}

/** A seed file with its addresses and URLs rewritten (the only edits the tests may make). */
export function seed(name: string, rewrites: [string | RegExp, string][] = []): string {
  let text = fs.readFileSync(path.join(SEEDS, name), 'utf8');
  for (const [from, to] of rewrites) text = typeof from === 'string' ? text.split(from).join(to) : text.replace(from, to);
  return text;
}

export function writeConfig(dir: string, name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}
